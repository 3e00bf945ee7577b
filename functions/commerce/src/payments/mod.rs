//! Paying for orders through Stripe Checkout: the checkout request, the webhook that alone
//! confirms a payment, refunds, and the payment history.
//!
//! Stripe is reached only from here and only outside transactions: what a call needs is
//! committed first (with its idempotency key), the call runs, and its answer is saved after.

pub mod checkout;
mod events;
mod fulfil;
pub mod history;
pub mod refund;
pub mod webhook;

use chrono::{DateTime, Utc};
use cinema_payments::Stripe;
use cinema_shared::{ApiError, config::StripeConfig};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The Stripe client and the webhook secret, when this deployment has them.
#[derive(Clone)]
pub struct Payments {
    stripe: Option<Stripe>,
    webhook_secret: Option<SecretString>,
    session_lifetime: std::time::Duration,
}

impl Payments {
    pub fn new(config: Option<&StripeConfig>) -> Self {
        let stripe = config.and_then(|config| {
            Stripe::new(config)
                .inspect_err(|err| tracing::error!(error = %err, "Stripe client not built"))
                .ok()
        });
        Self {
            stripe,
            webhook_secret: config.map(|config| config.webhook_secret.clone()),
            session_lifetime: config
                .map(|config| config.session_lifetime)
                .unwrap_or(std::time::Duration::from_secs(24 * 3600)),
        }
    }

    pub fn stripe(&self) -> Result<&Stripe, ApiError> {
        self.stripe.as_ref().ok_or_else(not_configured)
    }

    fn webhook_secret(&self) -> Result<&SecretString, ApiError> {
        self.webhook_secret.as_ref().ok_or_else(not_configured)
    }

    /// After a canceled order commits: its payment pages stop taking payments. Best effort (a
    /// payment that still lands on a canceled order is flagged, not fulfilled).
    pub async fn expire_sessions_of(&self, db: &sqlx::PgPool, order_id: Uuid) {
        let Some(stripe) = &self.stripe else { return };
        if let Err(err) = cinema_payments::expire_order_sessions(stripe, db, &[order_id]).await {
            tracing::warn!(error = %err, %order_id, "a canceled order's session stays open");
        }
    }
}

fn not_configured() -> ApiError {
    ApiError::ServiceUnavailable("payments are not configured on this server".into())
}

/// What became of a payment Stripe confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[sqlx(type_name = "payment_status", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Paid; the movies are the buyer's.
    Successful,
    /// Paid back; the movies are no longer the buyer's.
    Refunded,
    /// Money arrived that did not match its order (amount, currency, or an order no longer
    /// pending): nothing was fulfilled, and support refunds it.
    Flagged,
}

/// One movie of a payment, at the price paid.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PaymentItem {
    /// Null once the movie was deleted from the catalog.
    pub movie_id: Option<Uuid>,
    pub name: String,
    #[schema(value_type = String, example = "9.99")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub price: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Payment {
    pub id: Uuid,
    pub order_id: Uuid,
    pub status: PaymentStatus,
    #[schema(value_type = String, example = "19.98")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub amount: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
    pub items: Vec<PaymentItem>,
    pub created_at: DateTime<Utc>,
    /// The buyer's email: in moderators' lists only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}
