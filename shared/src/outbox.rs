//! The email outbox: a change that must announce itself by email writes the emails in its own
//! transaction, and they reach the queue after commit. Queueing inside the transaction could not
//! be undone: a queue failure halfway left some emails sent for a change rolled back.

use std::time::Duration;

use anyhow::Context;
use sqlx::{PgConnection, PgPool, types::Json};

use crate::email::{EmailMessage, EmailQueue};

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
    relay_batches(db, mail, Waiting::Ids(ids)).await
}

/// Queues every email staged at least `age` ago: what a request could not relay.
pub async fn relay_older_than(
    db: &PgPool,
    mail: &EmailQueue,
    age: Duration,
) -> anyhow::Result<u64> {
    relay_batches(db, mail, Waiting::OlderThan(age)).await
}

enum Waiting<'a> {
    Ids(&'a [i64]),
    OlderThan(Duration),
}

/// Takes the next batch of waiting emails out of the outbox; rows another relay holds are
/// skipped, so two relays never queue the same email.
macro_rules! take_batch {
    ($waiting:literal) => {
        concat!(
            "DELETE FROM email_outbox WHERE id IN (
                 SELECT id FROM email_outbox WHERE ",
            $waiting,
            " ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED)
             RETURNING message"
        )
    };
}

/// Each batch is taken and queued in one transaction: a queue failure puts it back.
async fn relay_batches(
    db: &PgPool,
    mail: &EmailQueue,
    waiting: Waiting<'_>,
) -> anyhow::Result<u64> {
    let mut relayed = 0;
    loop {
        let mut tx = db.begin().await?;
        let batch: Vec<Json<EmailMessage>> = match &waiting {
            Waiting::Ids(ids) => {
                sqlx::query_scalar(take_batch!("id = ANY($1)"))
                    .bind(*ids)
                    .fetch_all(&mut *tx)
                    .await?
            }
            Waiting::OlderThan(age) => {
                sqlx::query_scalar(take_batch!(
                    "created_at <= now() - make_interval(secs => $1)"
                ))
                .bind(age.as_secs_f64())
                .fetch_all(&mut *tx)
                .await?
            }
        };
        if batch.is_empty() {
            return Ok(relayed);
        }
        let messages: Vec<EmailMessage> = batch.into_iter().map(|Json(m)| m).collect();
        mail.enqueue_all(&messages)
            .await
            .context("relaying staged emails")?;
        tx.commit().await?;
        relayed += messages.len() as u64;
    }
}
