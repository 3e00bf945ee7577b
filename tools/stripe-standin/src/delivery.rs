//! Webhook delivery. Each account has a loop that takes its events in creation order and starts
//! one task per event; the loop waits for that task's first attempt only, so events arrive in
//! order as a rule while a failing one retries on its own schedule without holding up the next.
//! Every attempt re-reads the account's endpoint (a test may change its url meanwhile) and
//! signs anew.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, USER_AGENT};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::accounts::Account;
use crate::clock::now;
use crate::errors::ApiError;
use crate::events::StoredEvent;
use crate::form;
use crate::signature;
use crate::state::App;
use crate::webhook_endpoints::Endpoint;

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub url: String,
    /// 1 for the first attempt, then each retry; resends count on their own.
    pub attempt: usize,
    pub resend: bool,
    /// The receiver's HTTP status, `None` when it did not answer (refused, timed out).
    pub status: Option<u16>,
    pub error: Option<String>,
    /// Unix milliseconds.
    pub at: u128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    Failed(Option<u16>),
    /// No endpoint, or it does not subscribe to this type: nothing to send, nothing to retry.
    NotSent,
}

/// Queues `event_id` for delivery; called under the state lock, so ids arrive in order.
pub fn enqueue(app: &App, account: &mut Account, event_id: String) {
    let key = account.key.clone();
    let dispatcher = account
        .dispatcher
        .get_or_insert_with(|| spawn_dispatcher(app.clone(), key));
    // The loop only stops with the runtime; a closed channel then loses nothing that matters.
    let _ = dispatcher.send(event_id);
}

fn spawn_dispatcher(app: App, key: String) -> mpsc::UnboundedSender<String> {
    let (sender, mut receiver) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(event_id) = receiver.recv().await {
            let (first_done, first_attempted) = oneshot::channel();
            tokio::spawn(deliver(app.clone(), key.clone(), event_id, first_done));
            let _ = first_attempted.await;
        }
    });
    sender
}

async fn deliver(app: App, key: String, event_id: String, first_done: oneshot::Sender<()>) {
    let mut first_done = Some(first_done);
    let delays = app.config.retry_delays.clone();
    for attempt in 1..=delays.len() + 1 {
        if attempt > 1 {
            tokio::time::sleep(delays[attempt - 2]).await;
        }
        let outcome = attempt_once(&app, &key, &event_id, attempt, false).await;
        if let Some(done) = first_done.take() {
            let _ = done.send(());
        }
        if !matches!(outcome, Outcome::Failed(_)) {
            return;
        }
    }
    tracing::warn!(%event_id, "webhook delivery failed on every attempt; giving up");
}

/// One POST of the stored bytes with a fresh signature, recorded in the delivery log.
pub async fn attempt_once(
    app: &App,
    key: &str,
    event_id: &str,
    attempt: usize,
    resend: bool,
) -> Outcome {
    let target: Option<(StoredEvent, Option<Endpoint>)> = {
        let mut state = app.lock();
        state.account_by_key(key).and_then(|account| {
            let event = account.event(event_id)?.clone();
            Some((event, account.endpoint.clone()))
        })
    };
    let Some((event, endpoint)) = target else {
        return Outcome::NotSent;
    };
    let Some(endpoint) = endpoint.filter(|endpoint| endpoint.wants(&event.type_)) else {
        tracing::info!(%event_id, kind = %event.type_, "no webhook endpoint for this event; it stays undelivered");
        return Outcome::NotSent;
    };

    let sent = app
        .http
        .post(&endpoint.url)
        .header(
            "Stripe-Signature",
            signature::header(&endpoint.secret, now(), &event.body),
        )
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .header(USER_AGENT, "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .body(event.body.to_string())
        .send()
        .await;
    let (status, error) = match sent {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(error) => (None, Some(error.to_string())),
    };
    let outcome = match status {
        Some(code) if (200..300).contains(&code) => Outcome::Delivered(code),
        other => Outcome::Failed(other),
    };
    if !matches!(outcome, Outcome::Delivered(_)) {
        tracing::warn!(%event_id, url = %endpoint.url, ?status, ?error, attempt, "webhook delivery failed");
    }
    app.lock().deliveries.push(DeliveryRecord {
        event_id: event.id.clone(),
        event_type: event.type_.clone(),
        url: endpoint.url,
        attempt,
        resend,
        status,
        error,
        at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
    });
    outcome
}

/// `POST /_local/events/{id}/resend`: the same bytes once more, freshly signed (no retries).
pub async fn resend(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = {
        let mut state = app.lock();
        let account = state
            .account_of_id(&id)
            .filter(|account| account.event(&id).is_some())
            .ok_or_else(|| ApiError::no_such("event", &id))?;
        account.key.clone()
    };
    let attempt = {
        let state = app.lock();
        state
            .deliveries
            .iter()
            .filter(|record| record.event_id == id && record.resend)
            .count()
            + 1
    };
    let (delivered, status) = match attempt_once(&app, &key, &id, attempt, true).await {
        Outcome::Delivered(status) => (true, Some(status)),
        Outcome::Failed(status) => (false, status),
        Outcome::NotSent => (false, None),
    };
    Ok(Json(json!({ "delivered": delivered, "status": status })))
}

#[derive(Deserialize, Default)]
struct DeliveriesQuery {
    event_id: Option<String>,
}

/// `GET /_local/deliveries[?event_id=]`: every attempt so far, oldest first.
pub async fn list(
    State(app): State<App>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<DeliveryRecord>>, ApiError> {
    let query: DeliveriesQuery = form::parse(query.unwrap_or_default().as_bytes())?;
    let state = app.lock();
    Ok(Json(
        state
            .deliveries
            .iter()
            .filter(|record| {
                query
                    .event_id
                    .as_deref()
                    .is_none_or(|id| id == record.event_id)
            })
            .cloned()
            .collect(),
    ))
}
