//! The lists' items, their page, and what a moderator sends.

use cinema_shared::{ApiError, openapi, text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema, openapi::Object};

/// A genre, star, director or certification in its list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Taxon {
    pub id: i64,
    pub name: String,
    /// How many movies it is linked to (kept by triggers in the writing transaction).
    pub movie_count: i64,
}

/// A page of genres, stars, directors or certifications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaxonPage {
    pub items: Vec<Taxon>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
}

/// `{name}`: one line of 1 to 100 characters, not blank (trimmed), unique regardless of case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxonInput {
    #[schema(schema_with = name_schema)]
    pub name: String,
}

/// The longest name a list takes.
pub const MAX_NAME_CHARS: usize = 100;

fn name_schema() -> Object {
    openapi::text(1, MAX_NAME_CHARS, text::ONE_LINE_NOT_BLANK)
        .examples(["Film-Noir"])
        .build()
}

cinema_shared::param_schema!(
    /// A name filter: one line of at most [`MAX_NAME_CHARS`] characters.
    NameFilter = openapi::text(0, MAX_NAME_CHARS, text::ONE_LINE).build()
);

/// Paging and an optional name filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaxonListParams {
    /// Only names containing this text (case-insensitive).
    #[param(value_type = Option<NameFilter>, inline)]
    pub name: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

impl TaxonInput {
    /// The name, trimmed and checked (422 naming `name`).
    pub fn clean_name(&self) -> Result<String, ApiError> {
        text::one_line_text(&self.name, MAX_NAME_CHARS)
            .map_err(|message| ApiError::invalid("name", message))
    }
}
