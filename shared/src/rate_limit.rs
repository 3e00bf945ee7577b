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

    /// What the bucket is stored under: the digest of its name.
    pub fn key(&self) -> Vec<u8> {
        Sha256::digest(self.name.as_bytes()).to_vec()
    }

    /// The most hits the bucket allows per window, as the statements take it.
    pub fn limit(&self) -> i32 {
        i32::try_from(self.limit).unwrap_or(i32::MAX)
    }
}

/// The 429 when [`count_hit`] counted nothing (the bucket was full).
pub fn judge(counted: bool, seconds_left: f64) -> Result<(), ApiError> {
    if counted {
        Ok(())
    } else {
        Err(refused(seconds_left))
    }
}

/// The 429 of a full bucket, with the window's `seconds_left` as its `Retry-After`.
pub fn refused(seconds_left: f64) -> ApiError {
    ApiError::TooManyRequests {
        retry_after_secs: seconds_left.ceil().max(1.0) as u64,
    }
}

/// The start of the window of `window` seconds under way.
fn window_start(window: &str) -> String {
    format!("to_timestamp(floor(extract(epoch FROM now()) / {window}) * {window})")
}

/// A statement that counts one hit of bucket `key` (a [`Bucket::key`]) in the window of
/// `window` seconds under way, unless it already holds `limit` (a [`Bucket::limit`]), and
/// returns the count (no row: full, nothing counted). A statement of its own or a `WITH` query
/// of a larger one, so a request can count its hit in the statement that makes its change: a
/// request refused for any reason then leaves no hit behind.
pub fn count_hit(key: &str, window: &str, limit: &str) -> String {
    format!(
        "INSERT INTO rate_limit_hits AS h (bucket, window_start, hits)
         SELECT {key}, {start}, 1 WHERE {limit} > 0
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = h.hits + 1 WHERE h.hits < {limit}
         RETURNING h.hits",
        start = window_start(window),
    )
}

/// The seconds left in the window of `window` seconds under way: the 429's `Retry-After`.
pub fn seconds_left(window: &str) -> String {
    format!(
        "extract(epoch FROM {start} + make_interval(secs => {window}) - now())::float8",
        start = window_start(window),
    )
}

/// The seconds of a window as the statements take them.
pub fn window_seconds(window: Duration) -> f64 {
    window.as_secs_f64().max(1.0)
}

/// Counts one attempt against each bucket in order; 429 with `Retry-After` at the first one
/// over its limit, and the buckets after it are not touched. Callers put the client's bucket
/// first, so a client over its limit cannot use up the budget of the emails it tries.
pub async fn hit(
    conn: &mut PgConnection,
    window: Duration,
    buckets: &[Bucket],
) -> Result<(), ApiError> {
    static HIT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "WITH hit AS ({}) SELECT EXISTS (SELECT 1 FROM hit), {}",
            count_hit("$1", "$2::float8", "$3::int4"),
            seconds_left("$2::float8"),
        )
    });
    for bucket in buckets {
        let (counted, seconds_left): (bool, f64) = sqlx::query_as(HIT.as_str())
            .bind(bucket.key())
            .bind(window_seconds(window))
            .bind(bucket.limit())
            .fetch_one(&mut *conn)
            .await?;
        judge(counted, seconds_left)?;
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
