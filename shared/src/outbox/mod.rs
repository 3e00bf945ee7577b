//! The email outbox: a change that must announce itself by email writes the emails in its own
//! transaction, and they reach the queue after commit. Queueing inside the transaction could not
//! be undone: a queue failure halfway left some emails sent for a change rolled back.
//!
//! No queue call runs inside a transaction here either. The request that staged emails hands
//! them after its commit to its process's relay ([`Relay`]), which queues them from memory (ten
//! to a call, with whatever other requests handed over meanwhile), then deletes what the queue
//! took; what it could not queue waits for the janitor (so does what a request stages in the
//! few seconds after a queue call failed: [`gate`]), which takes only emails older than its age
//! limit, so the two do not race for fresh ones. The janitor's relay claims each batch for a
//! while (a short statement of its own), queues it, then deletes what the queue took. A relay
//! that dies between queueing and deleting leaves the email to be queued again; the mailer sends
//! each outbox id once, so that is still one email.

use std::time::Duration;

use anyhow::Context;
use sqlx::{PgConnection, PgPool, types::Json};

use crate::email::{EmailMessage, EmailQueue, QueuedEmail, SQS_BATCH_LIMIT};

pub mod gate;
mod relay;

pub use relay::Relay;

/// Emails written to the outbox in a transaction, kept in memory to queue after its commit.
#[derive(Debug, Default)]
#[must_use = "staged emails are queued by Relay::after_commit"]
pub struct Staged(Vec<QueuedEmail>);

impl Staged {
    /// `messages` as written under `ids` (what [`STAGED_IDS`] gave, in the same order).
    pub fn new(ids: Vec<i64>, messages: &[EmailMessage]) -> Self {
        Self(
            ids.into_iter()
                .zip(messages.iter().cloned())
                .map(|(id, message)| QueuedEmail { id, message })
                .collect(),
        )
    }
}

/// The messages as a statement takes them (a `jsonb[]` parameter).
pub fn rows(messages: &[EmailMessage]) -> Vec<Json<&EmailMessage>> {
    messages.iter().map(Json).collect()
}

/// A `WITH` query named `staged` that writes the messages of parameter `messages` (a
/// `jsonb[]`, see [`rows`]; empty writes none) when `condition` holds, for a statement that
/// makes a change and stages its emails at once. The executor inserts the array's rows in
/// order, ids rising.
pub fn staged_cte(messages: &str, condition: &str) -> String {
    format!(
        "staged AS (
             INSERT INTO email_outbox (message)
             SELECT m FROM unnest({messages}::jsonb[]) m WHERE {condition} RETURNING id)"
    )
}

/// The ids the `staged` query wrote, in the messages' order: a column for [`Staged::new`].
pub const STAGED_IDS: &str = "ARRAY(SELECT id FROM staged ORDER BY id)";

/// Writes `messages` in the caller's transaction; queue them with [`Relay::after_commit`] after
/// commit.
pub async fn stage(
    conn: &mut PgConnection,
    messages: &[EmailMessage],
) -> Result<Staged, sqlx::Error> {
    static STAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("WITH {} SELECT {STAGED_IDS}", staged_cte("$1", "true"))
    });
    if messages.is_empty() {
        return Ok(Staged::default());
    }
    let ids: Vec<i64> = sqlx::query_scalar(STAGE.as_str())
        .bind(rows(messages))
        .fetch_one(conn)
        .await?;
    Ok(Staged::new(ids, messages))
}

/// Queues every email staged at least `age` ago: what a request could not relay.
pub async fn relay_older_than(
    db: &PgPool,
    mail: &EmailQueue,
    age: Duration,
) -> anyhow::Result<u64> {
    relay_batches(db, mail, age).await
}

/// How long a relay owns the batch it claimed: far longer than one queue call takes.
const CLAIM_LEASE: Duration = Duration::from_secs(60);

/// A condition (always true) that makes its statement commit without waiting for its WAL to
/// reach the disk. Only for the outbox's bookkeeping (claims, releases, deletes): lost in a
/// crash of the database, a claim or a delete only means an email queued once more, and the
/// mailer sends each outbox id once (a relay that dies between queueing and deleting does the
/// same); the email itself was staged, durably, in its change's transaction. Each post that
/// notifies used to wait for three disk flushes, two of them here.
macro_rules! no_flush_wait {
    () => {
        "(SELECT set_config('synchronous_commit', 'off', true)) = 'off'"
    };
}

/// Claims the next batch of waiting emails (staged `$1` seconds ago or earlier; not claimed by a
/// live relay) for `$3` seconds. Rows another relay is claiming right
/// now are skipped, so two relays never take the same email.
const CLAIM_BATCH: &str = concat!(
    "UPDATE email_outbox
    SET claimed_until = now() + make_interval(secs => $3), attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM email_outbox
        WHERE created_at <= now() - make_interval(secs => $1)
          AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
      AND ",
    no_flush_wait!(),
    " RETURNING id, message"
);

async fn relay_batches(db: &PgPool, mail: &EmailQueue, age: Duration) -> anyhow::Result<u64> {
    let mut relayed = 0;
    loop {
        let batch: Vec<(i64, Json<EmailMessage>)> = sqlx::query_as(CLAIM_BATCH)
            .bind(age.as_secs_f64())
            .bind(SQS_BATCH_LIMIT as i64)
            .bind(CLAIM_LEASE.as_secs_f64())
            .fetch_all(db)
            .await?;
        if batch.is_empty() {
            return Ok(relayed);
        }
        let claimed: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        let emails: Vec<QueuedEmail> = batch
            .into_iter()
            .map(|(id, Json(message))| QueuedEmail { id, message })
            .collect();
        let queued = match mail.enqueue_batch(&emails).await {
            Ok(queued) => queued,
            Err(err) => {
                release(db, &claimed).await?;
                return Err(err).context("relaying staged emails");
            }
        };
        delete_queued(db, &queued).await?;
        relayed += queued.len() as u64;
        if queued.len() < claimed.len() {
            let refused: Vec<i64> = claimed
                .into_iter()
                .filter(|id| !queued.contains(id))
                .collect();
            release(db, &refused).await?;
            anyhow::bail!("the queue refused {} staged emails", refused.len());
        }
        if claimed.len() < SQS_BATCH_LIMIT {
            return Ok(relayed);
        }
    }
}

/// Deletes the emails the queue took.
async fn delete_queued(db: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    bookkeeping(
        db,
        concat!(
            "DELETE FROM email_outbox WHERE id = ANY($1) AND ",
            no_flush_wait!()
        ),
        ids,
    )
    .await
}

/// Counts a failed try of emails a request staged, for the janitor's report and the tests.
async fn mark_tried(db: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    bookkeeping(
        db,
        concat!(
            "UPDATE email_outbox SET attempts = attempts + 1 WHERE id = ANY($1) AND ",
            no_flush_wait!()
        ),
        ids,
    )
    .await
}

/// Gives claimed emails back at once, for the next relay.
async fn release(db: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    bookkeeping(
        db,
        concat!(
            "UPDATE email_outbox SET claimed_until = NULL WHERE id = ANY($1) AND ",
            no_flush_wait!()
        ),
        ids,
    )
    .await
}

/// Runs one of the outbox's bookkeeping statements over the emails `ids` (`$1`).
async fn bookkeeping(db: &PgPool, statement: &'static str, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query(statement).bind(ids).execute(db).await.map(drop)
}
