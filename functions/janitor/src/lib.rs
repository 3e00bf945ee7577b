//! The janitor: deletes expired activation, reset and refresh tokens, old rate-limit counters
//! and old delivery-log rows, a bounded batch at a time; rebuilds the catalog's page anchors
//! when a change of movies dropped them; folds each day that is over into the sales report's
//! running totals; relays the emails a request left in the outbox; and points profiles and
//! movies at the files uploaded for them once S3 has them.
//!
//! Each batch locks its rows with `SKIP LOCKED`, so two runs at once share the work instead of
//! waiting on each other, and a run can be repeated at will.

mod anchors;
mod sales;

use std::{collections::BTreeMap, time::Duration};

use cinema_payments::Stripe;
use cinema_shared::{
    config::{Env, StripeConfig},
    email::EmailQueue,
    outbox,
    storage::Storage,
    uploads,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

pub const DEFAULT_BATCH_SIZE: i64 = 1000;

/// An email still in the outbox this long after its change committed was not relayed by the
/// request that staged it (the queue failed then); younger ones may still be on their way.
pub const STALE_OUTBOX_AGE: Duration = Duration::from_secs(60);

/// One kind of expired row: where it lives and when it counts as expired.
struct Purge {
    name: &'static str,
    table: &'static str,
    expired: &'static str,
}

/// Every purge the janitor runs. The SQL pieces are constants, never input.
const PURGES: &[Purge] = &[
    Purge {
        name: "activation_and_reset_tokens",
        table: "account_tokens",
        expired: "expires_at < now()",
    },
    Purge {
        name: "refresh_tokens",
        table: "refresh_tokens",
        expired: "expires_at < now()",
    },
    Purge {
        // A session outlives its last refresh token by a day: no access token of it is left.
        name: "login_sessions",
        table: "login_sessions",
        expired: "created_at < now() - interval '1 day' AND NOT EXISTS (
                      SELECT 1 FROM refresh_tokens r WHERE r.family_id = login_sessions.id)",
    },
    Purge {
        // A day is longer than any rate-limit window.
        name: "rate_limit_hits",
        table: "rate_limit_hits",
        expired: "window_start < now() - interval '1 day'",
    },
    Purge {
        // An upload's PUT must start before it expires; a day is longer than any that did.
        name: "pending_uploads",
        table: "pending_uploads",
        expired: "expires_at < now() - interval '1 day'",
    },
    Purge {
        // Two weeks is longer than SQS keeps a message, so no redelivery can still come.
        name: "mail_deliveries",
        table: "mail_deliveries",
        expired: "state = 'sent' AND sent_at < now() - interval '14 days'",
    },
];

/// How many rows each purge deleted, how many catalog and comment-thread anchors were built,
/// and how many days were folded into the sales totals.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct JanitorReport {
    pub deleted: BTreeMap<&'static str, u64>,
    pub stale_orders_canceled: u64,
    pub catalog_anchors_built: i64,
    pub comment_anchors_built: i64,
    pub sales_days_folded: i32,
    pub emails_relayed: u64,
    pub uploads_promoted: u64,
}

/// How the janitor ends pending orders nobody paid: after `lifetime`, expiring their Stripe
/// Checkout Sessions too when it can reach Stripe, so a canceled order cannot be paid.
#[derive(Clone)]
pub struct StaleOrders {
    pub lifetime: Duration,
    pub stripe: Option<Stripe>,
}

impl StaleOrders {
    /// `PENDING_ORDER_LIFETIME_SECS` and, when `STRIPE_SECRET_KEY` is set, Stripe.
    pub fn from_env(env: &Env<'_>) -> anyhow::Result<Self> {
        let stripe = match StripeConfig::read(env)? {
            Some(config) => Some(Stripe::new(&config)?),
            None => None,
        };
        Ok(Self {
            lifetime: env.pending_order_lifetime()?,
            stripe,
        })
    }
}

/// Everything the hourly schedule asks for: the purges and anchors of [`run`], the stale
/// pending orders, then the stale outbox.
pub async fn run_all(
    db: &PgPool,
    mail: &EmailQueue,
    stale: &StaleOrders,
) -> anyhow::Result<JanitorReport> {
    let mut report = run(db, DEFAULT_BATCH_SIZE).await?;
    report.stale_orders_canceled = cancel_stale_orders(db, stale, DEFAULT_BATCH_SIZE).await?;
    report.emails_relayed = relay_outbox(db, mail).await?.emails_relayed;
    Ok(report)
}

/// Cancels pending orders older than the lifetime, a bounded batch at a time, then (after
/// each batch commits) expires their Checkout Sessions. Rows another run holds are skipped,
/// and a payment that lands first wins: only orders still pending are touched.
pub async fn cancel_stale_orders(
    db: &PgPool,
    stale: &StaleOrders,
    batch_size: i64,
) -> anyhow::Result<u64> {
    let mut total = 0;
    loop {
        let canceled: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE orders SET status = 'canceled', updated_at = now()
             WHERE id IN (SELECT id FROM orders
                          WHERE status = 'pending'
                            AND created_at < now() - make_interval(secs => $1)
                          ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
               AND status = 'pending'
             RETURNING id",
        )
        .bind(stale.lifetime.as_secs_f64())
        .bind(batch_size)
        .fetch_all(db)
        .await?;
        if let Some(stripe) = &stale.stripe
            && !canceled.is_empty()
        {
            match cinema_payments::expire_order_sessions(stripe, db, &canceled).await {
                Ok(expired) => tracing::info!(sessions_expired = expired, "stale sessions expired"),
                // A session left open can still be paid; that payment is flagged, not fulfilled.
                Err(err) => tracing::warn!(error = %err, "stale orders' sessions left open"),
            }
        }
        let canceled = canceled.len() as u64;
        total += canceled;
        if canceled < batch_size as u64 {
            tracing::info!(
                stale_orders_canceled = total,
                "stale pending orders canceled"
            );
            return Ok(total);
        }
    }
}

/// The minutely schedule: the outbox's leftovers, and the uploads whose "Object Created" event
/// went missing.
pub async fn every_minute(
    db: &PgPool,
    mail: &EmailQueue,
    storage: &Storage,
) -> anyhow::Result<JanitorReport> {
    // Each job runs whatever became of the other: a queue outage must not hold uploads back.
    let (relayed, swept) = tokio::join!(relay_outbox(db, mail), uploads::sweep(db, storage));
    let uploads_promoted = swept?;
    tracing::info!(uploads_promoted, "uploads swept");
    Ok(JanitorReport {
        uploads_promoted,
        ..relayed?
    })
}

/// S3's "Object Created" event as EventBridge delivers it: the object's key.
#[derive(Debug, Deserialize)]
pub struct ObjectCreated {
    pub detail: ObjectCreatedDetail,
}

#[derive(Debug, Deserialize)]
pub struct ObjectCreatedDetail {
    pub object: CreatedObject,
}

#[derive(Debug, Deserialize)]
pub struct CreatedObject {
    pub key: String,
}

/// An upload arrived: its slot takes it up (nothing happens for a key no upload is pending
/// for, so a repeated event is harmless).
pub async fn object_created(db: &PgPool, event: ObjectCreated) -> anyhow::Result<JanitorReport> {
    let uploads_promoted = uploads::promote(db, &[event.detail.object.key]).await?;
    tracing::info!(uploads_promoted, "upload arrived");
    Ok(JanitorReport {
        uploads_promoted,
        ..JanitorReport::default()
    })
}

/// The emails that requests staged but did not get onto the queue: the queue refused them, or
/// the Lambda container was frozen before its relay finished. Runs every minute on AWS.
pub async fn relay_outbox(db: &PgPool, mail: &EmailQueue) -> anyhow::Result<JanitorReport> {
    let emails_relayed = outbox::relay_older_than(db, mail, STALE_OUTBOX_AGE).await?;
    tracing::info!(emails_relayed, "outbox relayed");
    Ok(JanitorReport {
        emails_relayed,
        ..JanitorReport::default()
    })
}

pub async fn run(db: &PgPool, batch_size: i64) -> anyhow::Result<JanitorReport> {
    let mut report = JanitorReport::default();
    for purge in PURGES {
        let deleted = purge_in_batches(db, purge, batch_size).await?;
        report.deleted.insert(purge.name, deleted);
    }
    report.catalog_anchors_built = anchors::rebuild_catalog(db).await?;
    report.comment_anchors_built = anchors::rebuild_comment_threads(db).await?;
    report.sales_days_folded = sales::fold_days(db).await?;
    tracing::info!(
        deleted = ?report.deleted,
        catalog_anchors_built = report.catalog_anchors_built,
        comment_anchors_built = report.comment_anchors_built,
        sales_days_folded = report.sales_days_folded,
        "janitor run finished"
    );
    Ok(report)
}

async fn purge_in_batches(db: &PgPool, purge: &Purge, batch_size: i64) -> anyhow::Result<u64> {
    let sql = format!(
        "DELETE FROM {table} WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM {table} WHERE {expired} LIMIT $1 FOR UPDATE SKIP LOCKED))",
        table = purge.table,
        expired = purge.expired,
    );
    let mut total = 0;
    loop {
        let deleted = sqlx::query(&sql)
            .bind(batch_size)
            .execute(db)
            .await?
            .rows_affected();
        total += deleted;
        if deleted < batch_size as u64 {
            return Ok(total);
        }
    }
}
