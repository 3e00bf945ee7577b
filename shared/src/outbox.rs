//! The email outbox: a change that must announce itself by email writes the emails in its own
//! transaction, and they reach the queue after commit. Queueing inside the transaction could not
//! be undone: a queue failure halfway left some emails sent for a change rolled back.

use std::time::Duration;

use anyhow::Context;
use sqlx::{PgConnection, PgPool, types::Json};

use crate::email::{EmailMessage, EmailQueue, SQS_BATCH_LIMIT};

/// Writes `messages` in the caller's transaction; returns their ids for [`relay`].
pub async fn stage(
    conn: &mut PgConnection,
    messages: &[EmailMessage],
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<Json<&EmailMessage>> = messages.iter().map(Json).collect();
    sqlx::query_scalar("INSERT INTO email_outbox (message) SELECT unnest($1::jsonb[]) RETURNING id")
        .bind(rows)
        .fetch_all(conn)
        .await
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

/// Takes the next batch of waiting emails (`$1` these ids, or any; staged `$2` seconds ago or
/// earlier) out of the outbox. Rows another relay holds are skipped, so two relays never queue
/// the same email.
const TAKE_BATCH: &str = "DELETE FROM email_outbox WHERE id IN (
        SELECT id FROM email_outbox
        WHERE ($1::bigint[] IS NULL OR id = ANY($1))
          AND created_at <= now() - make_interval(secs => $2)
        ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING message";

/// Each batch is taken and queued in one transaction: a queue failure puts it back.
async fn relay_batches(
    db: &PgPool,
    mail: &EmailQueue,
    ids: Option<&[i64]>,
    age: Duration,
) -> anyhow::Result<u64> {
    let mut relayed = 0;
    loop {
        let mut tx = db.begin().await?;
        let batch: Vec<Json<EmailMessage>> = sqlx::query_scalar(TAKE_BATCH)
            .bind(ids)
            .bind(age.as_secs_f64())
            .bind(SQS_BATCH_LIMIT as i64)
            .fetch_all(&mut *tx)
            .await?;
        if batch.is_empty() {
            return Ok(relayed);
        }
        let messages: Vec<EmailMessage> = batch.into_iter().map(|Json(m)| m).collect();
        mail.enqueue_all(&messages)
            .await
            .context("relaying staged emails")?;
        tx.commit().await?;
        relayed += messages.len() as u64;
        if messages.len() < SQS_BATCH_LIMIT {
            return Ok(relayed);
        }
    }
}
