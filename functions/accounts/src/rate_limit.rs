//! Fixed-window rate limits kept in Postgres, so they hold across Lambda containers.

use std::time::Duration;

use cinema_shared::ApiError;
use sqlx::PgPool;

/// Counts one attempt against each bucket; 429 with `Retry-After` once any bucket is over its
/// limit in the current window.
pub async fn hit(db: &PgPool, window: Duration, buckets: &[(String, u32)]) -> Result<(), ApiError> {
    let window_secs = window.as_secs_f64().max(1.0);
    let mut retry_after: Option<u64> = None;
    for (bucket, limit) in buckets {
        let (hits, seconds_left): (i32, f64) = sqlx::query_as(
            "INSERT INTO rate_limit_hits (bucket, window_start, hits)
             VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
             ON CONFLICT (bucket, window_start)
               DO UPDATE SET hits = rate_limit_hits.hits + 1
             RETURNING hits,
               extract(epoch FROM window_start + make_interval(secs => $2) - now())::float8",
        )
        .bind(bucket)
        .bind(window_secs)
        .fetch_one(db)
        .await?;
        if hits > i32::try_from(*limit).unwrap_or(i32::MAX) {
            let wait = seconds_left.ceil().max(1.0) as u64;
            retry_after = Some(retry_after.map_or(wait, |w| w.max(wait)));
        }
    }
    match retry_after {
        Some(retry_after_secs) => Err(ApiError::TooManyRequests { retry_after_secs }),
        None => Ok(()),
    }
}
