//! The calls Cinema makes to Stripe (or the local stand-in, which speaks the same API):
//! create a Checkout Session, expire one, refund a payment. Each call carries an idempotency
//! key the caller saved first, and is retried here under that same key, so a retry can never
//! make a second session or a second refund.
//!
//! Shared by the commerce function (checkout, refunds) and the janitor (expiring the sessions
//! of the orders it cancels); no other function links Stripe.

pub mod money;

use std::{collections::HashMap, time::Duration};

use cinema_shared::config::StripeConfig;
use secrecy::ExposeSecret;
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ProductData,
};
use stripe_core::refund::CreateRefund;

pub use money::{Currency, MinorUnits};

/// Why a call to Stripe did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    /// Stripe refused the request (a 4xx other than a retryable one): retrying will not help.
    #[error("Stripe refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Stripe could not be reached, or kept failing, after every retry.
    #[error("Stripe is unavailable: {0}")]
    Unavailable(String),
    /// The request could not be made at all (a bad key, a bad amount).
    #[error("invalid payment request: {0}")]
    Invalid(String),
}

/// One line of a Checkout Session: one movie, bought once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLine {
    pub name: String,
    pub amount: MinorUnits,
}

/// Everything a Checkout Session is made from. Saved before the call, so a retry (ours, or a
/// later request's) sends exactly the same parameters under the same key.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub idempotency_key: String,
    pub order_id: uuid::Uuid,
    pub lines: Vec<CheckoutLine>,
    pub currency: Currency,
    /// Unix seconds.
    pub expires_at: i64,
    pub customer_email: String,
    pub success_url: String,
    pub cancel_url: String,
}

/// What the buyer is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Metadata keys every object we create carries, so webhooks lead back to our rows.
pub const ORDER_ID_KEY: &str = "order_id";
pub const CHECKOUT_KEY: &str = "checkout_key";
pub const REFUND_ID_KEY: &str = "refund_id";

/// Attempts per call: the first and two retries, under the same idempotency key.
const ATTEMPTS: u32 = 3;
const RETRY_DELAYS: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(1000)];

#[derive(Clone)]
pub struct Stripe {
    client: stripe::Client,
}

impl Stripe {
    pub fn new(config: &StripeConfig) -> Result<Self, PaymentsError> {
        let mut builder =
            stripe::ClientBuilder::new(config.secret_key.expose_secret()).timeout(config.timeout);
        if let Some(base) = &config.api_base {
            builder = builder.url(base.as_str());
        }
        let client = builder
            .build()
            .map_err(|err| PaymentsError::Invalid(err.to_string()))?;
        Ok(Self { client })
    }

    /// Creates (or, for a key already used with the same parameters, finds again) the
    /// Checkout Session of an order.
    pub async fn create_checkout_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, PaymentsError> {
        let metadata = HashMap::from([
            (ORDER_ID_KEY.to_owned(), request.order_id.to_string()),
            (CHECKOUT_KEY.to_owned(), request.idempotency_key.clone()),
        ]);
        let currency = request.currency.to_stripe()?;
        let lines: Vec<CreateCheckoutSessionLineItems> = request
            .lines
            .iter()
            .map(|line| {
                let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
                price.unit_amount = Some(line.amount.0);
                price.product_data = Some(ProductData::new(line.name.clone()));
                let mut item = CreateCheckoutSessionLineItems::new();
                item.price_data = Some(price);
                item.quantity = Some(1);
                item
            })
            .collect();
        let mut intent = CreateCheckoutSessionPaymentIntentData::new();
        intent.metadata = Some(HashMap::from([(
            ORDER_ID_KEY.to_owned(),
            request.order_id.to_string(),
        )]));
        let create = CreateCheckoutSession::new()
            .mode(stripe_checkout::CheckoutSessionMode::Payment)
            .line_items(lines)
            .client_reference_id(request.order_id.to_string())
            .metadata(metadata)
            .payment_intent_data(intent)
            .customer_email(request.customer_email.clone())
            .expires_at(request.expires_at)
            .success_url(request.success_url.clone())
            .cancel_url(request.cancel_url.clone());
        let key = idempotency_key(&request.idempotency_key)?;
        let session = retrying("create checkout session", || {
            create
                .customize()
                .request_strategy(RequestStrategy::Idempotent(key.clone()))
                .send(&self.client)
        })
        .await?;
        Ok(CheckoutSession {
            url: session.url.clone().ok_or_else(|| {
                PaymentsError::Unavailable("Stripe answered a session without a url".into())
            })?,
            id: session.id.to_string(),
            expires_at: session.expires_at,
        })
    }

    /// Expires an open Checkout Session, so it can no longer be paid. A session that is no
    /// longer open (paid, expired) is left as it is.
    pub async fn expire_checkout_session(&self, session_id: &str) -> Result<(), PaymentsError> {
        let expire = ExpireCheckoutSession::new(session_id);
        match retrying("expire checkout session", || expire.send(&self.client)).await {
            Ok(_) => Ok(()),
            // Stripe answers 400 for a session that is not open: nothing left to do.
            Err(PaymentsError::Refused { status: 400, .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Refunds `amount` of a payment; `refund_id` is our refund's id, used as the idempotency
    /// key and carried in the refund's metadata. Returns Stripe's refund id.
    pub async fn create_refund(
        &self,
        payment_intent: &str,
        amount: MinorUnits,
        refund_id: uuid::Uuid,
    ) -> Result<String, PaymentsError> {
        let create = CreateRefund::new()
            .payment_intent(payment_intent)
            .amount(amount.0)
            .metadata(HashMap::from([(
                REFUND_ID_KEY.to_owned(),
                refund_id.to_string(),
            )]));
        let key = idempotency_key(&format!("refund-{refund_id}"))?;
        let refund = retrying("create refund", || {
            create
                .customize()
                .request_strategy(RequestStrategy::Idempotent(key.clone()))
                .send(&self.client)
        })
        .await?;
        Ok(refund.id.to_string())
    }
}

/// Expires every session ever made for `orders` (the canceled ones): a session that is no
/// longer open is left alone by Stripe. Runs after the cancellation committed.
pub async fn expire_order_sessions(
    stripe: &Stripe,
    db: &sqlx::PgPool,
    orders: &[uuid::Uuid],
) -> Result<usize, PaymentsError> {
    let sessions: Vec<String> = sqlx::query_scalar(
        "SELECT session_id FROM checkouts WHERE order_id = ANY($1) AND session_id IS NOT NULL",
    )
    .bind(orders)
    .fetch_all(db)
    .await
    .map_err(|err| PaymentsError::Unavailable(format!("reading the sessions: {err}")))?;
    for session in &sessions {
        stripe.expire_checkout_session(session).await?;
    }
    Ok(sessions.len())
}

fn idempotency_key(key: &str) -> Result<IdempotencyKey, PaymentsError> {
    IdempotencyKey::new(key).map_err(|err| PaymentsError::Invalid(err.to_string()))
}

/// Runs `call` until it succeeds, fails for good, or runs out of attempts. Retried: no answer,
/// 409 (the same key in use by a concurrent request), 429 and 5xx.
async fn retrying<T, F, Fut>(what: &str, mut call: F) -> Result<T, PaymentsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StripeError>>,
{
    let mut attempt = 0;
    loop {
        let error = match call().await {
            Ok(value) => return Ok(value),
            Err(error) => classify(error),
        };
        attempt += 1;
        match error {
            Retry::Again(message) if attempt < ATTEMPTS => {
                tracing::warn!(call = what, attempt, error = %message, "Stripe call failed; retrying");
                tokio::time::sleep(RETRY_DELAYS[attempt as usize - 1]).await;
            }
            Retry::Again(message) => return Err(PaymentsError::Unavailable(message)),
            Retry::Never(error) => return Err(error),
        }
    }
}

enum Retry {
    Again(String),
    Never(PaymentsError),
}

fn classify(error: StripeError) -> Retry {
    match error {
        StripeError::Stripe(errors, status) => {
            let message = errors
                .message
                .clone()
                .unwrap_or_else(|| format!("{:?}", errors.type_));
            if status == 409 || status == 429 || status >= 500 {
                Retry::Again(format!("{status}: {message}"))
            } else {
                Retry::Never(PaymentsError::Refused { status, message })
            }
        }
        StripeError::ClientError(message) => Retry::Again(message),
        StripeError::Timeout => Retry::Again("timed out".into()),
        StripeError::JSONDeserialize(message) => Retry::Never(PaymentsError::Unavailable(format!(
            "Stripe's answer did not parse: {message}"
        ))),
        StripeError::ConfigError(message) => Retry::Never(PaymentsError::Invalid(message)),
    }
}
