//! Webhook endpoints. Every account starts with the env's endpoint (`STRIPE_WEBHOOK_URL`);
//! registering one (`POST /v1/webhook_endpoints`) replaces it for that account only, which is
//! how a test points its own account's events at its own app. One endpoint per account.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::accounts::AccountKey;
use crate::clock::now;
use crate::config::DefaultEndpoint;
use crate::errors::ApiError;
use crate::form;
use crate::state::App;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `None` for the env's default endpoint.
    pub id: Option<String>,
    pub url: String,
    pub secret: String,
    /// `*` or event types.
    pub enabled_events: Vec<String>,
    pub created: i64,
}

impl Endpoint {
    pub fn from_default(default: &DefaultEndpoint) -> Self {
        Self {
            id: None,
            url: default.url.clone(),
            secret: default.secret.clone(),
            enabled_events: vec!["*".into()],
            created: now(),
        }
    }

    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled_events
            .iter()
            .any(|wanted| wanted == "*" || wanted == event_type)
    }

    fn to_json(&self, with_secret: bool) -> Value {
        json!({
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": crate::events::api_version(),
            "application": null,
            "created": self.created,
            "description": null,
            "enabled_events": self.enabled_events,
            "livemode": false,
            "metadata": {},
            "secret": with_secret.then_some(&self.secret),
            "status": "enabled",
            "url": self.url,
        })
    }
}

#[derive(Deserialize)]
struct EndpointForm {
    url: Option<String>,
    #[serde(default)]
    enabled_events: Vec<String>,
}

pub async fn create(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form: EndpointForm = form::parse(&body)?;
    let url = form::required(&form.url, "url")?.to_owned();
    if form.enabled_events.is_empty() {
        return Err(ApiError::missing("enabled_events"));
    }
    let mut state = app.lock();
    let account = state.account(&key, &app.config);
    let id = account.next_id("we");
    // Deterministic for a key and endpoint, like every other id here; this is a dev tool.
    let digest = Sha256::digest(format!("{key}:{id}").as_bytes());
    let endpoint = Endpoint {
        id: Some(id),
        url,
        secret: format!("whsec_{}", hex::encode(&digest[..16])),
        enabled_events: form.enabled_events,
        created: now(),
    };
    let body = endpoint.to_json(true);
    account.endpoint = Some(endpoint);
    Ok(Json(body))
}

pub async fn update(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form: EndpointForm = form::parse(&body)?;
    let mut state = app.lock();
    let endpoint = owned_endpoint(state.account(&key, &app.config).endpoint.as_mut(), &id)?;
    if let Some(url) = form.url.filter(|url| !url.is_empty()) {
        endpoint.url = url;
    }
    if !form.enabled_events.is_empty() {
        endpoint.enabled_events = form.enabled_events;
    }
    Ok(Json(endpoint.to_json(false)))
}

pub async fn retrieve(
    State(app): State<App>,
    AccountKey(key): AccountKey,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut state = app.lock();
    let endpoint = owned_endpoint(state.account(&key, &app.config).endpoint.as_mut(), &id)?;
    Ok(Json(endpoint.to_json(false)))
}

fn owned_endpoint<'a>(
    endpoint: Option<&'a mut Endpoint>,
    id: &str,
) -> Result<&'a mut Endpoint, ApiError> {
    endpoint
        .filter(|endpoint| endpoint.id.as_deref() == Some(id))
        .ok_or_else(|| ApiError::no_such("webhook_endpoint", id))
}
