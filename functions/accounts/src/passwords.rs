//! Forgotten, reset and changed passwords. A reset or change signs out the user's other
//! sessions and tells the user by email.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiError, AppState,
    auth::AuthUser,
    client::ClientAddress,
    email::{Email, EmailMessage},
    extract::{ApiJson, normalized_email},
    openapi::{self, JsonBody, NotJson, ProblemSchema, SignedInOnly},
    outbox, password, rate_limit,
};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    one_time_tokens::{self, Purpose},
    sessions,
    signup::EmailOnlyRequest,
};

#[derive(Serialize, ToSchema)]
pub struct Done {
    #[schema(example = "the password was changed")]
    pub detail: &'static str,
}

/// Emails a reset token to a registered, active account; always 202.
#[utoipa::path(
    post, path = "/api/v1/auth/password/forgot", tag = "accounts",
    request_body = EmailOnlyRequest,
    responses(
        (status = 202, description = "Accepted (whether or not the email is registered)"),
        (status = 429, description = "Too many requests; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
        JsonBody,
    )
)]
pub async fn forgot(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(body): ApiJson<EmailOnlyRequest>,
) -> Result<StatusCode, ApiError> {
    one_time_tokens::send_if_eligible(&state, &client, &body.email, Purpose::PasswordReset).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    #[serde(deserialize_with = "normalized_email")]
    #[schema(schema_with = openapi::email)]
    email: String,
    token: String,
    #[schema(schema_with = openapi::new_password)]
    new_password: String,
}

/// Sets a new password with the emailed token; every session of the user ends.
#[utoipa::path(
    post, path = "/api/v1/auth/password/reset", tag = "accounts",
    request_body = ResetRequest,
    responses(
        (status = 200, description = "Password reset; all sessions revoked", body = Done),
        (status = 400, description = "Malformed JSON, or token wrong, expired or used", body = ProblemSchema, content_type = "application/problem+json"),
        NotJson,
    )
)]
pub async fn reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<Json<Done>, ApiError> {
    password::check_strength("new_password", &body.new_password)?;
    let hash = password::hash(body.new_password).await?;
    let mut tx = state.db.begin().await?;
    let user_id =
        one_time_tokens::consume(&mut tx, &body.email, Purpose::PasswordReset, &body.token)
            .await?
            .ok_or_else(|| {
                ApiError::BadRequest("the reset token is wrong, expired or already used".into())
            })?;
    let staged = set_password(&mut tx, user_id, &hash, &body.email, None).await?;
    tx.commit().await?;
    state.relay.after_commit(staged);
    Ok(Json(Done {
        detail: "the password was reset; sign in with the new one",
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ChangeRequest {
    old_password: String,
    #[schema(schema_with = openapi::new_password)]
    new_password: String,
}

/// Changes the caller's password; the caller's other sessions end.
#[utoipa::path(
    post, path = "/api/v1/auth/password/change", tag = "accounts",
    request_body = ChangeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Password changed; other sessions revoked", body = Done),
        (status = 400, description = "Malformed JSON, or wrong old password", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "Too many password attempts; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
        NotJson,
    )
)]
pub async fn change(
    State(state): State<AppState>,
    user: AuthUser,
    client: ClientAddress,
    ApiJson(body): ApiJson<ChangeRequest>,
) -> Result<Json<Done>, ApiError> {
    password::check_strength("new_password", &body.new_password)?;
    let account: Option<(String, String)> =
        sqlx::query_as("SELECT email, password_hash FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_optional(&state.db)
            .await?;
    let (email, old_hash) =
        account.ok_or_else(|| ApiError::Unauthorized("the account no longer exists".into()))?;
    // The old password is a guess like a login's: a stolen access token must not make this
    // route an unlimited password oracle.
    rate_limit::password_attempt(&state.db, &state.config.accounts, &email, &client).await?;
    if !password::verify(body.old_password, Some(old_hash)).await? {
        return Err(ApiError::BadRequest("the old password is wrong".into()));
    }
    let hash = password::hash(body.new_password).await?;
    let mut tx = state.db.begin().await?;
    let staged = set_password(&mut tx, user.id, &hash, &email, Some(user.session_id)).await?;
    tx.commit().await?;
    state.relay.after_commit(staged);
    Ok(Json(Done {
        detail: "the password was changed; other sessions were signed out",
    }))
}

/// Stores the new hash, revokes sessions (but `keep`) and stages the "password changed" email;
/// returns the outbox ids to relay after commit.
async fn set_password(
    conn: &mut PgConnection,
    user_id: Uuid,
    hash: &str,
    email: &str,
    keep: Option<Uuid>,
) -> Result<outbox::Staged, ApiError> {
    sqlx::query("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    sessions::revoke_all(conn, user_id, keep).await?;
    Ok(outbox::stage(conn, &[EmailMessage::new(email, Email::PasswordChanged {})]).await?)
}
