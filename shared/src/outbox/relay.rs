//! The relay after commit. Requests hand their staged emails to one task per process, which
//! queues whatever has gathered since its last call in batches of up to ten (one
//! `SendMessageBatch` each) and deletes what the queue took in one statement per batch. A busy
//! process so makes one queue call and one delete per ten emails, not per request; a quiet one
//! (a Lambda container serves one request at a time) relays each email as soon as it is handed
//! over. No request waits for any of it.

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use sqlx::PgPool;
use tokio::sync::mpsc;

use super::{
    Staged, delete_queued,
    gate::{InFlight, RelayGate},
    mark_tried,
};
use crate::email::{EmailQueue, QueuedEmail, SQS_BATCH_LIMIT};

/// The most emails one round takes from the inbox (ten batches), so that a backlog is deleted
/// from the outbox as it goes rather than all at the end.
const ROUND_LIMIT: usize = 10 * SQS_BATCH_LIMIT;

/// Emails handed over by a request, counted as in flight until the relay is done with them.
struct Handed {
    emails: Vec<QueuedEmail>,
    _in_flight: InFlight,
}

/// The relay of one process's requests to `mail`, bookkept in `db`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Relay(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    db: PgPool,
    mail: EmailQueue,
    /// Started by the first email handed over, inside the runtime that serves the requests.
    inbox: OnceLock<mpsc::UnboundedSender<Handed>>,
}

impl Relay {
    pub fn new(db: PgPool, mail: EmailQueue) -> Self {
        Self(Arc::new(Inner {
            db,
            mail,
            inbox: OnceLock::new(),
        }))
    }

    pub fn mail(&self) -> &EmailQueue {
        &self.0.mail
    }

    /// After commit: queues the `staged` emails without making the caller wait for the queue,
    /// so an answer never depends on (or reveals, by its timing) whether an email was sent.
    /// What the queue refuses, what a frozen Lambda container never finishes, and what is
    /// staged while the queue rests after a failure ([`super::gate`]), the janitor relays.
    pub fn after_commit(&self, staged: Staged) {
        let gate = self.0.mail.gate();
        if staged.0.is_empty() || gate.resting() {
            return;
        }
        let handed = Handed {
            emails: staged.0,
            _in_flight: RelayGate::start(gate),
        };
        let inbox = self.0.inbox.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(run(self.0.db.clone(), self.0.mail.clone(), receiver));
            sender
        });
        // Refused only once the runtime is shutting down: the emails wait for the janitor.
        let _ = inbox.send(handed);
    }
}

/// Takes what has gathered in the inbox, relays it, and waits for more.
async fn run(db: PgPool, mail: EmailQueue, mut inbox: mpsc::UnboundedReceiver<Handed>) {
    while let Some(first) = inbox.recv().await {
        let mut round = vec![first];
        let mut emails = round[0].emails.len();
        while emails < ROUND_LIMIT {
            match inbox.try_recv() {
                Ok(next) => {
                    emails += next.emails.len();
                    round.push(next);
                }
                Err(_) => break,
            }
        }
        let emails: Vec<&QueuedEmail> = round.iter().flat_map(|handed| &handed.emails).collect();
        for batch in emails.chunks(SQS_BATCH_LIMIT) {
            // A batch after a failed one in the same round waits for the janitor as well.
            if mail.gate().resting() {
                break;
            }
            if let Err(err) = relay_batch(&db, &mail, batch).await {
                // One line, not the error's whole debug tree: an outage writes one per rest.
                tracing::warn!(error = %format!("{err:#}"), "emails left in the outbox for the janitor");
            }
        }
        // Dropping the round counts its emails out of flight.
    }
}

/// Queues one batch of committed emails and deletes what the queue took. No claim is needed:
/// the janitor leaves emails this young alone. A failed queue call rests the queue for this
/// process's requests.
async fn relay_batch(db: &PgPool, mail: &EmailQueue, batch: &[&QueuedEmail]) -> anyhow::Result<()> {
    let ids: Vec<i64> = batch.iter().map(|email| email.id).collect();
    let queued = match mail.enqueue_batch(batch).await {
        Ok(queued) => queued,
        Err(err) => {
            mail.gate().rest();
            mark_tried(db, &ids).await?;
            return Err(err).context("relaying staged emails");
        }
    };
    delete_queued(db, &queued).await?;
    if queued.len() < ids.len() {
        let refused: Vec<i64> = ids.into_iter().filter(|id| !queued.contains(id)).collect();
        mark_tried(db, &refused).await?;
        anyhow::bail!("the queue refused {} staged emails", refused.len());
    }
    Ok(())
}
