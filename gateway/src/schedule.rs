//! What the EventBridge schedules do: run the janitor on an interval, and relay the outbox's
//! leftovers every minute.

use std::time::Duration;

use cinema_shared::email::EmailQueue;
use sqlx::PgPool;
use tokio::sync::watch;

/// How often AWS runs the janitor's outbox relay (its `OutboxRelay` schedule).
pub const OUTBOX_RELAY_INTERVAL: Duration = Duration::from_secs(60);

pub async fn run_janitor_every(
    db: PgPool,
    mail: EmailQueue,
    interval: Duration,
    stale_orders: cinema_janitor::StaleOrders,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut janitor = tokio::time::interval(interval);
    let mut relay = tokio::time::interval(OUTBOX_RELAY_INTERVAL);
    loop {
        tokio::select! {
            _ = janitor.tick() => {
                if let Err(err) = cinema_janitor::run_all(&db, &mail, &stale_orders).await {
                    tracing::warn!(error = ?err, "janitor run failed");
                }
            }
            _ = relay.tick() => {
                if let Err(err) = cinema_janitor::relay_outbox(&db, &mail).await {
                    tracing::warn!(error = ?err, "outbox relay failed");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
