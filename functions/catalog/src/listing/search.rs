//! Search: Postgres full-text search over the stored document (title weighted A, people B,
//! description C) plus trigram similarity on the title and the people's names, so a typo still
//! finds the movie. Each condition has its own GIN index. Trigram matching is tried only when
//! full-text search finds nothing: it is the costly part, and a query spelled right needs it not.

/// A full-text match of the search text bound at placeholder `q`.
pub fn exact(q: &str) -> String {
    format!("m.search @@ websearch_to_tsquery('english', {q})")
}

/// A near miss: the title is similar, or a word of a person's name is.
pub fn fuzzy(q: &str) -> String {
    format!("(m.name % {q} OR {q} <% m.people_names)")
}

/// The relevance of a match, highest first. The weights put title words (A) far above people
/// (B) and description words (C); title similarity lifts near misses of the title above other
/// matches. (No similarity over people's names here: it is the costliest part to compute for
/// every match and a typo in a name already matches through the condition.)
pub fn rank(q: &str) -> String {
    format!(
        "(ts_rank('{{0.05, 0.1, 0.3, 1.0}}', m.search, websearch_to_tsquery('english', {q})) \
          + similarity(m.name, {q}))"
    )
}
