//! The email queue: requests never send mail, they put one message per email on SQS for the
//! `mailer` function.

use anyhow::Context;
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
}
