//! What EventBridge does on AWS: run the janitor on an interval and its minutely job every
//! minute, and hand it S3's "Object Created" events. The local S3 server sends no events, so
//! the gateway stands in for them by sweeping the pending uploads every few seconds.

use std::time::Duration;

use cinema_shared::{email::EmailQueue, storage::Storage, uploads};
use sqlx::PgPool;
use tokio::sync::watch;

/// How often AWS runs the janitor's minutely job (its `EveryMinute` schedule).
pub const EVERY_MINUTE: Duration = Duration::from_secs(60);

/// How soon an upload shows locally: S3's events reach the janitor within about a second.
pub const UPLOAD_SWEEP_INTERVAL: Duration = Duration::from_secs(2);

pub async fn run_janitor_every(
    db: PgPool,
    mail: EmailQueue,
    storage: Storage,
    interval: Duration,
    stale_orders: cinema_janitor::StaleOrders,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut janitor = tokio::time::interval(interval);
    let mut minutely = tokio::time::interval(EVERY_MINUTE);
    let mut upload_events = tokio::time::interval(UPLOAD_SWEEP_INTERVAL);
    loop {
        tokio::select! {
            _ = janitor.tick() => {
                if let Err(err) = cinema_janitor::run_all(&db, &mail, &stale_orders).await {
                    tracing::warn!(error = ?err, "janitor run failed");
                }
            }
            _ = minutely.tick() => {
                if let Err(err) = cinema_janitor::every_minute(&db, &mail, &storage).await {
                    tracing::warn!(error = ?err, "the janitor's minutely job failed");
                }
            }
            _ = upload_events.tick() => {
                if let Err(err) = uploads::sweep(&db, &storage).await {
                    tracing::warn!(error = ?err, "upload sweep failed");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
