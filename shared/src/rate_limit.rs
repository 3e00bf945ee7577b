//! Fixed-window rate limits kept in Postgres, so they hold across Lambda containers.
//!
//! A bucket is stored as the SHA-256 digest of its name: a key of any length (a 3 KB "email")
//! has the same small, fixed width in the index.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::{ApiError, client::ClientAddress, config::AccountPolicy};

/// One counter and the most hits it allows per window.
pub struct Bucket {
    name: String,
    limit: u32,
}

impl Bucket {
    pub fn new(name: impl Into<String>, limit: u32) -> Self {
        Self {
            name: name.into(),
            limit,
        }
    }
}

/// Counts one attempt against each bucket in order; 429 with `Retry-After` at the first one
/// over its limit, and the buckets after it are not touched. Callers put the client's bucket
/// first, so a client over its limit cannot use up the budget of the emails it tries.
pub async fn hit(
    conn: &mut PgConnection,
    window: Duration,
    buckets: &[Bucket],
) -> Result<(), ApiError> {
    let window_secs = window.as_secs_f64().max(1.0);
    for bucket in buckets {
        let (hits, seconds_left): (i32, f64) = sqlx::query_as(
            "INSERT INTO rate_limit_hits (bucket, window_start, hits)
             VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
             ON CONFLICT (bucket, window_start)
               DO UPDATE SET hits = rate_limit_hits.hits + 1
             RETURNING hits,
               extract(epoch FROM window_start + make_interval(secs => $2) - now())::float8",
        )
        .bind(Sha256::digest(bucket.name.as_bytes()).as_slice())
        .bind(window_secs)
        .fetch_one(&mut *conn)
        .await?;
        if hits > i32::try_from(bucket.limit).unwrap_or(i32::MAX) {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: seconds_left.ceil().max(1.0) as u64,
            });
        }
    }
    Ok(())
}

/// Every route that checks a password (login, the docs' HTTP Basic, a password change) draws
/// on one budget per client and per account: guesses cannot move to the route not watched.
pub async fn password_attempt(
    db: &PgPool,
    policy: &AccountPolicy,
    email: &str,
    client: &ClientAddress,
) -> Result<(), ApiError> {
    let limits = (policy.login_per_client, policy.login_per_email);
    per_client_and_email(db, policy, "password", limits, email, client).await
}

/// The always-202 mailers (activation resend, forgotten password): `action` names which.
pub async fn email_request(
    db: &PgPool,
    policy: &AccountPolicy,
    action: &str,
    email: &str,
    client: &ClientAddress,
) -> Result<(), ApiError> {
    let limits = (policy.email_per_client, policy.email_per_email);
    per_client_and_email(db, policy, action, limits, email, client).await
}

/// One hit of `action` for the client, then (if the client is within its limit) for the email.
async fn per_client_and_email(
    db: &PgPool,
    policy: &AccountPolicy,
    action: &str,
    (client_limit, email_limit): (u32, u32),
    email: &str,
    client: &ClientAddress,
) -> Result<(), ApiError> {
    hit(
        &mut *db.acquire().await?,
        policy.rate_window,
        &[
            Bucket::new(format!("{action}:client:{}", client.0), client_limit),
            Bucket::new(format!("{action}:email:{email}"), email_limit),
        ],
    )
    .await
}
