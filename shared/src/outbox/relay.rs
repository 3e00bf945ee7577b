//! The relay after commit. Requests hand their staged emails to one task per process, which
//! takes whatever has gathered since its last round (up to a hundred), queues it ten to a
//! `SendMessageBatch` with the calls made at once, and deletes what the queue took in one
//! statement. A busy process so makes one queue call per ten emails and one delete per round,
//! not one of each per request; a quiet one (a Lambda container serves one request at a time)
//! relays each email as soon as it is handed over. No request waits for any of it.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use sqlx::PgPool;
use tokio::sync::mpsc;

use super::{
    Staged, delete_queued,
    gate::{InFlight, QUEUE_REST, RelayGate},
    mark_tried,
};
use crate::email::{EmailQueue, QueuedEmail, SQS_BATCH_LIMIT};

/// The most emails one round takes from the inbox (ten queue calls made at once, then one
/// delete), so that a backlog leaves the outbox as it goes rather than all at the end.
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
    /// The relays running, and whether the queue failed a moment ago.
    gate: Arc<RelayGate>,
    /// Started by the first email handed over, inside the runtime that serves the requests, and
    /// again should that task have ended (a panic, or its runtime gone).
    inbox: Mutex<Option<mpsc::UnboundedSender<Handed>>>,
}

impl Relay {
    pub fn new(db: PgPool, mail: EmailQueue) -> Self {
        Self::resting_for(db, mail, QUEUE_REST)
    }

    /// A relay that leaves the queue alone for `rest` after a failed call.
    pub fn resting_for(db: PgPool, mail: EmailQueue, rest: Duration) -> Self {
        Self(Arc::new(Inner {
            db,
            mail,
            gate: Arc::new(RelayGate::new(rest)),
            inbox: Mutex::new(None),
        }))
    }

    /// The relays running, and whether the queue rests.
    pub fn gate(&self) -> &Arc<RelayGate> {
        &self.0.gate
    }

    /// After commit: queues the `staged` emails without making the caller wait for the queue,
    /// so an answer never depends on (or reveals, by its timing) whether an email was sent.
    /// What the queue refuses, what a frozen Lambda container never finishes, and what is
    /// staged while the queue rests after a failure ([`super::gate`]), the janitor relays.
    pub fn after_commit(&self, staged: Staged) {
        let gate = &self.0.gate;
        if staged.0.is_empty() || gate.resting() {
            return;
        }
        let handed = Handed {
            emails: staged.0,
            _in_flight: RelayGate::start(gate),
        };
        let mut inbox = self
            .0
            .inbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let sender = match inbox.as_ref() {
            Some(sender) if !sender.is_closed() => sender,
            _ => {
                let (sender, receiver) = mpsc::unbounded_channel();
                tokio::spawn(run(self.0.clone(), receiver));
                inbox.insert(sender)
            }
        };
        // Refused only if the task ended since the check: the emails wait for the janitor.
        let _ = sender.send(handed);
    }
}

/// Takes what has gathered in the inbox, relays it, and waits for more.
async fn run(relay: Arc<Inner>, mut inbox: mpsc::UnboundedReceiver<Handed>) {
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
        if let Err(err) = relay_round(&relay, &emails).await {
            // One line, not the error's whole debug tree: an outage writes one per rest.
            tracing::warn!(error = %format!("{err:#}"), "emails left in the outbox for the janitor");
        }
        // Dropping the round counts its emails out of flight.
    }
}

/// Queues committed emails, ten to a call and the calls at once, then deletes what the queue
/// took in one statement and counts a try of what it did not. No claim is needed: the janitor
/// leaves emails this young alone. A failed queue call rests the queue for this process's
/// requests.
async fn relay_round(relay: &Inner, emails: &[&QueuedEmail]) -> anyhow::Result<()> {
    let Inner { db, mail, gate, .. } = relay;
    if gate.resting() {
        return Ok(());
    }
    let calls = emails
        .chunks(SQS_BATCH_LIMIT)
        .map(|batch| async move { (batch, mail.enqueue_batch(batch).await) });
    let mut queued = Vec::with_capacity(emails.len());
    let mut failure = None;
    for (batch, outcome) in futures::future::join_all(calls).await {
        match outcome {
            Ok(ids) => queued.extend(ids),
            Err(err) => failure = Some(err.context(format!("queueing {} emails", batch.len()))),
        }
    }
    if failure.is_some() {
        gate.rest();
    }
    if !queued.is_empty() {
        delete_queued(db, &queued).await?;
    }
    let left: Vec<i64> = emails
        .iter()
        .map(|email| email.id)
        .filter(|id| !queued.contains(id))
        .collect();
    if left.is_empty() {
        return Ok(());
    }
    mark_tried(db, &left).await?;
    Err(failure.unwrap_or_else(|| anyhow::anyhow!("the queue refused {} emails", left.len())))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
    use sqlx::postgres::PgPoolOptions;

    use super::*;

    const REST: Duration = Duration::from_millis(1000);

    /// A relay whose queue and database refuse every connection.
    fn relay_to_nowhere() -> Relay {
        let sqs = aws_sdk_sqs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:1")
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .build();
        let mail = EmailQueue::new(
            aws_sdk_sqs::Client::from_conf(sqs),
            "http://127.0.0.1:1/000000000000/mail",
        );
        let db = PgPoolOptions::new()
            .acquire_timeout(Duration::from_millis(50))
            .connect_lazy("postgres://nobody@127.0.0.1:1/nothing")
            .expect("a lazy pool");
        Relay::resting_for(db, mail, REST)
    }

    fn one_email(relay: &Relay, runtime: &tokio::runtime::Runtime) {
        let staged = Staged(vec![QueuedEmail {
            id: 1,
            message: crate::email::EmailMessage::new(
                "someone@example.com",
                crate::email::Email::Welcome {},
            ),
        }]);
        runtime.block_on(async {
            relay.after_commit(staged);
            for _ in 0..100 {
                if relay.gate().in_flight() == 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the relay never finished");
        });
    }

    #[test]
    fn a_relay_whose_task_ended_with_its_runtime_starts_another() {
        let first = tokio::runtime::Runtime::new().unwrap();
        // The pool needs a runtime to be made in; a dead one later only fails its calls.
        let relay = first.block_on(async { relay_to_nowhere() });
        one_email(&relay, &first);
        assert!(relay.gate().resting(), "the first task tried the queue");
        drop(first);

        std::thread::sleep(REST + Duration::from_millis(50));
        assert!(!relay.gate().resting());
        let second = tokio::runtime::Runtime::new().unwrap();
        one_email(&relay, &second);
        assert!(
            relay.gate().resting(),
            "a new task in the second runtime tried the queue"
        );
    }
}
