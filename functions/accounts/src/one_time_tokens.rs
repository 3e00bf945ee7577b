//! Activation and password-reset tokens: one live token per user and purpose, stored as a
//! digest, single-use (consuming deletes it), time-limited.

use std::time::Duration;

use cinema_shared::tokens;
use sqlx::{PgConnection, postgres::PgQueryResult};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Activation,
    PasswordReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// A fresh token for `user_id`, replacing any earlier one of the same purpose.
pub async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    ttl: Duration,
) -> Result<String, sqlx::Error> {
    let (token, digest) = tokens::generate();
    let _: PgQueryResult = sqlx::query(
        "INSERT INTO account_tokens (user_id, purpose, token_hash, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))
         ON CONFLICT (user_id, purpose) DO UPDATE
           SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at,
               created_at = now()",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(digest)
    .bind(ttl.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(token)
}

/// Spends the token if it is the live, unexpired one of `email`; returns the user it was for.
pub async fn consume(
    conn: &mut PgConnection,
    email: &str,
    purpose: Purpose,
    token: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "DELETE FROM account_tokens t USING users u
         WHERE t.user_id = u.id AND u.email = $1 AND t.purpose = $2
           AND t.token_hash = $3 AND t.expires_at > now()
         RETURNING u.id",
    )
    .bind(email)
    .bind(purpose.as_str())
    .bind(tokens::digest(token))
    .fetch_optional(conn)
    .await
}
