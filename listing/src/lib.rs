//! The movie list every list endpoint shares (catalog, genre/star/director/certification pages,
//! favorites, purchases): filters, sort, search and page over a [`Scope`], in one statement.
//!
//! The statement pages over movie ids first (an index walk that reads no row it does not
//! return) and only then writes the page as JSON text from each movie's stored list card and
//! its live counters: one round trip, no query per movie, no object assembled per request.

pub mod decimal;
mod filter_schemas;
mod params;
mod repeats;
pub mod search;
pub mod sql;
mod statement;

pub use params::{MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, MovieFilters, Sort, SortKey};
pub use statement::build;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, AppState,
    auth::{self, TokenHolder},
    error::FieldError,
    pagination::Page,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;
use uuid::Uuid;

/// Which movies a list starts from, before its filters. A caller's own lists take the caller's
/// verified token: the list's statement checks its account and session itself (one round trip
/// instead of two) and the list answers 401 when they fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    FavoritesOf(TokenHolder),
    PurchasesOf(TokenHolder),
    Genre(i64),
    Director(i64),
    Star(i64),
    Certification(i64),
}

impl Scope {
    /// What a name's page lists the movies of ("genre", ...), for its 404.
    fn name_kind(self) -> &'static str {
        match self {
            Self::Genre(_) => "genre",
            Self::Director(_) => "director",
            Self::Star(_) => "star",
            Self::Certification(_) => "certification",
            Self::All | Self::FavoritesOf(_) | Self::PurchasesOf(_) => "movie list",
        }
    }
}

/// An id and a name: a genre, star, director or certification as a movie shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// A movie as lists show it.
// Documentation only: the statement writes each item in this shape (see statement.rs), and the
// API passes it on as it is.
#[derive(ToSchema)]
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
    pub poster_url: Option<String>,
    /// When the caller bought it: in the caller's purchases only.
    #[schema(required = false)]
    pub purchased_at: Option<DateTime<Utc>>,
}

/// A page of movies.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoviePage {
    // Each a `MovieSummary`, as the statement wrote it.
    #[schema(value_type = Vec<MovieSummary>)]
    pub items: Vec<Box<RawValue>>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
}

impl From<Page<Box<RawValue>>> for MoviePage {
    fn from(page: Page<Box<RawValue>>) -> Self {
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
struct Listed<'a> {
    total: i64,
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
    /// The poster key of each listed movie that has one.
    posters: HashMap<Uuid, String>,
    /// Per id filter, the ids that name nothing (present only when id filters were given).
    #[serde(default)]
    unknown: Option<[Vec<i64>; 4]>,
    /// On a name's page, whether the name exists.
    #[serde(default)]
    found: Option<bool>,
    /// On a caller's own list, whether the caller's account is active and session live.
    #[serde(default)]
    caller: Option<bool>,
}

/// Just the id of a listed item.
#[derive(Deserialize)]
struct ItemId {
    id: Uuid,
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
    let text: String = reads
        .fetch_optional(statement.query_scalar::<String>().persistent(prepare))
        .await
        .map_err(too_long)?
        .ok_or(sqlx::Error::RowNotFound)?;
    let listed: Listed = serde_json::from_str(&text).map_err(unreadable)?;
    if listed.caller == Some(false) {
        return Err(auth::session_ended());
    }
    if listed.found == Some(false) {
        return Err(ApiError::NotFound(format!("no such {}", scope.name_kind())));
    }
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
    let mut items = Vec::with_capacity(listed.items.len());
    for item in listed.items {
        items.push(match poster_of(item, &listed.posters)? {
            Some(key) => with_poster_url(item, state.storage.poster_url(key).await?)?,
            None => item.to_owned(),
        });
    }
    Ok(Page::new(items, filters.page_request(), listed.total).into())
}

/// The poster key of `item`, if it has one (only then is the item read).
fn poster_of<'p>(
    item: &RawValue,
    posters: &'p HashMap<Uuid, String>,
) -> Result<Option<&'p String>, ApiError> {
    if posters.is_empty() {
        return Ok(None);
    }
    let ItemId { id } = serde_json::from_str(item.get()).map_err(unreadable)?;
    Ok(posters.get(&id))
}

/// `item` with its `poster_url` set to `url`.
fn with_poster_url(item: &RawValue, url: String) -> Result<Box<RawValue>, ApiError> {
    let mut fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(item.get()).map_err(unreadable)?;
    fields.insert("poster_url".to_owned(), url.into());
    serde_json::value::to_raw_value(&fields).map_err(unreadable)
}

fn unreadable(err: serde_json::Error) -> ApiError {
    ApiError::unreadable_json("movie list", err)
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
