//! The local gateway: what API Gateway, SQS and EventBridge do around the functions, in one
//! process. It serves every HTTP function's router at the paths API Gateway routes to it, feeds
//! the mail queue to the `mailer` handler and runs the `janitor` on an interval.

pub mod config;
pub mod mail_pump;
pub mod openapi;
pub mod schedule;

use axum::Router;
use cinema_shared::{AppState, http};

/// Every HTTP function's routes, merged and wrapped with the common layers exactly as each
/// function wraps its own on Lambda.
pub fn api(state: AppState) -> Router {
    let config = state.config.clone();
    let routes = Router::new()
        .merge(cinema_platform::router(state.clone()))
        .merge(cinema_accounts::router(state.clone()))
        .merge(cinema_catalog::router(state.clone()))
        .merge(cinema_engagement::router(state.clone()))
        .merge(cinema_commerce::router(state));
    http::finish(routes, &config)
}
