//! Who is calling: access tokens (JWT, HS256, issuer and audience checked, `exp` enforced) and
//! the extractors that read them. [`AuthUser`] is any signed-in user; [`Require`] adds a
//! minimum role and is the one place roles are enforced.

use std::{fmt, marker::PhantomData, str::FromStr, sync::LazyLock, time::Duration};

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{config::JwtConfig, error::ApiError, state::AppState};

/// `user` < `moderator` < `admin`: a higher role has every right of a lower one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "user" => Ok(Self::User),
            "moderator" => Ok(Self::Moderator),
            "admin" => Ok(Self::Admin),
            other => Err(format!("{other:?} is not one of user, moderator, admin")),
        }
    }
}

/// The access token's claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    /// The login session (refresh token family) the token was issued in.
    pub sid: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signs an access token; returns it with its lifetime.
pub fn issue_access_token(
    jwt: &JwtConfig,
    user_id: Uuid,
    role: Role,
    session_id: Uuid,
) -> anyhow::Result<(String, Duration)> {
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: user_id,
        role,
        sid: session_id,
        iss: jwt.issuer.clone(),
        aud: jwt.audience.clone(),
        iat: now,
        exp: now + i64::try_from(jwt.access_ttl.as_secs())?,
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(jwt.secret.expose_secret().as_bytes()),
    )?;
    Ok((token, jwt.access_ttl))
}

/// Checks signature, algorithm (HS256 only, so `alg: none` fails), issuer, audience and expiry.
pub fn verify_access_token(jwt: &JwtConfig, token: &str) -> Result<Claims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[&jwt.issuer]);
    validation.set_audience(&[&jwt.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 0;
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(jwt.secret.expose_secret().as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|_| ApiError::Unauthorized("the access token is invalid or expired".into()))
}

/// A caller with a valid access token.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
    pub session_id: Uuid,
}

const SIGN_IN_HINT: &str =
    "sign up or log in, then send the access token as `Authorization: Bearer <token>`";

fn bearer_token(parts: &Parts) -> Option<Result<&str, ApiError>> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized(format!("malformed Authorization header; {SIGN_IN_HINT}"))
            }),
    )
}

/// `FROM ... WHERE ...` (SQL) of the account `user` when it is active and its session `session`
/// was not ended (logout, password reset, deactivation), over two uuid expressions: a token is
/// only as good as the account and session behind it, whatever its claims say.
fn live_account(user: &str, session: &str) -> String {
    format!(
        "FROM users u \
         JOIN login_sessions s ON s.user_id = u.id AND s.id = {session} AND s.revoked_at IS NULL \
         WHERE u.id = {user} AND u.is_active"
    )
}

/// The caller's role as the database has it now, if the account and session are live.
static CURRENT_ROLE: LazyLock<String> =
    LazyLock::new(|| format!("SELECT u.role {}", live_account("$1", "$2")));

/// The 401 of a verified token whose session has ended or whose account is not active.
pub fn session_ended() -> ApiError {
    ApiError::Unauthorized(format!(
        "the session has ended or the account is not active; {SIGN_IN_HINT}"
    ))
}

/// The condition (SQL) "account `user` is active and its session `session` is live", over two
/// uuid expressions: what [`AuthUser`] reads before a handler runs, for a statement that checks
/// it itself (see [`TokenHolder`]).
pub fn live_session(user: &str, session: &str) -> String {
    format!("EXISTS (SELECT 1 {})", live_account(user, session))
}

/// The holder of a verified access token (signature, issuer, audience, expiry), whose account
/// and session are not read here: only for a handler whose one statement checks
/// [`live_session`] itself and answers [`session_ended`] when it fails (the lists of the
/// caller's own movies), saving a round trip. A ban or a logout holds at once all the same.
/// Every other handler takes [`AuthUser`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenHolder {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

/// The verified claims of the request's bearer token.
fn bearer_claims(parts: &Parts, state: &AppState) -> Result<Claims, ApiError> {
    let token = bearer_token(parts).ok_or_else(|| {
        ApiError::Unauthorized(format!("authentication required: {SIGN_IN_HINT}"))
    })??;
    verify_access_token(&state.config.jwt, token)
}

impl FromRequestParts<AppState> for TokenHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = bearer_claims(parts, state)?;
        Ok(Self {
            user_id: claims.sub,
            session_id: claims.sid,
        })
    }
}

/// A caller who may be anonymous, as a [`TokenHolder`]: a token that is present must verify,
/// and the handler's statement checks its account and session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeTokenHolder(pub Option<TokenHolder>);

impl FromRequestParts<AppState> for MaybeTokenHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if bearer_token(parts).is_none() {
            return Ok(Self(None));
        }
        TokenHolder::from_request_parts(parts, state)
            .await
            .map(|holder| Self(Some(holder)))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = bearer_claims(parts, state)?;
        let role: String = state
            .reads
            .fetch_optional(
                sqlx::query_scalar(CURRENT_ROLE.as_str())
                    .bind(claims.sub)
                    .bind(claims.sid),
            )
            .await?
            .ok_or_else(session_ended)?;
        Ok(Self {
            id: claims.sub,
            role: role
                .parse()
                .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?,
            session_id: claims.sid,
        })
    }
}

/// A caller who may be anonymous; a token that is present must still be valid.
#[derive(Debug, Clone, Copy)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if bearer_token(parts).is_none() {
            return Ok(Self(None));
        }
        AuthUser::from_request_parts(parts, state)
            .await
            .map(|user| Self(Some(user)))
    }
}

/// The lowest role a route admits.
pub trait MinimumRole {
    const ROLE: Role;
}

pub enum ModeratorRole {}
impl MinimumRole for ModeratorRole {
    const ROLE: Role = Role::Moderator;
}

pub enum AdminRole {}
impl MinimumRole for AdminRole {
    const ROLE: Role = Role::Admin;
}

/// A signed-in caller whose role is at least `R::ROLE`: 401 without a valid token, 403 with too
/// low a role.
pub struct Require<R: MinimumRole>(pub AuthUser, PhantomData<R>);

pub type Moderator = Require<ModeratorRole>;
pub type Admin = Require<AdminRole>;

impl<R: MinimumRole> Require<R> {
    pub fn user(&self) -> AuthUser {
        self.0
    }
}

impl<R: MinimumRole> FromRequestParts<AppState> for Require<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role < R::ROLE {
            return Err(ApiError::Forbidden(format!(
                "this action needs the {} role",
                R::ROLE
            )));
        }
        Ok(Self(user, PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn jwt() -> JwtConfig {
        JwtConfig {
            secret: SecretString::from("unit-test-secret-that-is-long-enough!!"),
            issuer: "cinema".into(),
            audience: "cinema-api".into(),
            access_ttl: Duration::from_secs(900),
        }
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let user = Uuid::new_v4();
        let session = Uuid::new_v4();
        let (token, ttl) = issue_access_token(&jwt(), user, Role::Moderator, session).unwrap();
        assert_eq!(ttl.as_secs(), 900);
        let claims = verify_access_token(&jwt(), &token).unwrap();
        assert_eq!(
            (claims.sub, claims.role, claims.sid),
            (user, Role::Moderator, session)
        );
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::User < Role::Moderator && Role::Moderator < Role::Admin);
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert!("root".parse::<Role>().is_err());
    }
}
