//! The movie list every list endpoint shares (catalog, genre/star/director/certification pages,
//! favorites, purchases): filters, sort, search and page over a [`Scope`], in one statement.
//!
//! The statement pages over movie ids first (an index walk that reads no row it does not
//! return) and only then builds the page's items, with their certification and genres, as one
//! JSON value: one round trip, no query per movie.

mod params;
pub mod search;

pub use params::{MAX_SEARCH_CHARS, MovieFilters, Sort, SortKey};

use chrono::{DateTime, Utc};
use cinema_shared::{ApiError, error::FieldError, pagination::Page};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, types::Json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::sql::{Arg, Statement};

/// Which movies a list starts from, before its filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    FavoritesOf(Uuid),
    PurchasesOf(Uuid),
    Genre(i64),
    Director(i64),
    Star(i64),
    Certification(i64),
}

/// An id and a name: a genre, star, director or certification as a movie shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// A movie as lists show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MovieSummary {
    pub id: Uuid,
    pub name: String,
    pub year: i32,
    /// Running time in minutes.
    pub time: i32,
    #[schema(example = 8.1)]
    pub imdb: f64,
    pub votes: i64,
    #[schema(value_type = String, example = "9.99")]
    pub price: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
    /// Whether it can be bought now.
    pub is_available: bool,
    pub certification: Named,
    pub genres: Vec<Named>,
    /// Mean of the current ratings (1-10), two places; null while unrated.
    #[schema(example = 7.25)]
    pub average_rating: Option<f64>,
    pub ratings_count: i64,
    pub likes: i64,
    pub dislikes: i64,
    pub created_at: DateTime<Utc>,
}

/// A page of movies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MoviePage {
    pub items: Vec<MovieSummary>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
}

impl From<Page<MovieSummary>> for MoviePage {
    fn from(page: Page<MovieSummary>) -> Self {
        Self {
            items: page.items,
            page: page.page,
            per_page: page.per_page,
            total: page.total,
            pages: page.pages,
        }
    }
}

/// The one currency prices are in.
pub const CURRENCY: &str = "USD";

/// What the statement returns.
#[derive(Deserialize)]
struct Listed {
    total: i64,
    items: Vec<MovieSummary>,
    /// Per id filter, the ids that name nothing (present only when id filters were given).
    #[serde(default)]
    unknown: Option<[Vec<i64>; 4]>,
}

/// Lists the movies of `scope` that pass `filters`: validates, runs one statement, answers a
/// page or a 422 naming the bad parameter.
pub async fn list(
    db: &PgPool,
    scope: Scope,
    filters: &MovieFilters,
) -> Result<MoviePage, ApiError> {
    filters.validate()?;
    let statement = build(scope, filters);
    let Json(listed) = statement
        .query_scalar::<Json<Listed>>()
        .fetch_one(db)
        .await?;
    if let Some(unknown) = listed.unknown {
        let errors: Vec<FieldError> = filters
            .id_filters()
            .iter()
            .zip(unknown)
            .filter(|(_, missing)| !missing.is_empty())
            .map(|((field, _), missing)| {
                FieldError::new(*field, format!("no such id: {}", join_ids(&missing)))
            })
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
    }
    Ok(Page::new(listed.items, filters.page_request(), listed.total).into())
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The linked table and column of each id filter, in [`MovieFilters::id_filters`] order.
const LINKS: [(&str, &str, &str); 4] = [
    ("movie_genres", "genre_id", "genres"),
    ("movie_directors", "director_id", "directors"),
    ("movie_stars", "star_id", "stars"),
    ("", "certification_id", "certifications"),
];

/// The condition "the movie is linked to one of the ids at placeholder `ids`".
fn linked_to_any(link: usize, ids: &str) -> String {
    let (table, column, _) = LINKS[link];
    if table.is_empty() {
        format!("m.{column} = ANY({ids})")
    } else {
        format!(
            "EXISTS (SELECT 1 FROM {table} l WHERE l.movie_id = m.id AND l.{column} = ANY({ids}))"
        )
    }
}

fn linked_to(link: usize, id: &str) -> String {
    let (table, column, _) = LINKS[link];
    if table.is_empty() {
        format!("m.{column} = {id}")
    } else {
        format!("EXISTS (SELECT 1 FROM {table} l WHERE l.movie_id = m.id AND l.{column} = {id})")
    }
}

/// The column `sort` orders by, over the movie aliased `m`, and where its nulls go.
fn sort_column(sort: Sort) -> (&'static str, &'static str) {
    match sort.key {
        SortKey::Price => ("m.price", ""),
        SortKey::Year => ("m.year", ""),
        SortKey::Imdb => ("m.imdb", ""),
        SortKey::Votes => ("m.votes", ""),
        SortKey::Rating => ("m.average_rating", " NULLS LAST"),
        SortKey::Popularity => ("m.popularity", ""),
        SortKey::Name => ("m.name", ""),
        SortKey::CreatedAt => ("m.created_at", ""),
    }
}

/// `ORDER BY` for `sort` with the sort key at `key` and the movie id at `id`, ending in the id
/// tie-break so equal keys keep one order across pages.
fn order_by_at(sort: Sort, key: &str, id: &str) -> String {
    let (_, nulls) = sort_column(sort);
    let direction = if sort.descending { "DESC" } else { "ASC" };
    format!("{key} {direction}{nulls}, {id} {direction}")
}

/// `ORDER BY` for `sort` over the movie aliased `m`.
fn order_by(sort: Sort) -> String {
    order_by_at(sort, sort_column(sort).0, "m.id")
}

/// The statement that lists `scope` under `filters` (already validated).
pub fn build(scope: Scope, filters: &MovieFilters) -> Statement {
    let mut st = Statement::default();
    let mut conditions = Vec::new();
    // A condition "linked to this one id" (link index and placeholder): when it is the only
    // condition, the total is that name's stored movie_count.
    let mut single_link = None;
    match scope {
        Scope::All => {}
        Scope::FavoritesOf(user) => {
            let p = st.arg(Arg::Uuid(user));
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM favorites f WHERE f.movie_id = m.id AND f.user_id = {p})"
            ));
        }
        Scope::PurchasesOf(user) => {
            let p = st.arg(Arg::Uuid(user));
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM purchases o WHERE o.movie_id = m.id AND o.user_id = {p})"
            ));
        }
        Scope::Genre(id) => {
            let p = st.arg(Arg::Int(id));
            conditions.push(linked_to(0, &p));
            single_link = Some((0, p));
        }
        Scope::Director(id) => {
            let p = st.arg(Arg::Int(id));
            conditions.push(linked_to(1, &p));
            single_link = Some((1, p));
        }
        Scope::Star(id) => {
            let p = st.arg(Arg::Int(id));
            conditions.push(linked_to(2, &p));
            single_link = Some((2, p));
        }
        Scope::Certification(id) => {
            let p = st.arg(Arg::Int(id));
            conditions.push(linked_to(3, &p));
            single_link = Some((3, p));
        }
    }
    // Year conditions over a column named `year`: the same ones select movies and, when they
    // are the only conditions, sum the stored per-year counts for the total.
    let years: Vec<String> = [
        ("=", filters.year),
        (">=", filters.year_min),
        ("<=", filters.year_max),
    ]
    .into_iter()
    .filter_map(|(op, year)| {
        year.map(|year| format!("year {op} {}", st.arg(Arg::Int(year.into()))))
    })
    .collect();
    conditions.extend(years.iter().map(|condition| format!("m.{condition}")));
    for (column, op, value) in [
        ("imdb", ">=", filters.imdb_min),
        ("imdb", "<=", filters.imdb_max),
        ("price", ">=", filters.price_min),
        ("price", "<=", filters.price_max),
    ] {
        if let Some(value) = value {
            conditions.push(format!("m.{column} {op} {}", st.arg(Arg::Decimal(value))));
        }
    }
    let mut id_placeholders = Vec::new();
    for (link, (_, ids)) in filters.id_filters().into_iter().enumerate() {
        if ids.is_empty() {
            id_placeholders.push(None);
            continue;
        }
        let p = st.arg(Arg::Ints(ids.to_vec()));
        conditions.push(linked_to_any(link, &p));
        if ids.len() == 1 {
            single_link = Some((link, format!("({p})[1]")));
        }
        id_placeholders.push(Some(p));
    }
    let search = filters
        .search_text()
        .map(|text| st.arg(Arg::Text(text.to_owned())));

    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let unknown = if id_placeholders.iter().any(Option::is_some) {
        let arrays: Vec<String> = id_placeholders
            .iter()
            .zip(LINKS)
            .map(|(placeholder, (_, _, table))| match placeholder {
                Some(p) => format!(
                    "ARRAY(SELECT x FROM unnest({p}) x \
                     WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = x))"
                ),
                None => "'{}'::bigint[]".to_owned(),
            })
            .collect();
        format!(", 'unknown', json_build_array({})", arrays.join(", "))
    } else {
        String::new()
    };
    let page = filters.page_request();
    let limit = st.arg(Arg::Int(page.limit()));
    let offset = st.arg(Arg::Int(page.offset()));
    // `with` defines `page` (the page's ids, in order); `total` counts every match; `order`
    // puts the page's items back in order.
    let (with, total, order) = match &search {
        // Matches are found once and ranked once, then both counted and paged: a search can
        // match thousands of movies and each costs a rank computation. Full-text matches come
        // first; only when there are none does the (costlier) typo-tolerant trigram match run.
        Some(q) => {
            let with_filters = |condition: String| {
                conditions
                    .iter()
                    .cloned()
                    .chain([condition])
                    .collect::<Vec<_>>()
                    .join(" AND ")
            };
            // Matches carry their sort key, so the page is chosen from them alone (joining
            // the movies back to sort thousands of matches costs more than ranking them).
            let (key, page_order, order) = match filters.sort {
                Some(sort) => (
                    format!(", {} AS key", sort_column(sort).0),
                    order_by_at(sort, "x.key", "x.id"),
                    order_by(sort),
                ),
                None => (
                    String::new(),
                    "x.rank DESC, x.id ASC".to_owned(),
                    "page.rank DESC, m.id ASC".to_owned(),
                ),
            };
            (
                format!(
                    "exact AS MATERIALIZED (\
                        SELECT m.id, {exact_rank} AS rank{key} FROM movies m WHERE {exact}), \
                     matched AS MATERIALIZED (\
                        SELECT * FROM exact \
                        UNION ALL \
                        SELECT m.id, {fuzzy_rank} AS rank{key} FROM movies m \
                        WHERE NOT EXISTS (SELECT 1 FROM exact) AND {fuzzy}), \
                     page AS (\
                        SELECT x.id, x.rank FROM matched x \
                        ORDER BY {page_order} LIMIT {limit} OFFSET {offset})",
                    exact_rank = search::exact_rank(q),
                    fuzzy_rank = search::fuzzy_rank(q),
                    exact = with_filters(search::exact(q)),
                    fuzzy = with_filters(search::fuzzy(q)),
                ),
                "(SELECT count(*) FROM matched)".to_owned(),
                order,
            )
        }
        None => {
            let order = order_by(filters.sort.unwrap_or_default());
            let total = if conditions.is_empty() {
                "(SELECT movies FROM catalog_counters)".to_owned()
            } else if conditions.len() == years.len() {
                format!(
                    "(SELECT coalesce(sum(movie_count), 0) FROM movie_year_counts WHERE {})",
                    years.join(" AND ")
                )
            } else if let (1, Some((link, p))) = (conditions.len(), &single_link) {
                format!(
                    "coalesce((SELECT movie_count FROM {} WHERE id = {p}), 0)",
                    LINKS[*link].2
                )
            } else {
                format!("(SELECT count(*) FROM movies m {filter})")
            };
            let anchored = scope == Scope::All
                && conditions.is_empty()
                && filters.sort.unwrap_or_default() == Sort::default()
                && page.offset() > 0;
            let with = if anchored {
                // A deep page of the whole catalog in its default order starts walking at the
                // nearest anchor before it (see the catalog_anchors migration); without
                // anchors it walks from the top like any other list.
                format!(
                    "anchor AS MATERIALIZED (\
                        SELECT position, created_at, id FROM catalog_anchors \
                        WHERE position <= {offset} ORDER BY position DESC LIMIT 1), \
                     page AS (\
                        SELECT x.id FROM anchor a CROSS JOIN LATERAL (\
                            SELECT m.id FROM movies m \
                            WHERE (m.created_at, m.id) <= (a.created_at, a.id) \
                            ORDER BY {order} LIMIT {limit} OFFSET {offset} - a.position) x \
                        UNION ALL \
                        (SELECT m.id FROM movies m WHERE NOT EXISTS (SELECT 1 FROM anchor) \
                         ORDER BY {order} LIMIT {limit} OFFSET {offset}))"
                )
            } else {
                format!(
                    "page AS (SELECT m.id FROM movies m {filter} \
                     ORDER BY {order} LIMIT {limit} OFFSET {offset})"
                )
            };
            (with, total, order)
        }
    };
    st.sql = format!(
        "WITH {with} \
         SELECT json_build_object(\
            'total', {total}, \
            'items', coalesce((\
                SELECT json_agg({ITEM} ORDER BY {order}) \
                FROM page JOIN movies m ON m.id = page.id \
                JOIN certifications c ON c.id = m.certification_id), '[]'::json)\
            {unknown})"
    );
    st
}

/// One list item as JSON, over the movie `m` and its certification `c`.
const ITEM: &str = "json_build_object(\
    'id', m.id, 'name', m.name, 'year', m.year, 'time', m.time, 'imdb', m.imdb, \
    'votes', m.votes, 'price', m.price::text, 'currency', 'USD', 'is_available', m.is_available, \
    'certification', json_build_object('id', c.id, 'name', c.name), \
    'genres', coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name) \
        ORDER BY g.name, g.id) FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id \
        WHERE mg.movie_id = m.id), '[]'::json), \
    'average_rating', m.average_rating, 'ratings_count', m.ratings_count, \
    'likes', m.likes, 'dislikes', m.dislikes, 'created_at', m.created_at)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unfiltered_catalog_counts_from_the_counter() {
        let statement = build(Scope::All, &MovieFilters::default());
        assert!(statement.sql.contains("catalog_counters"));
        assert!(
            statement
                .sql
                .contains("ORDER BY m.created_at DESC, m.id DESC")
        );
    }

    #[test]
    fn a_list_filtered_by_years_alone_counts_from_the_year_counts() {
        let filters = MovieFilters {
            year_min: Some(1990),
            year_max: Some(1999),
            ..Default::default()
        };
        let statement = build(Scope::All, &filters);
        assert!(statement.sql.contains(
            "FROM movie_year_counts WHERE year >= (1990)::bigint AND year <= (1999)::bigint"
        ));
        let with_genre = MovieFilters {
            genre: vec![1],
            ..filters
        };
        assert!(
            !build(Scope::All, &with_genre)
                .sql
                .contains("movie_year_counts")
        );
    }

    #[test]
    fn only_deep_pages_of_the_whole_catalog_in_default_order_use_anchors() {
        let page = |page: i64, sort: Option<&str>, year: Option<i32>| MovieFilters {
            page: Some(page),
            sort: sort.map(|sort| sort.parse().unwrap()),
            year,
            ..Default::default()
        };
        let anchored = |filters: MovieFilters| {
            build(Scope::All, &filters)
                .sql
                .contains("FROM catalog_anchors")
        };
        assert!(anchored(page(2, None, None)));
        assert!(anchored(page(2500, Some("-created_at"), None)));
        assert!(!anchored(page(1, None, None)));
        assert!(!anchored(page(2, Some("created_at"), None)));
        assert!(!anchored(page(2, None, Some(1999))));
    }

    #[test]
    fn filters_write_their_numbers_into_the_text() {
        let filters = MovieFilters {
            genre: vec![3, 4],
            year_min: Some(1990),
            sort: Some("price".parse().unwrap()),
            ..Default::default()
        };
        let statement = build(Scope::Star(7), &filters);
        assert!(statement.args.is_empty());
        assert!(
            statement
                .sql
                .contains("l.genre_id = ANY('{3,4}'::bigint[])")
        );
        assert!(statement.sql.contains("l.star_id = (7)::bigint"));
        assert!(statement.sql.contains("m.year >= (1990)::bigint"));
        assert!(statement.sql.contains("ORDER BY m.price ASC, m.id ASC"));
        assert!(statement.sql.contains("'unknown'"));
    }

    #[test]
    fn only_user_ids_are_bound_and_search_text_is_quoted() {
        let filters = MovieFilters {
            search: Some(r"it's \".into()),
            ..Default::default()
        };
        let user = Uuid::nil();
        let statement = build(Scope::FavoritesOf(user), &filters);
        assert_eq!(statement.args, [Arg::Uuid(user)]);
        assert!(statement.sql.contains("f.user_id = $1"));
        assert!(statement.sql.contains(r"E'it''s \\'"));
    }
}
