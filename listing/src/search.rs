//! Search: Postgres full-text search over the stored document (title weighted A, people B,
//! description C) plus trigram similarity on the title and the people's names, so a typo still
//! finds the movie. Each condition has its own GIN index. Trigram matching is tried only when
//! full-text search finds nothing: it is the costly part, and a query spelled right needs it not.
//!
//! Ranking is in tiers (see the search_tiers migration): title matches first, the shortest
//! title first (the title that is the search text and little else); then the other matches by
//! full-text rank; then, only when nothing matched, near misses by title similarity. A search
//! of one word is counted and its titles paged in `movie_search_words`, within its indexes.

/// The search text `q` (an SQL expression) as a full-text query.
fn query(q: &str) -> String {
    format!("websearch_to_tsquery('english', {q})")
}

/// Whether the search text `q` is one word (one lexeme, with no operator). Postgres folds this
/// to a constant when it plans the statement, so only one of the branches it selects is planned.
pub fn is_one_word(q: &str) -> String {
    format!("numnode({}) = 1", query(q))
}

/// The lexeme of a one-word search text `q` (NULL otherwise), as `movie_search_words` holds it:
/// the query's text without its quotes (a quote inside is doubled in that text, a backslash
/// escaped).
pub fn one_word(q: &str) -> String {
    let tree = format!("querytree({})", query(q));
    format!(
        "CASE WHEN {} THEN replace(replace(substr({tree}, 2, length({tree}) - 2), \
         '''''', ''''), '\\\\', '\\') END",
        is_one_word(q)
    )
}

/// A full-text match of the search text `q` anywhere in the document.
pub fn exact(q: &str) -> String {
    format!("m.search @@ {}", query(q))
}

/// Whether a full-text match is in the title tier: the title holds the query's words. (Asked
/// of a movie that matches the query as a whole, so a word the query excludes is in none of
/// its document, the title included.)
pub fn in_title(q: &str) -> String {
    format!("m.title_search @@ {}", query(q))
}

/// A near miss: the title is similar, or a word of a person's name is.
pub fn fuzzy(q: &str) -> String {
    format!("(m.name % {q} OR {q} <% m.people_names)")
}

/// The relevance of a match outside the title tier, highest first. The weights keep words in
/// the title (A, when the query's words are split between title and the rest) far above people
/// (B) and description words (C).
pub fn exact_rank(q: &str) -> String {
    format!("ts_rank('{{0.05, 0.1, 0.3, 1.0}}', m.search, {})", query(q))
}

/// The relevance of a near miss: how close the title is. (No similarity over people's names: a
/// typo in a name already matches through the condition.)
pub fn fuzzy_rank(q: &str) -> String {
    format!("similarity(m.name, {q})")
}
