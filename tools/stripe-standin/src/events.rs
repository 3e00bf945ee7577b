//! Events: Stripe's envelope around an object, stored once as the exact bytes every delivery
//! and resend sends, and listed newest first.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::{Account, AccountKey};
use crate::clock::now;
use crate::errors::ApiError;
use crate::form;
use crate::state::App;
use crate::stripe_objects::list;

/// The API version async-stripe is generated for (`stripe_shared::version::VERSION`), so an
/// app on the pinned crate sees no version mismatch.
static PINNED_VERSION: stripe_shared::ApiVersion = stripe_shared::version::VERSION;

pub fn api_version() -> &'static str {
    PINNED_VERSION.as_str()
}

#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: String,
    pub type_: String,
    pub created: i64,
    /// The JSON exactly as delivered; never re-serialised, so a resend is byte-identical.
    pub body: Arc<str>,
}

/// Records an event for `object` (already in async-stripe's shape) and queues its delivery.
pub fn emit(app: &App, account: &mut Account, type_: &str, object: Value) {
    let id = account.next_id("evt");
    let created = now();
    let envelope = json!({
        "id": id,
        "object": "event",
        "api_version": api_version(),
        "created": created,
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": type_,
    });
    account.events.push(StoredEvent {
        id: id.clone(),
        type_: type_.to_owned(),
        created,
        body: envelope.to_string().into(),
    });
    crate::delivery::enqueue(app, account, id);
}

#[derive(Deserialize, Default)]
struct ListParams {
    limit: Option<String>,
    starting_after: Option<String>,
    #[serde(rename = "type")]
    type_: Option<String>,
}

pub async fn list_events(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params: ListParams = form::parse(query.unwrap_or_default().as_bytes())?;
    let limit = form::integer(&params.limit, "limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            None,
            "limit must be between 1 and 100.",
        ));
    }
    let mut state = app.lock();
    let account = state.account(&key, &app.config);
    let newest_first = account.events.iter().rev();
    let after = match params.starting_after.as_deref() {
        Some(cursor) => {
            let position = account
                .events
                .iter()
                .rev()
                .position(|event| event.id == cursor)
                .ok_or_else(|| ApiError::no_such_param("starting_after", "event", cursor))?;
            position + 1
        }
        None => 0,
    };
    let mut matching = newest_first.skip(after).filter(|event| {
        params
            .type_
            .as_deref()
            .is_none_or(|wanted| wanted == event.type_)
    });
    let page: Vec<Value> = matching
        .by_ref()
        .take(limit as usize)
        .map(|event| serde_json::from_str(&event.body).expect("stored events are JSON"))
        .collect();
    let has_more = matching.next().is_some();
    Ok(Json(list("/v1/events", page, has_more)))
}

pub async fn retrieve(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut state = app.lock();
    let event = state
        .account(&key, &app.config)
        .event(&id)
        .ok_or_else(|| ApiError::no_such("event", &id))?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        event.body.to_string(),
    )
        .into_response())
}
