//! The movie list every list endpoint shares (catalog, genre/star/director/certification pages,
//! favorites, purchases): filters, sort, search and page over a [`Scope`], in one statement.
//!
//! The statement pages over movie ids first (an index walk that reads no row it does not
//! return) and only then builds the page's items, with their certification and genres, as one
//! JSON value: one round trip, no query per movie.

pub mod decimal;
mod filter_schemas;
mod params;
mod repeats;
pub mod search;
pub mod sql;
mod statement;

pub use params::{MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, MovieFilters, Sort, SortKey};
pub use statement::build;

use chrono::{DateTime, Utc};
use cinema_shared::{ApiError, AppState, error::FieldError, pagination::Page};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use utoipa::ToSchema;
use uuid::Uuid;

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
    /// A link to its poster once one was uploaded (it works for an hour).
    #[serde(default)]
    pub poster_url: Option<String>,
    /// Where the poster is in the media bucket: the link is made from it.
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub poster_key: Option<String>,
    /// When the caller bought it: in the caller's purchases only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub purchased_at: Option<DateTime<Utc>>,
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
/// page or a 422 naming the bad parameter. Prices are in `currency`, the configured one.
pub async fn list(
    state: &AppState,
    scope: Scope,
    filters: &MovieFilters,
) -> Result<MoviePage, ApiError> {
    filters.validate()?;
    let reads = &state.reads;
    let statement = build(scope, filters, &state.config.currency);
    let prepare = repeats::seen_before(&statement.sql);
    let Json(listed) = reads
        .fetch_optional(statement.query_scalar::<Json<Listed>>().persistent(prepare))
        .await
        .map_err(too_long)?
        .ok_or(sqlx::Error::RowNotFound)?;
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
    let mut items = listed.items;
    for item in &mut items {
        if let Some(key) = item.poster_key.take() {
            item.poster_url = Some(state.storage.poster_url(&key).await?);
        }
    }
    Ok(Page::new(items, filters.page_request(), listed.total).into())
}

/// A list stopped by the statement timeout is a 503 the caller can act on (a narrower search
/// or filter), not an internal error.
fn too_long(err: sqlx::Error) -> ApiError {
    match &err {
        sqlx::Error::Database(db) if db.code().as_deref() == Some(QUERY_CANCELED) => {
            ApiError::ServiceUnavailable(
                "the list took too long to find; narrow the search or the filters".to_owned(),
            )
        }
        _ => err.into(),
    }
}

/// SQLSTATE of a statement cancelled, here by `statement_timeout`.
const QUERY_CANCELED: &str = "57014";

fn join_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
