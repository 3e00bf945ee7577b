//! Refunds against a PaymentIntent's charge, full or partial; they succeed at once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::AccountKey;
use crate::clock::now;
use crate::errors::ApiError;
use crate::events::emit;
use crate::form::{self, Metadata};
use crate::state::App;
use crate::stripe_objects::typed;

const REASONS: [&str; 3] = ["duplicate", "fraudulent", "requested_by_customer"];

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    pub created: i64,
    pub amount: i64,
    pub currency: String,
    pub charge: String,
    pub payment_intent: String,
    pub metadata: Metadata,
    pub reason: Option<String>,
}

impl Refund {
    pub fn to_stripe(&self) -> Result<Value, ApiError> {
        typed::<stripe_shared::Refund>(&json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "metadata": self.metadata,
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "status": "succeeded",
        }))
    }
}

#[derive(Deserialize)]
struct CreateForm {
    payment_intent: Option<String>,
    amount: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    metadata: Metadata,
}

pub async fn create(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form: CreateForm = form::parse(&body)?;
    let intent_id = form::required(&form.payment_intent, "payment_intent")?;
    let amount = form::integer(&form.amount, "amount")?;
    let reason = form.reason.filter(|r| !r.is_empty());
    if let Some(reason) = reason.as_deref().filter(|r| !REASONS.contains(r)) {
        return Err(ApiError::invalid(
            "reason",
            None,
            format!(
                "Invalid reason {reason:?}: must be one of duplicate, fraudulent, or requested_by_customer."
            ),
        ));
    }
    let metadata = form::metadata(form.metadata, "metadata")?;

    let mut state = app.lock();
    let account = state.account(&key, &app.config);
    let intent = account
        .intents
        .get(intent_id)
        .ok_or_else(|| ApiError::no_such_param("payment_intent", "payment_intent", intent_id))?;
    let charge_id = intent
        .latest_charge
        .clone()
        .filter(|_| intent.succeeded)
        .ok_or_else(|| {
            ApiError::bad_state(
                "payment_intent_unexpected_state",
                format!(
                    "This PaymentIntent ({intent_id}) does not have a successful charge to refund."
                ),
            )
        })?;
    let charge = account
        .charges
        .get_mut(&charge_id)
        .expect("a succeeded intent has its charge");
    let remaining = charge.amount - charge.amount_refunded;
    if remaining == 0 {
        return Err(ApiError::bad_state(
            "charge_already_refunded",
            format!("Charge {charge_id} has already been refunded."),
        ));
    }
    let amount = amount.unwrap_or(remaining);
    if amount <= 0 {
        return Err(ApiError::invalid(
            "amount",
            None,
            "The refund amount must be a positive integer.",
        ));
    }
    if amount > remaining {
        return Err(ApiError::invalid(
            "amount",
            Some("amount_too_large"),
            format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})."
            ),
        ));
    }
    charge.amount_refunded += amount;
    let (charge_object, currency) = (charge.to_stripe()?, charge.currency.clone());
    let refund = Refund {
        id: account.next_id("re"),
        created: now(),
        amount,
        currency,
        charge: charge_id,
        payment_intent: intent_id.to_owned(),
        metadata,
        reason,
    };
    let refund_object = refund.to_stripe()?;
    account.refunds.insert(refund.id.clone(), refund);
    emit(&app, account, "refund.created", refund_object.clone());
    emit(&app, account, "charge.refunded", charge_object);
    Ok(Json(refund_object))
}

pub async fn retrieve(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut state = app.lock();
    let refund = state
        .account(&key, &app.config)
        .refunds
        .get(&id)
        .ok_or_else(|| ApiError::no_such("refund", &id))?;
    Ok(Json(refund.to_stripe()?))
}
