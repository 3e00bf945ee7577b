//! The caller's own account and profile.

use axum::{Json, extract::State};
use chrono::{DateTime, Months, NaiveDate, Utc};
use cinema_shared::{
    ApiError, AppState,
    auth::AuthUser,
    error::{FieldError, check_fields},
    extract::{ApiJson, nullable},
    openapi::{self, JsonBody, SignedInOnly},
    text,
};
use serde::{Deserialize, Serialize};
use utoipa::{
    ToSchema,
    openapi::{Object, Type},
};
use uuid::Uuid;

/// How long the avatar link in `GET /users/me` works.
const MAX_NAME_CHARS: usize = 50;
const MAX_INFO_CHARS: usize = 2000;
/// Nobody alive was born longer ago than this.
const MAX_AGE_YEARS: u32 = 130;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
    NonBinary,
    Other,
    PreferNotToSay,
}

#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct Profile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub gender: Option<Gender>,
    pub date_of_birth: Option<NaiveDate>,
    pub info: Option<String>,
}

/// The caller's account, profile and role.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    #[schema(example = "user")]
    pub role: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub profile: Profile,
    /// A short-lived link to the avatar, when one was uploaded.
    pub avatar_url: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MeRow {
    id: Uuid,
    email: String,
    role: String,
    is_active: bool,
    created_at: DateTime<Utc>,
    avatar_key: Option<String>,
    #[sqlx(flatten)]
    profile: Profile,
}

async fn load_me(state: &AppState, user_id: Uuid) -> Result<Me, ApiError> {
    let row: MeRow = sqlx::query_as(
        "SELECT u.id, u.email, u.role, u.is_active, u.created_at, p.avatar_key,
                p.first_name, p.last_name, p.gender, p.date_of_birth, p.info
         FROM users u LEFT JOIN profiles p ON p.user_id = u.id
         WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(|| ApiError::Unauthorized("the account no longer exists".into()))?;
    let avatar_url = match &row.avatar_key {
        Some(key) => Some(state.storage.avatar_url(key).await?),
        None => None,
    };
    Ok(Me {
        id: row.id,
        email: row.email,
        role: row.role,
        is_active: row.is_active,
        created_at: row.created_at,
        profile: row.profile,
        avatar_url,
    })
}

/// The caller's account.
#[utoipa::path(
    get, path = "/api/v1/users/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = Me),
        SignedInOnly,
    )
)]
pub async fn get_me(State(state): State<AppState>, user: AuthUser) -> Result<Json<Me>, ApiError> {
    Ok(Json(load_me(&state, user.id).await?))
}

/// A profile change: an absent field stays as it is, `null` clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = name_schema)]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = name_schema)]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Gender>)]
    gender: Option<Option<Gender>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    date_of_birth: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = info_schema)]
    info: Option<Option<String>>,
}

/// A first or last name ([`text::person_name`]), or null to clear it.
fn name_schema() -> Object {
    openapi::or_null(
        openapi::text(1, MAX_NAME_CHARS, text::PERSON_NAME),
        Type::String,
    )
    .description(Some(
        "Letters, spaces and hyphens, with at least one letter; spaces around it are trimmed.",
    ))
    .examples(["Lee-Smith"])
    .build()
}

/// Free text over lines, or null to clear it.
fn info_schema() -> Object {
    openapi::or_null(
        openapi::text(0, MAX_INFO_CHARS, text::MULTILINE),
        Type::String,
    )
    .build()
}

fn check_name(field: &str, value: &mut Option<Option<String>>, errors: &mut Vec<FieldError>) {
    let Some(Some(name)) = value else { return };
    match text::person_name(name, MAX_NAME_CHARS) {
        Ok(trimmed) => *name = trimmed,
        Err(message) => errors.push(FieldError::new(field, message)),
    }
}

/// What is wrong with `born` as a birth date on `today`, if anything. The earliest date is
/// counted in months, so on 29 February it is 28 February of a common year, not no bound at all.
fn birth_date_problem(born: NaiveDate, today: NaiveDate) -> Option<String> {
    let earliest = today.checked_sub_months(Months::new(12 * MAX_AGE_YEARS))?;
    if born >= today {
        Some("must be in the past".to_owned())
    } else if born < earliest {
        Some(format!("must be within the last {MAX_AGE_YEARS} years"))
    } else {
        None
    }
}

impl ProfilePatch {
    /// Checks every field and trims the names.
    fn validate(&mut self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        check_name("first_name", &mut self.first_name, &mut errors);
        check_name("last_name", &mut self.last_name, &mut errors);
        if let Some(Some(born)) = self.date_of_birth
            && let Some(problem) = birth_date_problem(born, Utc::now().date_naive())
        {
            errors.push(FieldError::new("date_of_birth", problem));
        }
        if let Some(Some(info)) = &self.info
            && info.chars().count() > MAX_INFO_CHARS
        {
            errors.push(FieldError::new(
                "info",
                format!("must be at most {MAX_INFO_CHARS} characters"),
            ));
        }
        if let Some(Some(info)) = &self.info
            && !text::is_multiline(info)
        {
            errors.push(FieldError::new("info", text::NO_CONTROL_CHARACTERS));
        }
        check_fields(errors)
    }
}

/// Updates the caller's profile.
#[utoipa::path(
    patch, path = "/api/v1/users/me/profile", tag = "accounts",
    request_body = ProfilePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated account", body = Me),
        SignedInOnly,
        JsonBody,
    )
)]
pub async fn update_profile(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(mut patch): ApiJson<ProfilePatch>,
) -> Result<Json<Me>, ApiError> {
    patch.validate()?;
    // Each field is bound as (was it given, its value), so one statement serves every patch.
    sqlx::query("INSERT INTO profiles (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING")
        .bind(user.id)
        .execute(&state.db)
        .await?;
    sqlx::query(
        "UPDATE profiles SET
           first_name = CASE WHEN $2 THEN $3 ELSE first_name END,
           last_name = CASE WHEN $4 THEN $5 ELSE last_name END,
           gender = CASE WHEN $6 THEN $7 ELSE gender END,
           date_of_birth = CASE WHEN $8 THEN $9 ELSE date_of_birth END,
           info = CASE WHEN $10 THEN $11 ELSE info END,
           updated_at = now()
         WHERE user_id = $1",
    )
    .bind(user.id)
    .bind(patch.first_name.is_some())
    .bind(patch.first_name.flatten())
    .bind(patch.last_name.is_some())
    .bind(patch.last_name.flatten())
    .bind(patch.gender.is_some())
    .bind(patch.gender.flatten())
    .bind(patch.date_of_birth.is_some())
    .bind(patch.date_of_birth.flatten())
    .bind(patch.info.is_some())
    .bind(patch.info.flatten())
    .execute(&state.db)
    .await?;
    Ok(Json(load_me(&state, user.id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_birth_date_bound_holds_on_leap_day() {
        let leap_day = date("2028-02-29");
        assert!(birth_date_problem(date("1897-01-01"), leap_day).is_some());
        assert!(birth_date_problem(date("1898-02-27"), leap_day).is_some());
        assert_eq!(birth_date_problem(date("1898-02-28"), leap_day), None);
        assert_eq!(birth_date_problem(date("1990-06-15"), leap_day), None);
        assert!(birth_date_problem(leap_day, leap_day).is_some());
    }
}
