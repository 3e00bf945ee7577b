//! Login, refresh-token rotation and logout.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiError, AppState,
    auth::{AuthUser, Role, issue_access_token},
    client::ClientAddress,
    extract::{ApiJson, normalized_email},
    openapi::{self, JsonBody, ProblemSchema, SignedInOnly},
    password, rate_limit,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::sessions::{self, Spend};

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[serde(deserialize_with = "normalized_email")]
    #[schema(schema_with = openapi::email)]
    email: String,
    password: String,
}

/// An access token and the refresh token that renews it.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
}

/// Signs an access token and pairs it with `refresh_token`.
pub fn token_pair(
    state: &AppState,
    user_id: Uuid,
    role: Role,
    refresh: sessions::NewRefreshToken,
) -> Result<TokenPair, ApiError> {
    let (access_token, ttl) =
        issue_access_token(&state.config.jwt, user_id, role, refresh.family_id)?;
    Ok(TokenPair {
        access_token,
        refresh_token: refresh.token,
        token_type: "bearer",
        expires_in: ttl.as_secs(),
    })
}

/// Starts a session.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong email or password", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "Account not activated yet, or deactivated by an administrator", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
        JsonBody,
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let policy = &state.config.accounts;
    rate_limit::password_attempt(&state.db, policy, &body.email, &client).await?;
    let account: Option<(Uuid, String, String, bool, bool)> = sqlx::query_as(
        "SELECT id, password_hash, role, is_active, deactivated_at IS NOT NULL
         FROM users WHERE email = $1",
    )
    .bind(&body.email)
    .fetch_optional(&state.db)
    .await?;
    let hash = account.as_ref().map(|(_, hash, ..)| hash.clone());
    // Verified even for unknown emails, so timing does not tell which emails exist.
    if !password::verify(body.password, hash).await? {
        return Err(ApiError::Unauthorized("wrong email or password".into()));
    }
    let Some((user_id, _, role, is_active, deactivated)) = account else {
        return Err(ApiError::Unauthorized("wrong email or password".into()));
    };
    if deactivated {
        return Err(ApiError::Forbidden(
            "this account was deactivated by an administrator; contact support".into(),
        ));
    }
    if !is_active {
        return Err(ApiError::Forbidden(
            "the account is not active: activate it with the link in the activation email".into(),
        ));
    }
    let role: Role = role
        .parse()
        .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?;
    let mut tx = state.db.begin().await?;
    let refresh = sessions::start(&mut tx, user_id, policy.refresh_ttl).await?;
    tx.commit().await?;
    Ok(Json(token_pair(&state, user_id, role, refresh)?))
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// Trades a refresh token for a new pair; the old one is spent.
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = TokenPair),
        (status = 401, description = "Invalid, expired, spent (the session is then revoked) or revoked token", body = ProblemSchema, content_type = "application/problem+json"),
        JsonBody,
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    // Spending the old token and storing the new one commit together: a failure between them
    // must not leave the caller with neither.
    let mut tx = state.db.begin().await?;
    let rotation = match sessions::spend(&mut tx, &body.refresh_token).await? {
        Spend::Rotated(rotation) => rotation,
        Spend::Refused => {
            tx.commit().await?;
            return Err(sessions::refused());
        }
    };
    let refresh = sessions::issue(
        &mut tx,
        rotation.user_id,
        rotation.family_id,
        state.config.accounts.refresh_ttl,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(token_pair(
        &state,
        rotation.user_id,
        rotation.role,
        refresh,
    )?))
}

/// Ends the session the refresh token belongs to.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "accounts",
    request_body = RefreshRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The session's refresh tokens no longer work"),
        SignedInOnly,
        JsonBody,
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    // Only the caller's own session can be ended; someone else's token is quietly ignored.
    if let Some(family_id) = sessions::family_of(&state.db, user.id, &body.refresh_token).await? {
        sessions::revoke_family(&state.db, family_id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
