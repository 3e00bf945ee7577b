//! PaymentIntents and Charges, made when the customer answers the pay page: a success creates
//! both and completes the session; a decline leaves the intent `requires_payment_method` and
//! the session open, as Stripe's own Checkout does (the customer may try again).

use serde_json::{Value, json};

use crate::accounts::Account;
use crate::clock::now;
use crate::errors::ApiError;
use crate::events::emit;
use crate::form::Metadata;
use crate::sessions::SessionStatus;
use crate::state::App;
use crate::stripe_objects::typed;

#[derive(Debug, Clone)]
pub struct PaymentIntent {
    pub id: String,
    pub created: i64,
    pub amount: i64,
    pub currency: String,
    pub metadata: Metadata,
    pub succeeded: bool,
    /// The last attempt was declined (only while not succeeded).
    pub declined: bool,
    pub latest_charge: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Charge {
    pub id: String,
    pub created: i64,
    pub amount: i64,
    pub currency: String,
    /// Copied from the intent, as Stripe does: `order_id` reaches `charge.refunded` this way.
    pub metadata: Metadata,
    pub payment_intent: String,
    /// Cumulative over every refund.
    pub amount_refunded: i64,
}

impl PaymentIntent {
    pub fn to_stripe(&self) -> Result<Value, ApiError> {
        let status = if self.succeeded {
            "succeeded"
        } else {
            "requires_payment_method"
        };
        let last_payment_error = (self.declined && !self.succeeded).then(|| {
            json!({
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            })
        });
        typed::<stripe_shared::PaymentIntent>(&json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": 0,
            "amount_received": if self.succeeded { self.amount } else { 0 },
            "capture_method": "automatic_async",
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "last_payment_error": last_payment_error,
            "latest_charge": self.latest_charge,
            "livemode": false,
            "metadata": self.metadata,
            "payment_method_types": ["card"],
            "status": status,
        }))
    }
}

impl Charge {
    pub fn refunded(&self) -> bool {
        self.amount_refunded >= self.amount
    }

    pub fn to_stripe(&self) -> Result<Value, ApiError> {
        typed::<stripe_shared::Charge>(&json!({
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount,
            "amount_refunded": self.amount_refunded,
            "billing_details": { "address": null, "email": null, "name": null, "phone": null, "tax_id": null },
            "captured": true,
            "created": self.created,
            "currency": self.currency,
            "disputed": false,
            "livemode": false,
            "metadata": self.metadata,
            "paid": true,
            "payment_intent": self.payment_intent,
            "refunded": self.refunded(),
            // Since 2022-11-15 a Charge no longer expands its refunds.
            "status": "succeeded",
        }))
    }
}

/// The intent of an open session, reused across attempts as Stripe does, or a new one.
fn intent_for(account: &mut Account, session_id: &str) -> Result<PaymentIntent, ApiError> {
    let session = account
        .sessions
        .get(session_id)
        .ok_or_else(|| ApiError::no_such("checkout.session", session_id))?;
    if let Some(intent) = session
        .payment_intent
        .as_ref()
        .and_then(|id| account.intents.get(id))
    {
        return Ok(intent.clone());
    }
    let (amount, currency, metadata) = (
        session.amount_total,
        session.currency.clone(),
        session.payment_intent_metadata.clone(),
    );
    Ok(PaymentIntent {
        id: account.next_id("pi"),
        created: now(),
        amount,
        currency,
        metadata,
        succeeded: false,
        declined: false,
        latest_charge: None,
    })
}

/// The customer paid: intent and charge succeed, the session completes. Returns where the
/// customer goes next (`success_url`).
pub fn succeed(app: &App, account: &mut Account, session_id: &str) -> Result<String, ApiError> {
    let mut intent = intent_for(account, session_id)?;
    let charge = Charge {
        id: account.next_id("ch"),
        created: now(),
        amount: intent.amount,
        currency: intent.currency.clone(),
        metadata: intent.metadata.clone(),
        payment_intent: intent.id.clone(),
        amount_refunded: 0,
    };
    intent.succeeded = true;
    intent.declined = false;
    intent.latest_charge = Some(charge.id.clone());

    let session = account
        .sessions
        .get_mut(session_id)
        .expect("intent_for found it");
    session.status = SessionStatus::Complete;
    session.paid = true;
    session.payment_intent = Some(intent.id.clone());
    let (session_object, redirect) = (session.to_stripe()?, session.success_redirect());
    let (charge_object, intent_object) = (charge.to_stripe()?, intent.to_stripe()?);
    account.charges.insert(charge.id.clone(), charge);
    account.intents.insert(intent.id.clone(), intent);

    // Stripe's order for a card payment in Checkout.
    emit(app, account, "charge.succeeded", charge_object);
    emit(app, account, "payment_intent.succeeded", intent_object);
    emit(app, account, "checkout.session.completed", session_object);
    Ok(redirect)
}

/// The card was declined: the session stays open for another try.
pub fn decline(app: &App, account: &mut Account, session_id: &str) -> Result<(), ApiError> {
    let mut intent = intent_for(account, session_id)?;
    intent.declined = true;
    let intent_object = intent.to_stripe()?;
    let session = account
        .sessions
        .get_mut(session_id)
        .expect("intent_for found it");
    session.payment_intent = Some(intent.id.clone());
    account.intents.insert(intent.id.clone(), intent);
    emit(app, account, "payment_intent.payment_failed", intent_object);
    Ok(())
}
