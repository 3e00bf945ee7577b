//! Activation and password-reset tokens: one live token per user and purpose, stored as a
//! digest, single-use (consuming deletes it), time-limited.

use std::time::Duration;

use cinema_shared::{
    ApiError, AppState,
    client::ClientAddress,
    email::{Email, EmailMessage},
    outbox, rate_limit, tokens,
};
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

/// Issues a fresh token of `purpose` and stages the email that carries it to `email`, in the
/// caller's transaction; returns the outbox ids to relay after commit.
pub async fn stage(
    conn: &mut PgConnection,
    state: &AppState,
    user_id: Uuid,
    email: &str,
    purpose: Purpose,
) -> Result<outbox::Staged, ApiError> {
    let policy = &state.config.accounts;
    let ttl = match purpose {
        Purpose::Activation => policy.activation_ttl,
        Purpose::PasswordReset => policy.reset_ttl,
    };
    let token = issue(conn, user_id, purpose, ttl).await?;
    let email_kind = match purpose {
        Purpose::Activation => Email::Activation {
            token,
            valid_hours: ttl.as_secs() / 3600,
        },
        Purpose::PasswordReset => Email::PasswordReset {
            token,
            valid_minutes: ttl.as_secs() / 60,
        },
    };
    Ok(outbox::stage(conn, &[EmailMessage::new(email, email_kind)]).await?)
}

/// The always-202 mailers (activation resend, forgotten password): counts the attempt against
/// the rate limits, then issues a token of `purpose` only if `email` belongs to an account that
/// can use it (never activated for activation, active for a reset). The caller answers 202
/// either way, and no queue call happens before it answers: an answer's content and timing
/// tell nothing about which emails are registered, and a queue outage changes neither.
pub async fn send_if_eligible(
    state: &AppState,
    client: &ClientAddress,
    email: &str,
    purpose: Purpose,
) -> Result<(), ApiError> {
    let (action, eligible) = match purpose {
        Purpose::Activation => (
            "resend",
            "SELECT id FROM users
             WHERE email = $1 AND NOT is_active AND deactivated_at IS NULL FOR UPDATE",
        ),
        Purpose::PasswordReset => (
            "forgot",
            "SELECT id FROM users WHERE email = $1 AND is_active FOR UPDATE",
        ),
    };
    rate_limit::email_request(&state.db, &state.config.accounts, action, email, client).await?;
    let mut tx = state.db.begin().await?;
    let user: Option<Uuid> = sqlx::query_scalar(eligible)
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
    let staged = match user {
        Some(user_id) => stage(&mut tx, state, user_id, email, purpose).await?,
        None => outbox::Staged::default(),
    };
    tx.commit().await?;
    state.relay.after_commit(staged);
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

/// Spends the token if it is the live, unexpired one of `email` and the account can still use
/// it (activation: never activated and not deactivated; reset: active); returns the user.
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
           AND CASE t.purpose WHEN 'activation' THEN NOT u.is_active AND u.deactivated_at IS NULL
                              ELSE u.is_active END
         RETURNING u.id",
    )
    .bind(email)
    .bind(purpose.as_str())
    .bind(tokens::digest(token))
    .fetch_optional(conn)
    .await
}
