//! Sign-up, activation, login, tokens, profiles and user administration.
//!
//! The routes arrive with their issue; until then the group answers every path with the API's
//! 404 problem.

use axum::Router;
use cinema_shared::{AppState, openapi};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The group's routes with their OpenAPI descriptions, under the API prefix.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

/// The group's routes, ready to serve.
pub fn router(state: AppState) -> Router {
    openapi::into_router(api(), state)
}

/// The group's part of the API description.
pub fn document() -> OpenApi {
    openapi::into_document(api())
}
