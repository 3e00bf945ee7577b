//! Health and the API description: `/health`, `/openapi.json`, `/docs` and the docs page's files.

mod docs;
mod health;

use axum::Router;
use cinema_shared::{AppState, openapi};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The group's routes with their OpenAPI descriptions.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(docs::openapi_json))
        .routes(routes!(docs::docs_page))
        .routes(routes!(docs::docs_asset))
}

/// The group's routes, ready to serve.
pub fn router(state: AppState) -> Router {
    openapi::into_router(api(), state)
}

pub use docs::DOCUMENT;
