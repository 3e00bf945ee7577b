//! The layers every API answer goes through, applied once around the merged routers.

use std::time::Duration;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderName, HeaderValue, Method, header},
};
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{config::Config, error::ApiError};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The API's base path, the same under API Gateway and the local gateway.
pub const API_PREFIX: &str = "/api/v1";

// CORS has two owners that must agree: on AWS, API Gateway answers preflights itself and puts its
// own CORS headers on every answer (hiding any a function returns), from template.yaml's
// `CorsConfiguration`; locally, the layer below does. These lists are the one source of both: a
// test (gateway/tests/deployed_routes.rs) holds the template to them. The allowed origins come
// from one stack parameter in both places.

/// The methods a browser may use across origins (preflights themselves need no listing).
pub const CORS_ALLOWED_METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];
/// The request headers a browser may send across origins, beyond the always-allowed ones.
pub const CORS_ALLOWED_HEADERS: [HeaderName; 3] =
    [header::AUTHORIZATION, header::CONTENT_TYPE, REQUEST_ID];
/// The answer headers a browser client may read: the request id to quote, how long a 429 asks
/// it to wait, which credentials a 401 wants, and where a created resource lives.
pub const CORS_EXPOSED_HEADERS: [HeaderName; 4] = [
    REQUEST_ID,
    header::RETRY_AFTER,
    header::WWW_AUTHENTICATE,
    header::LOCATION,
];
/// How long a browser may reuse a preflight's answer.
pub const CORS_MAX_AGE: Duration = Duration::from_secs(3600);

/// Wraps a router with everything an answer needs whichever function serves it: problem+json
/// for unknown routes and wrong methods, the body limit, request ids, access logs and CORS.
pub fn finish(router: Router, config: &Config) -> Router {
    router
        .fallback(|| async { ApiError::NotFound("no route matches this path".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(cors(config))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let request_id = request
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = config
        .cors_allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods(CORS_ALLOWED_METHODS)
        .allow_headers(CORS_ALLOWED_HEADERS)
        .expose_headers(CORS_EXPOSED_HEADERS)
        .max_age(CORS_MAX_AGE)
}
