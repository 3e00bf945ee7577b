//! What the Lambda SQS trigger does: long-poll the queue, hand each batch to the mailer as a
//! real SQS event, delete only the messages that succeeded. The rest become visible again after
//! the visibility timeout and, after enough receipts, move to the dead-letter queue.

use std::{collections::HashSet, sync::Arc, time::Duration};

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use cinema_mailer::Mailer;
use tokio::sync::watch;

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PumpReport {
    pub received: usize,
    pub deleted: usize,
    pub failed_ids: Vec<String>,
}

pub struct MailPump {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    mailer: Arc<Mailer>,
    wait_secs: i32,
}

impl MailPump {
    pub fn new(
        sqs: aws_sdk_sqs::Client,
        queue_url: impl Into<String>,
        mailer: Arc<Mailer>,
        wait_secs: i32,
    ) -> Self {
        Self {
            sqs,
            queue_url: queue_url.into(),
            mailer,
            wait_secs,
        }
    }

    /// Receives up to one batch (10 messages, as the trigger's default batch size) and
    /// processes it.
    pub async fn pump_once(&self) -> anyhow::Result<PumpReport> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(self.wait_secs)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(PumpReport::default());
        }
        let mut event = SqsEvent::default();
        event.records = messages.iter().map(to_lambda_record).collect();
        let response = self.mailer.handle_batch(event).await;
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.as_str())
            .collect();
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| !failed.contains(m.message_id().unwrap_or_default()))
            .map(|(index, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .build()
            })
            .collect::<Result<_, _>>()?;
        let deleted = entries.len();
        if !entries.is_empty() {
            self.sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await?;
        }
        Ok(PumpReport {
            received: messages.len(),
            deleted,
            failed_ids: failed.into_iter().map(String::from).collect(),
        })
    }

    /// Polls until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(queue_url = %self.queue_url, "mail pump started");
        while !*shutdown.borrow() {
            tokio::select! {
                result = self.pump_once() => match result {
                    Ok(report) if report.received > 0 => {
                        tracing::info!(?report, "mail batch processed");
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::warn!(error = ?err, "mail queue poll failed; retrying");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                },
                _ = shutdown.changed() => break,
            }
        }
        tracing::info!("mail pump stopped");
    }
}

/// The record Lambda would put in the event for this message.
fn to_lambda_record(message: &Message) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = message.message_id.clone();
    record.receipt_handle = message.receipt_handle.clone();
    record.body = message.body.clone();
    record.md5_of_body = message.md5_of_body.clone();
    record.event_source = Some("aws:sqs".to_owned());
    record.attributes = message
        .attributes
        .iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
        .collect();
    record
}
