//! Health and the API description.

mod health;

use axum::{Router, routing::get};
use cinema_shared::{AppState, http::API_PREFIX};

/// The group's routes, under the API prefix.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(&format!("{API_PREFIX}/health"), get(health::health))
        .with_state(state)
}
