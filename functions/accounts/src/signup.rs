//! Registration, activation and activation resends.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiError, AppState,
    client::ClientAddress,
    email::{Email, EmailMessage},
    error::{ResultExt, check_fields, garde_errors},
    extract::{ApiJson, normalized_email},
    openapi::{self, JsonBody, NotJson, ProblemSchema},
    outbox, password,
};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{
    ToSchema,
    openapi::{KnownFormat, Object, SchemaFormat},
};
use uuid::Uuid;

use crate::one_time_tokens::{self, Purpose};

#[derive(Deserialize, Validate, ToSchema)]
pub struct RegisterRequest {
    #[serde(deserialize_with = "normalized_email")]
    #[garde(email, length(max = 254))]
    #[schema(schema_with = new_email)]
    email: String,
    #[garde(skip)]
    #[schema(schema_with = openapi::new_password)]
    password: String,
}

/// The address of a new account: an email address (checked as such) besides what every email
/// field takes.
fn new_email() -> Object {
    let mut schema = openapi::email();
    schema.format = Some(SchemaFormat::KnownFormat(KnownFormat::Email));
    schema
}

/// An account as its owner sees it right after sign-up or activation.
#[derive(Serialize, ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub is_active: bool,
}

/// Creates an inactive account and emails its activation link.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created; activation email queued", body = Account),
        (status = 409, description = "Email already registered", body = ProblemSchema, content_type = "application/problem+json"),
        JsonBody,
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let mut errors = garde_errors(body.validate());
    errors.extend(password::strength_errors("password", &body.password));
    check_fields(errors)?;
    let hash = password::hash(body.password).await?;

    let mut tx = state.db.begin().await?;
    let id: Uuid =
        sqlx::query_scalar("INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id")
            .bind(&body.email)
            .bind(&hash)
            .fetch_one(&mut *tx)
            .await
            .on_constraint("users_email_key", || {
                ApiError::conflict("an account with this email already exists")
            })?;
    sqlx::query("INSERT INTO profiles (user_id) VALUES ($1)")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let staged =
        one_time_tokens::stage(&mut tx, &state, id, &body.email, Purpose::Activation).await?;
    tx.commit().await?;
    state.relay.after_commit(staged);
    Ok((
        StatusCode::CREATED,
        Json(Account {
            id,
            email: body.email,
            is_active: false,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ActivateRequest {
    #[serde(deserialize_with = "normalized_email")]
    #[schema(schema_with = openapi::email)]
    email: String,
    token: String,
}

/// Activates the account with the emailed token and sends the welcome email.
#[utoipa::path(
    post, path = "/api/v1/auth/activate", tag = "accounts",
    request_body = ActivateRequest,
    responses(
        (status = 200, description = "Account active; welcome email queued", body = Account),
        (status = 400, description = "Malformed JSON, or token wrong, expired or used", body = ProblemSchema, content_type = "application/problem+json"),
        NotJson,
    )
)]
pub async fn activate(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ActivateRequest>,
) -> Result<Json<Account>, ApiError> {
    let mut tx = state.db.begin().await?;
    let user_id = one_time_tokens::consume(&mut tx, &body.email, Purpose::Activation, &body.token)
        .await?
        .ok_or_else(|| {
            ApiError::BadRequest("the activation token is wrong, expired or already used".into())
        })?;
    sqlx::query("UPDATE users SET is_active = true, updated_at = now() WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let staged = outbox::stage(
        &mut tx,
        &[EmailMessage::new(&body.email, Email::Welcome {})],
    )
    .await?;
    tx.commit().await?;
    state.relay.after_commit(staged);
    Ok(Json(Account {
        id: user_id,
        email: body.email,
        is_active: true,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct EmailOnlyRequest {
    #[serde(deserialize_with = "normalized_email")]
    #[schema(schema_with = openapi::email)]
    pub email: String,
}

/// Sends a fresh activation token if the account exists and was never activated; always 202, so the
/// answer tells nothing about which emails are registered.
#[utoipa::path(
    post, path = "/api/v1/auth/activation/resend", tag = "accounts",
    request_body = EmailOnlyRequest,
    responses(
        (status = 202, description = "Accepted (whether or not the email is registered)"),
        (status = 429, description = "Too many requests; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
        JsonBody,
    )
)]
pub async fn resend_activation(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(body): ApiJson<EmailOnlyRequest>,
) -> Result<StatusCode, ApiError> {
    one_time_tokens::send_if_eligible(&state, &client, &body.email, Purpose::Activation).await?;
    Ok(StatusCode::ACCEPTED)
}
