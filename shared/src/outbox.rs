//! The email outbox: a change that must announce itself by email writes the emails in its own
//! transaction, and they reach the queue after commit. Queueing inside the transaction could not
//! be undone: a queue failure halfway left some emails sent for a change rolled back.
//!
//! No queue call runs inside a transaction here either: a relay first claims a batch for a
//! while (a short statement of its own), queues it, then deletes what the queue took. A relay
//! that dies between the two leaves its claim to lapse, and the batch is queued again; the
//! mailer sends each outbox id once, so that is still one email.

use std::time::Duration;

use anyhow::Context;
use sqlx::{PgConnection, PgPool, types::Json};

use crate::email::{EmailMessage, EmailQueue, QueuedEmail, SQS_BATCH_LIMIT};

/// How long a relay owns the batch it claimed: far longer than one queue call takes.
const CLAIM_LEASE: Duration = Duration::from_secs(60);

/// Writes `messages` in the caller's transaction; returns their ids for [`relay`].
pub async fn stage(
    conn: &mut PgConnection,
    messages: &[EmailMessage],
) -> Result<Vec<i64>, sqlx::Error> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Json<&EmailMessage>> = messages.iter().map(Json).collect();
    sqlx::query_scalar("INSERT INTO email_outbox (message) SELECT unnest($1::jsonb[]) RETURNING id")
        .bind(rows)
        .fetch_all(conn)
        .await
}

/// After commit: queues the staged emails `ids` without making the caller wait for the queue,
/// so an answer never depends on (or reveals, by its timing) whether an email was sent. What
/// the queue refuses, or what a frozen Lambda container never finishes, the janitor relays.
pub fn relay_in_background(db: &PgPool, mail: &crate::email::EmailQueue, ids: Vec<i64>) {
    if ids.is_empty() {
        return;
    }
    let (db, mail) = (db.clone(), mail.clone());
    tokio::spawn(async move {
        if let Err(err) = relay(&db, &mail, &ids).await {
            tracing::warn!(error = ?err, "emails left in the outbox for the janitor");
        }
    });
}

/// Queues the staged emails `ids` that are still waiting (someone else may have relayed some).
pub async fn relay(db: &PgPool, mail: &EmailQueue, ids: &[i64]) -> anyhow::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    relay_batches(db, mail, Some(ids), Duration::ZERO).await
}

/// Queues every email staged at least `age` ago: what a request could not relay.
pub async fn relay_older_than(
    db: &PgPool,
    mail: &EmailQueue,
    age: Duration,
) -> anyhow::Result<u64> {
    relay_batches(db, mail, None, age).await
}

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

/// Claims the next batch of waiting emails (`$1` these ids, or any; staged `$2` seconds ago or
/// earlier; not claimed by a live relay) for `$4` seconds. Rows another relay is claiming right
/// now are skipped, so two relays never take the same email.
const CLAIM_BATCH: &str = concat!(
    "UPDATE email_outbox
    SET claimed_until = now() + make_interval(secs => $4), attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM email_outbox
        WHERE ($1::bigint[] IS NULL OR id = ANY($1))
          AND created_at <= now() - make_interval(secs => $2)
          AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
      AND ",
    no_flush_wait!(),
    " RETURNING id, message"
);

async fn relay_batches(
    db: &PgPool,
    mail: &EmailQueue,
    ids: Option<&[i64]>,
    age: Duration,
) -> anyhow::Result<u64> {
    let mut relayed = 0;
    loop {
        let batch: Vec<(i64, Json<EmailMessage>)> = sqlx::query_as(CLAIM_BATCH)
            .bind(ids)
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
        sqlx::query(concat!(
            "DELETE FROM email_outbox WHERE id = ANY($1) AND ",
            no_flush_wait!()
        ))
        .bind(&queued)
        .execute(db)
        .await?;
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

/// Gives claimed emails back at once, for the next relay.
async fn release(db: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "UPDATE email_outbox SET claimed_until = NULL WHERE id = ANY($1) AND ",
        no_flush_wait!()
    ))
    .bind(ids)
    .execute(db)
    .await
    .map(drop)
}
