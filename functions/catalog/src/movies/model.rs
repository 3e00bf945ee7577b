//! What the movie routes take and give, and the checks on what they take.

use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError,
    error::FieldError,
    extract::{not_null, nullable},
    openapi, text,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{
    IntoParams, ToSchema,
    openapi::{Object, Type},
};
use uuid::Uuid;

use crate::{
    decimal::{self, GROSS_DIGITS, PRICE_DIGITS},
    listing::Named,
};

/// A movie with everything about it. With a bearer token it also carries the caller's own
/// reaction, rating, favorite, cart and purchase state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MovieDetail {
    pub id: Uuid,
    pub name: String,
    pub year: i32,
    /// Running time in minutes.
    pub time: i32,
    #[schema(example = 8.1)]
    pub imdb: f64,
    pub votes: i64,
    pub meta_score: Option<i32>,
    /// Box-office gross, two places.
    #[schema(value_type = Option<String>, example = "28341469.00")]
    pub gross: Option<Decimal>,
    pub description: String,
    #[schema(value_type = String, example = "9.99")]
    pub price: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
    /// Whether it can be bought now (it stays visible either way).
    pub is_available: bool,
    pub certification: Named,
    pub genres: Vec<Named>,
    pub directors: Vec<Named>,
    pub stars: Vec<Named>,
    pub likes: i64,
    pub dislikes: i64,
    /// Mean of the current ratings (1-10), two places; null while unrated.
    #[schema(example = 7.25)]
    pub average_rating: Option<f64>,
    pub ratings_count: i64,
    pub comments_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A link to its poster once one was uploaded (it works for an hour).
    #[serde(default)]
    pub poster_url: Option<String>,
    /// Where the poster is in the media bucket: the link is made from it.
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub poster_key: Option<String>,
    /// Only with a bearer token.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub viewer: Option<ViewerState>,
}

/// The caller's own relation to a movie.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ViewerState {
    /// `like`, `dislike` or null.
    #[schema(example = "like")]
    pub my_reaction: Option<String>,
    /// 1-10 or null.
    pub my_rating: Option<i32>,
    pub is_favorite: bool,
    pub in_cart: bool,
    pub is_purchased: bool,
}

/// A new movie. Money is a decimal string (`"9.99"`); related ids must exist.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMovie {
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[schema(minimum = 1888, maximum = 2100, example = 1949)]
    pub year: i32,
    /// Minutes.
    #[schema(minimum = 1, maximum = 1000, example = 104)]
    pub time: i32,
    /// At most one decimal place.
    #[schema(minimum = 0, maximum = 10, multiple_of = 0.1, example = 8.1)]
    pub imdb: f64,
    #[schema(minimum = 0, maximum = 2147483647, example = 175000)]
    pub votes: i64,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub meta_score: Option<i32>,
    #[serde(default)]
    #[schema(schema_with = gross_schema)]
    pub gross: Option<String>,
    #[schema(schema_with = description_schema)]
    pub description: String,
    #[schema(schema_with = price_schema)]
    pub price: String,
    #[schema(minimum = 1)]
    pub certification_id: i64,
    #[serde(default)]
    #[schema(schema_with = openapi::ids)]
    pub genre_ids: Vec<i64>,
    #[serde(default)]
    #[schema(schema_with = openapi::ids)]
    pub director_ids: Vec<i64>,
    #[serde(default)]
    #[schema(schema_with = openapi::ids)]
    pub star_ids: Vec<i64>,
    /// Whether it can be bought now; default true.
    #[serde(default)]
    pub is_available: Option<bool>,
}

/// Changes to a movie: only the fields present change; `meta_score` and `gross` may be set to
/// null; a list of ids replaces the movie's current links of that kind.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoviePatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = name_schema)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, minimum = 1888, maximum = 2100)]
    pub year: Option<i32>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, minimum = 1, maximum = 1000)]
    pub time: Option<i32>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, minimum = 0, maximum = 10, multiple_of = 0.1)]
    pub imdb: Option<f64>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, minimum = 0, maximum = 2147483647)]
    pub votes: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 100)]
    pub meta_score: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = gross_schema)]
    pub gross: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = price_schema)]
    pub price: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, minimum = 1)]
    pub certification_id: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = openapi::ids)]
    pub genre_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = openapi::ids)]
    pub director_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = openapi::ids)]
    pub star_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub is_available: Option<bool>,
}

const MAX_NAME_CHARS: usize = 255;
const MAX_DESCRIPTION_CHARS: usize = 10_000;

fn name_schema() -> Object {
    openapi::text(1, MAX_NAME_CHARS, text::ONE_LINE_NOT_BLANK)
        .description(Some("One line, not blank; trimmed."))
        .examples(["The Third Man"])
        .build()
}

fn description_schema() -> Object {
    openapi::text(1, MAX_DESCRIPTION_CHARS, text::MULTILINE_NOT_BLANK)
        .description(Some("Not blank; trimmed."))
        .build()
}

fn price_schema() -> Object {
    decimal::money_schema(PRICE_DIGITS, "7.99").build()
}

/// Box-office gross, or null.
fn gross_schema() -> Object {
    openapi::or_null(
        decimal::money_schema(GROSS_DIGITS, "449660.00"),
        Type::String,
    )
    .build()
}

/// `?force=true` takes the movie out of every cart first.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Delete even when the movie sits in carts; their owners are notified.
    pub force: Option<bool>,
}

impl From<NewMovie> for MoviePatch {
    fn from(movie: NewMovie) -> Self {
        Self {
            name: Some(movie.name),
            year: Some(movie.year),
            time: Some(movie.time),
            imdb: Some(movie.imdb),
            votes: Some(movie.votes),
            meta_score: Some(movie.meta_score),
            gross: Some(movie.gross),
            description: Some(movie.description),
            price: Some(movie.price),
            certification_id: Some(movie.certification_id),
            genre_ids: Some(movie.genre_ids),
            director_ids: Some(movie.director_ids),
            star_ids: Some(movie.star_ids),
            is_available: Some(movie.is_available.unwrap_or(true)),
        }
    }
}

/// The largest price `numeric(10, 2)` holds, and the largest gross of `numeric(14, 2)`.
const MAX_PRICE: Decimal = Decimal::from_parts(1410065407, 2, 0, false, 2);
const MAX_GROSS: Decimal = Decimal::from_parts(276447231, 23283, 0, false, 2);

/// Checked, normalized changes, ready to write.
#[derive(Debug, Default)]
pub struct Changes {
    pub name: Option<String>,
    pub year: Option<i32>,
    pub time: Option<i32>,
    pub imdb: Option<Decimal>,
    pub votes: Option<i32>,
    pub meta_score: Option<Option<i32>>,
    pub gross: Option<Option<Decimal>>,
    pub description: Option<String>,
    pub price: Option<Decimal>,
    pub certification_id: Option<i64>,
    pub genre_ids: Option<Vec<i64>>,
    pub director_ids: Option<Vec<i64>>,
    pub star_ids: Option<Vec<i64>>,
    pub is_available: Option<bool>,
}

/// `text` as money with at most `digits` digits before the point, two after it, and at most
/// `max`; a field error otherwise (and zero in its place).
fn money(
    field: &str,
    text: &str,
    digits: usize,
    max: Decimal,
    errors: &mut Vec<FieldError>,
) -> Decimal {
    match decimal::money(text, digits) {
        Ok(value) if value <= max => {
            let mut value = value;
            value.rescale(2);
            value
        }
        Ok(_) => {
            errors.push(FieldError::new(field, format!("must be at most {max}")));
            Decimal::ZERO
        }
        Err(message) => {
            errors.push(FieldError::new(field, message));
            Decimal::ZERO
        }
    }
}

fn ids(field: &str, ids: Vec<i64>, errors: &mut Vec<FieldError>) -> Vec<i64> {
    if ids.iter().any(|&id| id < 1) {
        errors.push(FieldError::new(field, "ids are positive integers"));
    }
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    ids
}

impl MoviePatch {
    /// Checks every present field, naming each broken one.
    pub fn validate(self) -> Result<Changes, ApiError> {
        let mut errors = Vec::new();
        let mut checked_text = |field: &str,
                                value: Option<String>,
                                check: fn(&str, usize) -> Result<String, String>,
                                max: usize| {
            value.map(|value| {
                check(&value, max).unwrap_or_else(|message| {
                    errors.push(FieldError::new(field, message));
                    value
                })
            })
        };
        let name = checked_text("name", self.name, text::one_line_text, MAX_NAME_CHARS);
        let description = checked_text(
            "description",
            self.description,
            text::multiline_text,
            MAX_DESCRIPTION_CHARS,
        );
        if self.year.is_some_and(|year| !(1888..=2100).contains(&year)) {
            errors.push(FieldError::new("year", "must be between 1888 and 2100"));
        }
        if self.time.is_some_and(|time| !(1..=1000).contains(&time)) {
            errors.push(FieldError::new(
                "time",
                "must be between 1 and 1000 minutes",
            ));
        }
        // One decimal place as the number was written (its shortest form), which is how JSON
        // Schema's `multipleOf: 0.1` reads it too: 7.3 is, 0.30000000000000004 is not.
        let imdb = self.imdb.map(|imdb| {
            match imdb
                .to_string()
                .parse::<Decimal>()
                .ok()
                .map(|value| value.normalize())
                .filter(|value| {
                    value.scale() <= 1 && (Decimal::ZERO..=Decimal::TEN).contains(value)
                }) {
                Some(mut value) => {
                    value.rescale(1);
                    value
                }
                None => {
                    errors.push(FieldError::new(
                        "imdb",
                        "must be between 0 and 10 with at most one decimal place",
                    ));
                    Decimal::ZERO
                }
            }
        });
        let votes = self.votes.map(|votes| {
            i32::try_from(votes)
                .ok()
                .filter(|v| *v >= 0)
                .unwrap_or_else(|| {
                    errors.push(FieldError::new("votes", "must be between 0 and 2147483647"));
                    0
                })
        });
        if self
            .meta_score
            .flatten()
            .is_some_and(|score| !(0..=100).contains(&score))
        {
            errors.push(FieldError::new("meta_score", "must be between 0 and 100"));
        }
        let gross = self
            .gross
            .map(|gross| gross.map(|g| money("gross", &g, GROSS_DIGITS, MAX_GROSS, &mut errors)));
        let price = self
            .price
            .map(|p| money("price", &p, PRICE_DIGITS, MAX_PRICE, &mut errors));
        if self.certification_id.is_some_and(|id| id < 1) {
            errors.push(FieldError::new(
                "certification_id",
                "ids are positive integers",
            ));
        }
        let genre_ids = self.genre_ids.map(|v| ids("genre_ids", v, &mut errors));
        let director_ids = self
            .director_ids
            .map(|v| ids("director_ids", v, &mut errors));
        let star_ids = self.star_ids.map(|v| ids("star_ids", v, &mut errors));
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Changes {
            name,
            year: self.year,
            time: self.time,
            imdb,
            votes,
            meta_score: self.meta_score,
            gross,
            description,
            price,
            certification_id: self.certification_id,
            genre_ids,
            director_ids,
            star_ids,
            is_available: self.is_available,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(patch: MoviePatch) -> Vec<String> {
        match patch.validate() {
            Ok(_) => vec![],
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn money_has_two_places_at_most() {
        let ok = MoviePatch {
            price: Some("9.9".into()),
            ..Default::default()
        };
        assert_eq!(ok.validate().unwrap().price.unwrap().to_string(), "9.90");
        let bad = MoviePatch {
            price: Some("9.999".into()),
            gross: Some(Some("-1".into())),
            ..Default::default()
        };
        assert_eq!(fields(bad), ["gross", "price"]);
    }

    #[test]
    fn the_limits_are_what_the_columns_hold() {
        assert_eq!(MAX_PRICE.to_string(), "99999999.99");
        assert_eq!(MAX_GROSS.to_string(), "999999999999.99");
    }

    #[test]
    fn imdb_has_one_place_in_range() {
        let good = MoviePatch {
            imdb: Some(7.3),
            ..Default::default()
        };
        assert_eq!(good.validate().unwrap().imdb.unwrap().to_string(), "7.3");
        for bad in [10.5, -1.0, 7.25, 0.1 + 0.2, 1e-7] {
            let patch = MoviePatch {
                imdb: Some(bad),
                ..Default::default()
            };
            assert_eq!(fields(patch), ["imdb"], "{bad}");
        }
    }

    #[test]
    fn blank_text_and_duplicate_ids() {
        let patch = MoviePatch {
            name: Some("  ".into()),
            genre_ids: Some(vec![2, 1, 2]),
            ..Default::default()
        };
        assert_eq!(fields(patch), ["name"]);
        let patch = MoviePatch {
            genre_ids: Some(vec![2, 1, 2]),
            ..Default::default()
        };
        assert_eq!(patch.validate().unwrap().genre_ids.unwrap(), [1, 2]);
    }
}
