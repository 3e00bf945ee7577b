//! Accounts: every `sk_test_*` secret key is an account of its own, so parallel tests never see
//! each other's sessions, events or webhook endpoint.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::errors::ApiError;
use crate::events::StoredEvent;
use crate::idempotency::IdempotencyEntry;
use crate::payments::{Charge, PaymentIntent};
use crate::refunds::Refund;
use crate::sessions::Session;
use crate::webhook_endpoints::Endpoint;

/// The secret key of the request, checked to be a test key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for AccountKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        account_key(&parts.headers)
    }
}

/// Reads `Authorization: Bearer sk_test_...` (async-stripe) or Basic with the key as the user
/// name (`curl -u sk_test_local:`), as Stripe accepts both.
pub fn account_key(headers: &HeaderMap) -> Result<AccountKey, ApiError> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::unauthorized)?;
    let key = if let Some(token) = value.strip_prefix("Bearer ") {
        token.trim().to_owned()
    } else if let Some(encoded) = value.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(ApiError::unauthorized)?;
        decoded.split(':').next().unwrap_or_default().to_owned()
    } else {
        return Err(ApiError::unauthorized());
    };
    if key.len() > "sk_test_".len() && key.starts_with("sk_test_") {
        Ok(AccountKey(key))
    } else {
        Err(ApiError::unauthorized())
    }
}

/// Eight hex digits of the key's SHA-256: short, stable across runs, and part of every id, so
/// an id alone (a pay link, a resend) finds its account.
pub fn tag_of(key: &str) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..4])
}

/// The tag inside an id made by [`Account::next_id`] (`cs_test_<tag>_<n>`).
pub fn tag_in_id(id: &str) -> Option<&str> {
    let mut parts = id.rsplitn(3, '_');
    let counter = parts.next()?;
    let tag = parts.next()?;
    parts.next()?;
    (counter.bytes().all(|b| b.is_ascii_digit()) && !counter.is_empty()).then_some(tag)
}

#[derive(Debug)]
pub struct Account {
    pub key: String,
    pub tag: String,
    counters: HashMap<String, u64>,
    pub sessions: HashMap<String, Session>,
    pub intents: HashMap<String, PaymentIntent>,
    pub charges: HashMap<String, Charge>,
    pub refunds: HashMap<String, Refund>,
    /// In creation order; the stored bytes are exactly what is delivered.
    pub events: Vec<StoredEvent>,
    pub endpoint: Option<Endpoint>,
    pub idempotency: HashMap<(String, String), IdempotencyEntry>,
    /// Started with the first event: hands this account's events to its delivery loop in order.
    pub dispatcher: Option<mpsc::UnboundedSender<String>>,
}

impl Account {
    pub fn new(key: &str, endpoint: Option<Endpoint>) -> Self {
        Self {
            key: key.to_owned(),
            tag: tag_of(key),
            counters: HashMap::new(),
            sessions: HashMap::new(),
            intents: HashMap::new(),
            charges: HashMap::new(),
            refunds: HashMap::new(),
            events: Vec::new(),
            endpoint,
            idempotency: HashMap::new(),
            dispatcher: None,
        }
    }

    /// `{prefix}_test_{tag}_{n}`, one counter per prefix: deterministic for a given key.
    pub fn next_id(&mut self, prefix: &str) -> String {
        let counter = self.counters.entry(prefix.to_owned()).or_insert(0);
        *counter += 1;
        format!("{prefix}_test_{}_{counter}", self.tag)
    }

    pub fn event(&self, id: &str) -> Option<&StoredEvent> {
        self.events.iter().find(|event| event.id == id)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn accepts_bearer_and_basic_test_keys_only() {
        assert_eq!(
            account_key(&headers("Bearer sk_test_a")).unwrap().0,
            "sk_test_a"
        );
        // `curl -u sk_test_a:`
        assert_eq!(
            account_key(&headers("Basic c2tfdGVzdF9hOg==")).unwrap().0,
            "sk_test_a"
        );
        assert!(account_key(&headers("Bearer sk_live_a")).is_err());
        assert!(account_key(&headers("Bearer sk_test_")).is_err());
        assert!(account_key(&HeaderMap::new()).is_err());
    }

    #[test]
    fn ids_carry_the_account_tag_and_count_per_prefix() {
        let mut account = Account::new("sk_test_local", None);
        let tag = account.tag.clone();
        assert_eq!(account.next_id("cs"), format!("cs_test_{tag}_1"));
        assert_eq!(account.next_id("cs"), format!("cs_test_{tag}_2"));
        assert_eq!(account.next_id("evt"), format!("evt_test_{tag}_1"));
        assert_eq!(tag_in_id(&format!("cs_test_{tag}_2")), Some(tag.as_str()));
        assert_eq!(tag_in_id("cs_test_1"), Some("test"));
        assert_eq!(tag_in_id("nonsense"), None);
    }
}
