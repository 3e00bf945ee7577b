//! Search: Postgres full-text search over the stored document (title weighted A, people B,
//! description C) plus trigram similarity on the title and the people's names, so a typo still
//! finds the movie. Each condition has its own GIN index. Trigram matching is tried only when
//! full-text search finds nothing: it is the costly part, and a query spelled right needs it not.

/// A full-text match of the search text `q` (an SQL expression).
pub fn exact(q: &str) -> String {
    format!("m.search @@ websearch_to_tsquery('english', {q})")
}

/// A near miss: the title is similar, or a word of a person's name is.
pub fn fuzzy(q: &str) -> String {
    format!("(m.name % {q} OR {q} <% m.people_names)")
}

/// The relevance of a full-text match, highest first. The weights put title words (A) far above
/// people (B) and description words (C); among title matches, the closer the whole title is to
/// the text, the higher. (Title similarity is computed for title matches only: it is the
/// costliest part, and a broad word can match thousands of movies.)
pub fn exact_rank(q: &str) -> String {
    let query = format!("websearch_to_tsquery('english', {q})");
    format!(
        "(ts_rank('{{0.05, 0.1, 0.3, 1.0}}', m.search, {query}) \
          + CASE WHEN ts_rank('{{0, 0, 0, 1}}', m.search, {query}) > 0 \
                 THEN similarity(m.name, {q}) ELSE 0 END)"
    )
}

/// The relevance of a near miss: how close the title is. (No similarity over people's names: a
/// typo in a name already matches through the condition.)
pub fn fuzzy_rank(q: &str) -> String {
    format!("similarity(m.name, {q})")
}
