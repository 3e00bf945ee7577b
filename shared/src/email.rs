//! The email queue: requests never send mail, they put one message per email on SQS for the
//! `mailer` function.

use anyhow::Context;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which email to send; each kind has its own template in the mailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    Activation,
    Welcome,
    PasswordReset,
    PasswordChanged,
    CommentReply,
    CommentLiked,
    PaymentSucceeded,
    PaymentFailed,
    RefundCompleted,
    MovieRemovedFromCart,
}

/// One email: `{kind, to, data}`, `data` being what the kind's template reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub kind: EmailKind,
    pub to: String,
    #[serde(default)]
    pub data: Value,
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

    /// Puts one email on the queue.
    pub async fn enqueue(&self, message: &EmailMessage) -> anyhow::Result<()> {
        let body = serde_json::to_string(message)?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .with_context(|| format!("queueing a {:?} email", message.kind))?;
        Ok(())
    }

    /// Puts every email on the queue, ten per call (SQS's batch limit), so hundreds of them
    /// take a few calls rather than hundreds. Any email the queue refuses is an error.
    pub async fn enqueue_all(&self, messages: &[EmailMessage]) -> anyhow::Result<()> {
        for batch in messages.chunks(SQS_BATCH_LIMIT) {
            let mut request = self.client.send_message_batch().queue_url(&self.queue_url);
            for (index, message) in batch.iter().enumerate() {
                request = request.entries(
                    SendMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .message_body(serde_json::to_string(message)?)
                        .build()?,
                );
            }
            let sent = request.send().await.context("queueing a batch of emails")?;
            if let Some(refused) = sent.failed().first() {
                anyhow::bail!(
                    "the queue refused {} of {} emails: {}",
                    sent.failed().len(),
                    batch.len(),
                    refused.message().unwrap_or(refused.code())
                );
            }
        }
        Ok(())
    }
}

/// The most entries one `SendMessageBatch` call takes.
pub const SQS_BATCH_LIMIT: usize = 10;
