//! Activation and password-reset tokens: one live token per user and purpose, stored as a
//! digest, single-use (consuming deletes it), time-limited.

use std::time::Duration;

use cinema_shared::{
    ApiError, AppState,
    client::ClientAddress,
    email::{EmailKind, EmailMessage},
    tokens,
};
use serde_json::json;
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

/// Issues a fresh token of `purpose` and queues the email that carries it to `email`. Call it
/// inside the transaction that goes with it: the message is queued before the commit, so a
/// queue outage writes nothing.
pub async fn send(
    conn: &mut PgConnection,
    state: &AppState,
    user_id: Uuid,
    email: &str,
    purpose: Purpose,
) -> Result<(), ApiError> {
    let policy = &state.config.accounts;
    let (ttl, kind, data): (Duration, EmailKind, fn(&str, Duration) -> serde_json::Value) =
        match purpose {
            Purpose::Activation => (
                policy.activation_ttl,
                EmailKind::Activation,
                |token, ttl| json!({"token": token, "valid_hours": ttl.as_secs() / 3600}),
            ),
            Purpose::PasswordReset => (
                policy.reset_ttl,
                EmailKind::PasswordReset,
                |token, ttl| json!({"token": token, "valid_minutes": ttl.as_secs() / 60}),
            ),
        };
    let token = issue(conn, user_id, purpose, ttl).await?;
    state
        .mail
        .enqueue(&EmailMessage {
            kind,
            to: email.to_owned(),
            data: data(&token, ttl),
        })
        .await?;
    Ok(())
}

/// The always-202 mailers (activation resend, forgotten password): counts the attempt against
/// the rate limits, then sends a token of `purpose` only if `email` belongs to an account that
/// can use it (inactive for activation, active for a reset). The caller answers 202 either way,
/// so the answer tells nothing about which emails are registered.
pub async fn send_if_eligible(
    state: &AppState,
    client: &ClientAddress,
    email: &str,
    purpose: Purpose,
) -> Result<(), ApiError> {
    let (action, eligible) = match purpose {
        Purpose::Activation => (
            "resend",
            "SELECT id FROM users WHERE email = $1 AND NOT is_active FOR UPDATE",
        ),
        Purpose::PasswordReset => (
            "forgot",
            "SELECT id FROM users WHERE email = $1 AND is_active",
        ),
    };
    crate::rate_limit::hit(
        &state.db,
        state.config.accounts.rate_window,
        &crate::signup::email_buckets(state, action, email, client),
    )
    .await?;
    let mut tx = state.db.begin().await?;
    let user: Option<Uuid> = sqlx::query_scalar(eligible)
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(user_id) = user {
        send(&mut tx, state, user_id, email, purpose).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A fresh token for `user_id`, replacing any earlier one of the same purpose.
async fn issue(
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
