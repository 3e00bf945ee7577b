//! `Idempotency-Key` on every API POST, per account and path, as Stripe does: the same key with
//! the same parameters replays the stored answer (`Idempotent-Replayed: true`), with other
//! parameters it is a 400 `idempotency_error`, and while the first request runs a 409.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::accounts::account_key;
use crate::errors::ApiError;
use crate::form;
use crate::state::App;

const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub enum IdempotencyEntry {
    InProgress {
        params: Vec<(String, String)>,
    },
    Done {
        params: Vec<(String, String)>,
        status: StatusCode,
        body: Bytes,
    },
}

impl IdempotencyEntry {
    fn params(&self) -> &[(String, String)] {
        match self {
            Self::InProgress { params } | Self::Done { params, .. } => params,
        }
    }
}

enum Begin {
    Fresh,
    Replay(StatusCode, Bytes),
    Reject(ApiError),
}

pub async fn layer(State(app): State<App>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return next.run(request).await;
    };
    let account = match account_key(request.headers()) {
        Ok(account) => account.0,
        Err(error) => return error.into_response(),
    };
    let path = request.uri().path().to_owned();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError::malformed("The request body is too large.").into_response();
    };
    let params = form::canonical(&bytes);
    let slot = (path, key.clone());

    let begin = {
        let mut state = app.lock();
        let entries = &mut state.account(&account, &app.config).idempotency;
        match entries.get(&slot) {
            Some(entry) if entry.params() != params.as_slice() => {
                Begin::Reject(ApiError::idempotency_mismatch(&key))
            }
            Some(IdempotencyEntry::InProgress { .. }) => {
                Begin::Reject(ApiError::idempotency_in_use(&key))
            }
            Some(IdempotencyEntry::Done { status, body, .. }) => {
                Begin::Replay(*status, body.clone())
            }
            None => {
                entries.insert(
                    slot.clone(),
                    IdempotencyEntry::InProgress {
                        params: params.clone(),
                    },
                );
                Begin::Fresh
            }
        }
    };
    match begin {
        Begin::Reject(error) => return error.into_response(),
        Begin::Replay(status, body) => return replay(status, body),
        Begin::Fresh => {}
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();

    let mut state = app.lock();
    let entries = &mut state.account(&account, &app.config).idempotency;
    // Stripe keeps the result once the request ran; a request refused before it ran (bad or
    // missing params, auth) is not kept, so the client may fix it and retry with the same key.
    if parts.status.is_client_error() {
        entries.remove(&slot);
    } else {
        entries.insert(
            slot,
            IdempotencyEntry::Done {
                params,
                status: parts.status,
                body: body.clone(),
            },
        );
    }
    Response::from_parts(parts, Body::from(body))
}

fn replay(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
