//! Checkout Sessions: create (mode `payment`, `price_data` lines), retrieve, expire.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::{Account, AccountKey};
use crate::clock::now;
use crate::errors::ApiError;
use crate::events::emit;
use crate::form::{self, Metadata};
use crate::state::App;
use crate::stripe_objects::typed;

/// Stripe's bounds for `expires_at`, and its default.
pub const MIN_LIFETIME_SECS: i64 = 30 * 60;
pub const MAX_LIFETIME_SECS: i64 = 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Open,
    Complete,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Complete => "complete",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub name: String,
    pub unit_amount: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub created: i64,
    pub expires_at: i64,
    pub status: SessionStatus,
    pub paid: bool,
    pub currency: String,
    pub amount_total: i64,
    pub lines: Vec<Line>,
    pub metadata: Metadata,
    pub client_reference_id: Option<String>,
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: Option<String>,
    /// Becomes the PaymentIntent's (and so the Charge's) metadata when the customer pays.
    pub payment_intent_metadata: Metadata,
    pub payment_intent: Option<String>,
    pub url: String,
}

impl Session {
    /// The session as `stripe_shared::CheckoutSession` serialises it.
    pub fn to_stripe(&self) -> Result<Value, ApiError> {
        typed::<stripe_shared::CheckoutSession>(&json!({
            "id": self.id,
            "object": "checkout.session",
            "amount_subtotal": self.amount_total,
            "amount_total": self.amount_total,
            "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "created": self.created,
            "currency": self.currency,
            "custom_fields": [],
            "custom_text": {
                "after_submit": null, "shipping_address": null, "submit": null,
                "terms_of_service_acceptance": null,
            },
            "customer_email": self.customer_email,
            "expires_at": self.expires_at,
            "livemode": false,
            "metadata": self.metadata,
            "mode": "payment",
            "payment_intent": self.payment_intent,
            "payment_method_types": ["card"],
            "payment_status": if self.paid { "paid" } else { "unpaid" },
            "shipping_options": [],
            "status": self.status.as_str(),
            "success_url": self.success_url,
            "url": (self.status == SessionStatus::Open).then_some(&self.url),
        }))
    }

    pub fn is_open(&self) -> bool {
        self.status == SessionStatus::Open
    }

    /// `success_url` with Stripe's template variable filled in.
    pub fn success_redirect(&self) -> String {
        self.success_url.replace("{CHECKOUT_SESSION_ID}", &self.id)
    }
}

#[derive(Deserialize)]
struct CreateForm {
    mode: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    client_reference_id: Option<String>,
    customer_email: Option<String>,
    expires_at: Option<String>,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    line_items: Vec<LineForm>,
    payment_intent_data: Option<PaymentIntentDataForm>,
}

#[derive(Deserialize)]
struct LineForm {
    price: Option<String>,
    price_data: Option<PriceDataForm>,
    quantity: Option<String>,
}

#[derive(Deserialize)]
struct PriceDataForm {
    currency: Option<String>,
    unit_amount: Option<String>,
    product_data: Option<ProductDataForm>,
}

#[derive(Deserialize)]
struct ProductDataForm {
    name: Option<String>,
}

#[derive(Deserialize)]
struct PaymentIntentDataForm {
    #[serde(default)]
    metadata: Metadata,
}

/// Reads the lines; returns them with their common currency.
fn lines(items: &[LineForm]) -> Result<(Vec<Line>, String), ApiError> {
    if items.is_empty() {
        return Err(ApiError::missing("line_items"));
    }
    let mut currency: Option<String> = None;
    let mut lines = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let param = |name: &str| format!("line_items[{index}]{name}");
        if item.price.is_some() {
            return Err(ApiError::invalid(
                &param("[price]"),
                None,
                "The stand-in has no Prices: use line_items[][price_data].",
            ));
        }
        let data = item
            .price_data
            .as_ref()
            .ok_or_else(|| ApiError::missing(&param("[price_data]")))?;
        let line_currency =
            form::required(&data.currency, &param("[price_data][currency]"))?.to_ascii_lowercase();
        let unit_amount = form::integer(&data.unit_amount, &param("[price_data][unit_amount]"))?
            .ok_or_else(|| ApiError::missing(&param("[price_data][unit_amount]")))?;
        if unit_amount < 0 {
            return Err(ApiError::invalid(
                &param("[price_data][unit_amount]"),
                None,
                "This value must be greater than or equal to 0.",
            ));
        }
        let name_param = param("[price_data][product_data][name]");
        let name = data.product_data.as_ref().map(|p| &p.name).unwrap_or(&None);
        let name = form::required(name, &name_param)?.to_owned();
        let quantity = form::integer(&item.quantity, &param("[quantity]"))?
            .ok_or_else(|| ApiError::missing(&param("[quantity]")))?;
        if quantity < 1 {
            return Err(ApiError::invalid(
                &param("[quantity]"),
                None,
                "This value must be greater than or equal to 1.",
            ));
        }
        match &currency {
            Some(first) if *first != line_currency => {
                return Err(ApiError::invalid(
                    &param("[price_data][currency]"),
                    None,
                    "All line items must have the same currency.",
                ));
            }
            Some(_) => {}
            None => currency = Some(line_currency),
        }
        lines.push(Line {
            name,
            unit_amount,
            quantity,
        });
    }
    Ok((lines, currency.expect("at least one line")))
}

pub async fn create(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form: CreateForm = form::parse(&body)?;
    let mode = form::required(&form.mode, "mode")?;
    if mode != "payment" {
        return Err(ApiError::invalid(
            "mode",
            None,
            "The stand-in supports mode=payment only.",
        ));
    }
    let success_url = form::required(&form.success_url, "success_url")?.to_owned();
    let (lines, currency) = lines(&form.line_items)?;
    let created = now();
    let expires_at = match form::integer(&form.expires_at, "expires_at")? {
        None => created + MAX_LIFETIME_SECS,
        Some(at) if (created + MIN_LIFETIME_SECS..=created + MAX_LIFETIME_SECS).contains(&at) => at,
        Some(_) => {
            return Err(ApiError::invalid(
                "expires_at",
                None,
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
            ));
        }
    };
    let amount_total = lines
        .iter()
        .try_fold(0i64, |sum, line| {
            sum.checked_add(line.unit_amount.checked_mul(line.quantity)?)
        })
        .ok_or_else(|| {
            ApiError::invalid(
                "line_items",
                Some("amount_too_large"),
                "The total is too large.",
            )
        })?;
    let metadata = form::metadata(form.metadata, "metadata")?;
    let payment_intent_metadata = form::metadata(
        form.payment_intent_data
            .map(|data| data.metadata)
            .unwrap_or_default(),
        "payment_intent_data[metadata]",
    )?;

    let mut state = app.lock();
    let account = state.account(&key, &app.config);
    let id = account.next_id("cs");
    let session = Session {
        url: format!("{}/pay/{id}", app.base_url),
        id: id.clone(),
        created,
        expires_at,
        status: SessionStatus::Open,
        paid: false,
        currency,
        amount_total,
        lines,
        metadata,
        client_reference_id: form.client_reference_id.filter(|v| !v.is_empty()),
        customer_email: form.customer_email.filter(|v| !v.is_empty()),
        success_url,
        cancel_url: form.cancel_url.filter(|v| !v.is_empty()),
        payment_intent_metadata,
        payment_intent: None,
    };
    let body = session.to_stripe()?;
    account.sessions.insert(id, session);
    Ok(Json(body))
}

pub async fn retrieve(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut state = app.lock();
    let session = state
        .account(&key, &app.config)
        .sessions
        .get(&id)
        .ok_or_else(|| ApiError::no_such("checkout.session", &id))?;
    Ok(Json(session.to_stripe()?))
}

pub async fn expire_route(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut state = app.lock();
    let account = state.account(&key, &app.config);
    Ok(Json(expire(&app, account, &id)?))
}

/// Expires an open session and fires `checkout.session.expired` (the route and the clock).
pub fn expire(app: &App, account: &mut Account, id: &str) -> Result<Value, ApiError> {
    let session = account
        .sessions
        .get_mut(id)
        .ok_or_else(|| ApiError::no_such("checkout.session", id))?;
    if !session.is_open() {
        return Err(ApiError::bad_state(
            "checkout_session_unexpected_state",
            format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired; this one is {}.",
                session.status.as_str()
            ),
        ));
    }
    session.status = SessionStatus::Expired;
    let object = session.to_stripe()?;
    emit(app, account, "checkout.session.expired", object.clone());
    Ok(object)
}

/// The clock: expires every open session whose `expires_at` has passed at `at`.
pub fn expire_due(app: &App, at: i64) {
    let mut state = app.lock();
    for account in state.accounts_mut() {
        let due: Vec<String> = account
            .sessions
            .values()
            .filter(|session| session.is_open() && session.expires_at <= at)
            .map(|session| session.id.clone())
            .collect();
        for id in due {
            if let Err(error) = expire(app, account, &id) {
                tracing::error!(%id, ?error, "could not expire a due session");
            }
        }
    }
}
