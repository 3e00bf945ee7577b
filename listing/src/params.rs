//! The query parameters every movie list takes, their parsing and their checks.

use std::{fmt, str::FromStr};

use axum::{extract::FromRequestParts, http::request::Parts};
use cinema_shared::{
    ApiError,
    error::FieldError,
    extract::ApiQuery,
    openapi,
    pagination::{DEFAULT_PER_PAGE, PageRequest},
    text,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, de};
use utoipa::IntoParams;

use crate::{decimal, filter_schemas};

/// The filters, sort and page of a movie list. Unknown parameters are refused (422).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MovieFilters {
    /// Words to look for in titles, descriptions, star and director names; typos are
    /// tolerated and `-word` excludes a word. Unless `sort` is given, results are ranked: title
    /// matches first, the shortest title first; then the other matches by relevance (a star's
    /// or director's name counts more than a description). `total` is exact. At most 8 words
    /// (`or` between two words asks for either and is not counted) and 200 characters; more is
    /// a 422.
    #[param(value_type = Option<filter_schemas::Search>, inline, example = "godfather")]
    pub search: Option<String>,
    /// Exactly this year.
    #[param(minimum = 1888, maximum = 2100)]
    pub year: Option<i32>,
    /// This year or later.
    #[param(minimum = 1888, maximum = 2100)]
    pub year_min: Option<i32>,
    /// This year or earlier (not below `year_min`).
    #[param(minimum = 1888, maximum = 2100)]
    pub year_max: Option<i32>,
    /// IMDb score at least this (0-10, one decimal place at most).
    #[serde(default, deserialize_with = "decimal::imdb_filter")]
    #[param(value_type = Option<filter_schemas::ImdbFilter>, inline, example = "7.5")]
    pub imdb_min: Option<Decimal>,
    /// IMDb score at most this (0-10, one decimal place at most; not below `imdb_min`).
    #[serde(default, deserialize_with = "decimal::imdb_filter")]
    #[param(value_type = Option<filter_schemas::ImdbFilter>, inline)]
    pub imdb_max: Option<Decimal>,
    /// Price at least this.
    #[serde(default, deserialize_with = "decimal::price_filter")]
    #[param(value_type = Option<filter_schemas::PriceFilter>, inline, example = "4.99")]
    pub price_min: Option<Decimal>,
    /// Price at most this (not below `price_min`).
    #[serde(default, deserialize_with = "decimal::price_filter")]
    #[param(value_type = Option<filter_schemas::PriceFilter>, inline)]
    pub price_max: Option<Decimal>,
    /// Genre ids; repeat the parameter for "any of".
    #[serde(default)]
    #[param(value_type = Vec<openapi::Id>, inline)]
    pub genre: Vec<i64>,
    /// Director ids; repeat the parameter for "any of".
    #[serde(default)]
    #[param(value_type = Vec<openapi::Id>, inline)]
    pub director: Vec<i64>,
    /// Star ids; repeat the parameter for "any of".
    #[serde(default)]
    #[param(value_type = Vec<openapi::Id>, inline)]
    pub star: Vec<i64>,
    /// Certification ids; repeat the parameter for "any of".
    #[serde(default)]
    #[param(value_type = Vec<openapi::Id>, inline)]
    pub certification: Vec<i64>,
    /// One of `price`, `year`, `imdb`, `votes`, `rating` (average rating, unrated last),
    /// `popularity` (likes minus dislikes), `name`, `created_at`; a leading `-` sorts
    /// descending. Default `-created_at`, or relevance when searching. Ties are broken by id.
    #[param(value_type = Option<filter_schemas::SortName>, inline, example = "-rating")]
    pub sort: Option<Sort>,
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

/// The longest search text accepted.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The most words a search may hold. Each word a search ORs in adds its matches to those that
/// must be found, counted and ranked, and every word adds planning and trigram work: on the
/// 100,000-movie benchmark catalog 20 OR-ed title words took over a second of one core, 8
/// about 0.4 s, and AND-ed or misspelt words three times less at 8 than at 20
/// (`bench/search_words.sh`, numbers in bench/REPORT.md). 8 words hold a title's significant
/// words.
pub const MAX_SEARCH_WORDS: usize = 8;

/// The words of a search text as full-text search reads them: runs of letters and digits,
/// less the `or` that `websearch_to_tsquery` takes for its operator.
pub fn search_words(text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !word.eq_ignore_ascii_case("or"))
        .count()
}

impl MovieFilters {
    pub fn page_request(&self) -> PageRequest {
        PageRequest {
            page: self.page.unwrap_or(1),
            per_page: self.per_page.unwrap_or(DEFAULT_PER_PAGE.into()),
        }
    }

    /// The search text, trimmed; blank counts as none.
    pub fn search_text(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
    }

    /// Range and shape checks that need no database; every broken one is named.
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut errors = match self.page_request().validate() {
            Err(ApiError::Validation(errors)) => errors,
            _ => Vec::new(),
        };
        for (field, value) in [
            ("year", self.year),
            ("year_min", self.year_min),
            ("year_max", self.year_max),
        ] {
            if value.is_some_and(|year| !(1888..=2100).contains(&year)) {
                errors.push(FieldError::new(field, "must be between 1888 and 2100"));
            }
        }
        if let (Some(min), Some(max)) = (self.year_min, self.year_max)
            && min > max
        {
            errors.push(FieldError::new("year_max", "must not be below year_min"));
        }
        let ten = Decimal::from(10);
        for (field, value) in [("imdb_min", self.imdb_min), ("imdb_max", self.imdb_max)] {
            if value.is_some_and(|v| v < Decimal::ZERO || v > ten) {
                errors.push(FieldError::new(field, "must be between 0 and 10"));
            }
        }
        if let (Some(min), Some(max)) = (self.imdb_min, self.imdb_max)
            && min > max
        {
            errors.push(FieldError::new("imdb_max", "must not be below imdb_min"));
        }
        for (field, value) in [("price_min", self.price_min), ("price_max", self.price_max)] {
            if value.is_some_and(|v| v.is_sign_negative()) {
                errors.push(FieldError::new(field, "must not be negative"));
            }
        }
        if let (Some(min), Some(max)) = (self.price_min, self.price_max)
            && min > max
        {
            errors.push(FieldError::new("price_max", "must not be below price_min"));
        }
        for (field, ids) in self.id_filters() {
            if ids.iter().any(|&id| id < 1) {
                errors.push(FieldError::new(field, "ids are positive integers"));
            }
        }
        if let Some(text) = self.search_text() {
            if text.chars().count() > MAX_SEARCH_CHARS {
                errors.push(FieldError::new(
                    "search",
                    format!("must be at most {MAX_SEARCH_CHARS} characters"),
                ));
            }
            if search_words(text) > MAX_SEARCH_WORDS {
                errors.push(FieldError::new(
                    "search",
                    format!("must have at most {MAX_SEARCH_WORDS} words"),
                ));
            }
            if !text::is_one_line(text) {
                errors.push(FieldError::new("search", text::NO_CONTROL_CHARACTERS));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// The id filters with their parameter and table names.
    pub fn id_filters(&self) -> [(&'static str, &[i64]); 4] {
        [
            ("genre", &self.genre),
            ("director", &self.director),
            ("star", &self.star),
            ("certification", &self.certification),
        ]
    }
}

/// Query extraction that also names the parameter when an unknown one is refused (serde
/// reports those at the root, which the shared extractor cannot attribute).
impl<S: Send + Sync> FromRequestParts<S> for MovieFilters {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match ApiQuery::<Self>::from_request_parts(parts, state).await {
            Ok(ApiQuery(filters)) => Ok(filters),
            Err(ApiError::Validation(errors)) => Err(ApiError::Validation(
                errors.into_iter().map(name_parameter).collect(),
            )),
            Err(other) => Err(other),
        }
    }
}

/// Names the parameter itself: `genre` rather than `genre[1]` for a repeated one, and the
/// unknown parameter's own name rather than the root.
fn name_parameter(mut error: FieldError) -> FieldError {
    if let Some((name, _)) = error.field.split_once('[') {
        error.field = name.to_owned();
    }
    if let Some(name) = error
        .message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        error.field = name.to_owned();
        error.message = "is not a known parameter".to_owned();
    }
    error
}

/// What a list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Price,
    Year,
    Imdb,
    Votes,
    Rating,
    Popularity,
    Name,
    CreatedAt,
}

impl SortKey {
    pub const ALL: [(&'static str, Self); 8] = [
        ("price", Self::Price),
        ("year", Self::Year),
        ("imdb", Self::Imdb),
        ("votes", Self::Votes),
        ("rating", Self::Rating),
        ("popularity", Self::Popularity),
        ("name", Self::Name),
        ("created_at", Self::CreatedAt),
    ];
}

/// A sort key and direction, written `key` or `-key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Self {
            key: SortKey::CreatedAt,
            descending: true,
        }
    }
}

impl FromStr for Sort {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let (descending, name) = match value.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        SortKey::ALL
            .iter()
            .find(|(known, _)| *known == name)
            .map(|&(_, key)| Self { key, descending })
            .ok_or_else(|| {
                let names: Vec<&str> = SortKey::ALL.iter().map(|(n, _)| *n).collect();
                format!(
                    "must be one of {}, with a leading - for descending",
                    names.join(", ")
                )
            })
    }
}

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = SortKey::ALL
            .iter()
            .find(|(_, key)| *key == self.key)
            .map_or("", |(name, _)| name);
        write!(f, "{}{name}", if self.descending { "-" } else { "" })
    }
}

impl<'de> Deserialize<'de> for Sort {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_with_direction() {
        let sort: Sort = "-rating".parse().unwrap();
        assert_eq!((sort.key, sort.descending), (SortKey::Rating, true));
        assert_eq!("price".parse::<Sort>().unwrap().to_string(), "price");
        assert!("--price".parse::<Sort>().is_err());
        assert!("color".parse::<Sort>().is_err());
    }

    #[test]
    fn searches_count_words_but_not_their_or() {
        assert_eq!(search_words("frozen harbor"), 2);
        assert_eq!(search_words("  ocean's  eleven-two "), 4);
        assert_eq!(search_words("harbor or river OR \"the tower\" -ghost"), 5);
        let search = |text: String| MovieFilters {
            search: Some(text),
            ..Default::default()
        };
        let words: Vec<String> = (1..=20).map(|n| format!("word{n}")).collect();
        assert!(
            search(words[..MAX_SEARCH_WORDS].join(" or "))
                .validate()
                .is_ok()
        );
        let Err(ApiError::Validation(errors)) = search(words.join(" or ")).validate() else {
            panic!("20 words are refused");
        };
        assert_eq!(errors[0].field, "search");
    }

    #[test]
    fn the_word_limit_is_documented() {
        let params = MovieFilters::into_params(|| None);
        let search = params.iter().find(|p| p.name == "search").unwrap();
        let description = search.description.as_deref().unwrap_or_default();
        assert!(
            description.contains(&format!("At most {MAX_SEARCH_WORDS}")),
            "{description}"
        );
    }

    #[test]
    fn crossed_ranges_are_named() {
        let filters = MovieFilters {
            year_min: Some(2000),
            year_max: Some(1990),
            price_min: Some(Decimal::from(-1)),
            ..Default::default()
        };
        let Err(ApiError::Validation(errors)) = filters.validate() else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["year_max", "price_min"]);
    }
}
