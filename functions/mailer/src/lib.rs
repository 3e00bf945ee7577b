//! The mailer: one SQS message is one email.
//!
//! Each record is rendered from a template compiled into the binary and sent over SMTP with a
//! timeout. An email (outbox id) already sent is not sent again: SQS delivers at least once,
//! and the outbox relay may queue one twice. Only the
//! ids that failed go back to SQS for a retry (`ReportBatchItemFailures`).

mod config;
mod deliveries;
mod smtp;
mod templates;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use cinema_shared::email::QueuedEmail;
use futures::future::join_all;
use sqlx::PgPool;

pub use config::MailerConfig;
pub use templates::{RenderedEmail, render};

use crate::{deliveries::Claim, smtp::SmtpSender};

/// Why one record could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("message has no body")]
    EmptyBody,
    #[error("message body is not an email message: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("rendering the email: {0}")]
    Template(#[from] minijinja::Error),
    #[error("invalid address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("building the email: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("SMTP send timed out")]
    Timeout,
    #[error("delivery log: {0}")]
    Database(#[from] sqlx::Error),
    #[error("another delivery of this message is in progress")]
    InFlight,
}

pub struct Mailer {
    sender: SmtpSender,
    db: sqlx::PgPool,
    frontend_url: String,
}

impl Mailer {
    pub fn from_config(config: MailerConfig) -> anyhow::Result<Self> {
        let db = cinema_shared::db::lazy_pool(&config.database)?;
        Self::new(&config, db)
    }

    /// A mailer over an existing pool (the local gateway shares its own).
    pub fn new(config: &MailerConfig, db: PgPool) -> anyhow::Result<Self> {
        Ok(Self {
            sender: SmtpSender::new(config)?,
            db,
            frontend_url: config.frontend_url.clone(),
        })
    }

    /// Sends every record of the batch concurrently and returns the ids that failed.
    pub async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let outcomes = join_all(event.records.iter().map(|record| self.deliver(record))).await;
        let mut response = SqsBatchResponse::default();
        for (record, outcome) in event.records.iter().zip(outcomes) {
            let message_id = record.message_id.clone().unwrap_or_default();
            match outcome {
                Ok(Delivery::Sent) => tracing::info!(message_id, "email sent"),
                Ok(Delivery::AlreadySent) => {
                    tracing::info!(message_id, "email already sent; redelivery skipped")
                }
                Err(err) => {
                    tracing::warn!(message_id, error = %err, "email not sent; left for retry");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message_id;
                    response.batch_item_failures.push(failure);
                }
            }
        }
        response
    }

    async fn deliver(&self, record: &SqsMessage) -> Result<Delivery, SendError> {
        let body = record.body.as_deref().ok_or(SendError::EmptyBody)?;
        let queued: QueuedEmail = serde_json::from_str(body)?;
        let message = &queued.message;
        let email = render(message, &self.frontend_url)?;
        // Keyed by the outbox id, not the SQS message id: a relay that had to queue an email
        // twice made two SQS messages of one email.
        let message_id = &format!("outbox-{}", queued.id);
        match deliveries::claim(&self.db, message_id).await? {
            Claim::AlreadySent => return Ok(Delivery::AlreadySent),
            Claim::InFlight => return Err(SendError::InFlight),
            Claim::Claimed => {}
        }
        match self.sender.send(&message.to, &email).await {
            Ok(()) => {
                deliveries::mark_sent(&self.db, message_id).await?;
                Ok(Delivery::Sent)
            }
            Err(err) => {
                deliveries::release(&self.db, message_id).await?;
                Err(err)
            }
        }
    }
}

enum Delivery {
    Sent,
    AlreadySent,
}
