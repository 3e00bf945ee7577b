//! Emails as the producers write them and the mailer reads them: one typed variant per kind,
//! so a producer cannot forget a field a template reads, and the queue that carries them.
//!
//! Requests never talk to the queue themselves: they stage emails in the outbox
//! ([`crate::outbox`]), and the relay puts them here after the change commits.

use std::borrow::Borrow;

use anyhow::Context;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an email says, by kind. On the wire it is `{"kind": "...", "data": {...}}`; `data`
/// holds exactly what the kind's template reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Email {
    Activation {
        token: String,
        valid_hours: u64,
    },
    Welcome {},
    PasswordReset {
        token: String,
        valid_minutes: u64,
    },
    PasswordChanged {},
    CommentReply {
        movie_id: Uuid,
        movie_name: String,
        /// The replier's display name.
        author: String,
        reply_text: String,
    },
    CommentLiked {
        movie_id: Uuid,
        movie_name: String,
        /// The liker's display name.
        author: String,
    },
    PaymentSucceeded {
        order_id: Uuid,
        items: Vec<ReceiptLine>,
        /// Two-place decimal strings, as the API shows money.
        total: String,
        currency: String,
    },
    PaymentFailed {
        order_id: Uuid,
        /// What the payment provider said, when it said something a person can act on.
        reason: Option<String>,
    },
    RefundCompleted {
        order_id: Uuid,
        total: String,
        currency: String,
    },
    MovieRemovedFromCart {
        movie_name: String,
    },
}

/// One line of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub name: String,
    pub price: String,
}

impl Email {
    /// The kind's name, as on the wire and in the template file names.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Activation { .. } => "activation",
            Self::Welcome {} => "welcome",
            Self::PasswordReset { .. } => "password_reset",
            Self::PasswordChanged {} => "password_changed",
            Self::CommentReply { .. } => "comment_reply",
            Self::CommentLiked { .. } => "comment_liked",
            Self::PaymentSucceeded { .. } => "payment_succeeded",
            Self::PaymentFailed { .. } => "payment_failed",
            Self::RefundCompleted { .. } => "refund_completed",
            Self::MovieRemovedFromCart { .. } => "movie_removed_from_cart",
        }
    }
}

/// One email to one address: `{to, kind, data}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to: String,
    #[serde(flatten)]
    pub email: Email,
}

impl EmailMessage {
    pub fn new(to: impl Into<String>, email: Email) -> Self {
        Self {
            to: to.into(),
            email,
        }
    }
}

/// A queue message: an email with the outbox id it was staged under. The mailer sends each id
/// once, so a message the relay had to queue twice is still one email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedEmail {
    pub id: i64,
    #[serde(flatten)]
    pub message: EmailMessage,
}

#[derive(Clone, Debug)]
pub struct EmailQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl EmailQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    pub fn client(&self) -> &aws_sdk_sqs::Client {
        &self.client
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Puts up to [`SQS_BATCH_LIMIT`] emails on the queue in one call; returns the ids of the
    /// ones the queue took (a batch can succeed in part).
    pub async fn enqueue_batch<E: Borrow<QueuedEmail>>(
        &self,
        batch: &[E],
    ) -> anyhow::Result<Vec<i64>> {
        anyhow::ensure!(
            batch.len() <= SQS_BATCH_LIMIT,
            "an SQS batch holds at most 10"
        );
        let mut request = self.client.send_message_batch().queue_url(&self.queue_url);
        for email in batch.iter().map(Borrow::borrow) {
            request = request.entries(
                SendMessageBatchRequestEntry::builder()
                    .id(email.id.to_string())
                    .message_body(serde_json::to_string(email)?)
                    .build()?,
            );
        }
        // One attempt: the outbox is the retry (a refused batch waits for the janitor), and an
        // SDK retrying with backoff under every request during a queue outage only adds load.
        let once = aws_sdk_sqs::config::Builder::default()
            .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled());
        let sent = request
            .customize()
            .config_override(once)
            .send()
            .await
            .context("queueing a batch of emails")?;
        if let Some(refused) = sent.failed().first() {
            tracing::warn!(
                refused = sent.failed().len(),
                of = batch.len(),
                reason = refused.message().unwrap_or(refused.code()),
                "the queue refused some emails"
            );
        }
        Ok(sent
            .successful()
            .iter()
            .filter_map(|entry| entry.id().parse().ok())
            .collect())
    }
}

/// The most entries one `SendMessageBatch` call takes.
pub const SQS_BATCH_LIMIT: usize = 10;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_queued_email_has_the_documented_wire_shape() {
        let queued = QueuedEmail {
            id: 7,
            message: EmailMessage::new(
                "ann@example.com",
                Email::PasswordReset {
                    token: "t".into(),
                    valid_minutes: 60,
                },
            ),
        };
        let wire = serde_json::to_value(&queued).unwrap();
        assert_eq!(
            wire,
            json!({"id": 7, "to": "ann@example.com", "kind": "password_reset",
                   "data": {"token": "t", "valid_minutes": 60}})
        );
        assert_eq!(serde_json::from_value::<QueuedEmail>(wire).unwrap(), queued);
    }

    #[test]
    fn a_kind_without_fields_still_carries_data() {
        let wire = serde_json::to_value(EmailMessage::new("a@b.c", Email::Welcome {})).unwrap();
        assert_eq!(wire, json!({"to": "a@b.c", "kind": "welcome", "data": {}}));
    }

    #[test]
    fn a_message_missing_a_field_of_its_kind_is_refused() {
        let wire = json!({"id": 1, "to": "a@b.c", "kind": "activation", "data": {"token": "t"}});
        assert!(serde_json::from_value::<QueuedEmail>(wire).is_err());
        let unknown = json!({"id": 1, "to": "a@b.c", "kind": "spam", "data": {}});
        assert!(serde_json::from_value::<QueuedEmail>(unknown).is_err());
    }
}
