//! Login sessions: opaque refresh tokens, stored as digests, rotated on every use. Each login
//! starts a family; presenting a spent token revokes the whole family, since one of the two
//! holders of that token is not its owner.

use std::time::Duration;

use cinema_shared::{ApiError, auth::Role, tokens};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A refresh token handed to the client, with the family it belongs to.
pub struct NewRefreshToken {
    pub token: String,
    pub family_id: Uuid,
}

/// Stores a new refresh token in `family_id`.
pub async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    family_id: Uuid,
    ttl: Duration,
) -> Result<NewRefreshToken, sqlx::Error> {
    let (token, digest) = tokens::generate();
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
    )
    .bind(digest)
    .bind(user_id)
    .bind(family_id)
    .bind(ttl.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(NewRefreshToken { token, family_id })
}

/// Who a spent refresh token belonged to.
pub struct Rotation {
    pub user_id: Uuid,
    pub role: Role,
    pub family_id: Uuid,
}

/// What presenting a refresh token came to.
pub enum Spend {
    /// The token is spent now; its owner gets a new one in the same family.
    Rotated(Rotation),
    /// Invalid, expired, spent before, revoked or owned by an inactive account. Any revocation
    /// this caused must be committed.
    Refused,
}

/// The answer to a refused refresh token.
pub fn refused() -> ApiError {
    ApiError::Unauthorized("the refresh token is invalid, expired or revoked".into())
}

/// Starts a login session for `user_id` with its first refresh token.
pub async fn start(
    conn: &mut PgConnection,
    user_id: Uuid,
    ttl: Duration,
) -> Result<NewRefreshToken, sqlx::Error> {
    let family_id: Uuid = sqlx::query_scalar(
        "INSERT INTO login_sessions (id, user_id) VALUES (gen_random_uuid(), $1) RETURNING id",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    issue(conn, user_id, family_id, ttl).await
}

/// Spends `token` and returns its owner, or refuses it. A spent token revokes its family; an
/// inactive owner revokes it too.
///
/// The session row is locked first and held until the caller commits the new token: a
/// revocation (logout, reset, reuse, deactivation) of the same session waits for the rotation
/// and then revokes what it made, or goes first and the rotation is refused. Two concurrent
/// spends of one token queue on the same lock, and the second finds it spent.
pub async fn spend(conn: &mut PgConnection, token: &str) -> Result<Spend, ApiError> {
    let digest = tokens::digest(token);
    let session: Option<(Uuid, bool)> = sqlx::query_as(
        "SELECT s.id, s.revoked_at IS NULL FROM refresh_tokens r
         JOIN login_sessions s ON s.id = r.family_id
         WHERE r.token_hash = $1
         FOR UPDATE OF s",
    )
    .bind(&digest)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((family_id, true)) = session else {
        return Ok(Spend::Refused);
    };
    let spent: Option<(Uuid, String, bool)> = sqlx::query_as(
        "UPDATE refresh_tokens r SET spent_at = now()
         FROM users u
         WHERE r.token_hash = $1 AND r.user_id = u.id
           AND r.spent_at IS NULL AND r.expires_at > now()
         RETURNING r.user_id, u.role, u.is_active",
    )
    .bind(&digest)
    .fetch_optional(&mut *conn)
    .await?;
    match spent {
        Some((user_id, role, true)) => Ok(Spend::Rotated(Rotation {
            user_id,
            role: role
                .parse()
                .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?,
            family_id,
        })),
        Some((_, _, false)) => {
            revoke_family(conn, family_id).await?;
            Ok(Spend::Refused)
        }
        None => {
            let reused: bool = sqlx::query_scalar(
                "SELECT spent_at IS NOT NULL FROM refresh_tokens WHERE token_hash = $1",
            )
            .bind(&digest)
            .fetch_one(&mut *conn)
            .await?;
            if reused {
                tracing::warn!(%family_id, "spent refresh token presented; session revoked");
                revoke_family(conn, family_id).await?;
            }
            Ok(Spend::Refused)
        }
    }
}

pub async fn revoke_family(
    db: impl sqlx::PgExecutor<'_>,
    family_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(family_id)
        .execute(db)
        .await
        .map(drop)
}

/// Revokes every session of the user, but `keep` (the caller's own) when given. A rotation in
/// flight holds its session's row: this waits for it, then revokes the session it extended.
pub async fn revoke_all(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE login_sessions SET revoked_at = now()
         WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2",
    )
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await
    .map(drop)
}

/// The family of `token` if it belongs to `user_id`.
pub async fn family_of(
    db: &PgPool,
    user_id: Uuid,
    token: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2",
    )
    .bind(tokens::digest(token))
    .bind(user_id)
    .fetch_optional(db)
    .await
}
