//! The delivery log that makes sending idempotent per SQS message id.
//!
//! A message is claimed before it is sent and marked sent after; a failed send releases the
//! claim so the retry can take it. A claim left by a crashed container expires.

use sqlx::PgPool;

/// A claim older than this is taken to be from a container that died mid-send.
const STALE_CLAIM_SECONDS: f64 = 300.0;

pub enum Claim {
    Claimed,
    AlreadySent,
    InFlight,
}

pub async fn claim(db: &PgPool, message_id: &str) -> Result<Claim, sqlx::Error> {
    let claimed = sqlx::query_scalar::<_, String>(
        "INSERT INTO mail_deliveries (message_id, state) VALUES ($1, 'sending')
         ON CONFLICT (message_id) DO UPDATE SET claimed_at = now()
           WHERE mail_deliveries.state = 'sending'
             AND mail_deliveries.claimed_at < now() - make_interval(secs => $2)
         RETURNING message_id",
    )
    .bind(message_id)
    .bind(STALE_CLAIM_SECONDS)
    .fetch_optional(db)
    .await?;
    if claimed.is_some() {
        return Ok(Claim::Claimed);
    }
    let state =
        sqlx::query_scalar::<_, String>("SELECT state FROM mail_deliveries WHERE message_id = $1")
            .bind(message_id)
            .fetch_optional(db)
            .await?;
    Ok(match state.as_deref() {
        Some("sent") => Claim::AlreadySent,
        _ => Claim::InFlight,
    })
}

pub async fn mark_sent(db: &PgPool, message_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mail_deliveries SET state = 'sent', sent_at = now() WHERE message_id = $1")
        .bind(message_id)
        .execute(db)
        .await
        .map(drop)
}

pub async fn release(db: &PgPool, message_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mail_deliveries WHERE message_id = $1 AND state = 'sending'")
        .bind(message_id)
        .execute(db)
        .await
        .map(drop)
}
