//! What the EventBridge schedule does: run the janitor on an interval.

use std::time::Duration;

use cinema_shared::email::EmailQueue;
use sqlx::PgPool;
use tokio::sync::watch;

pub async fn run_janitor_every(
    db: PgPool,
    mail: EmailQueue,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(err) = cinema_janitor::run_all(&db, &mail).await {
                    tracing::warn!(error = ?err, "janitor run failed");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
