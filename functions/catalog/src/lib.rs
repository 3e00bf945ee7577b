//! Movies and their genres, people and certifications: browse, filter, search, moderate.
//!
//! [`listing`] is the movie list every list endpoint of the API shares (the catalog, the
//! genre/star/director/certification pages, favorites, purchases).

pub mod decimal;
mod filter_schemas;
pub mod listing;
pub mod movies;
pub mod sql;
pub mod taxonomy;

use axum::Router;
use cinema_shared::{AppState, openapi};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The group's routes with their OpenAPI descriptions, under the API prefix.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(movies::api())
        .merge(taxonomy::api())
}

/// The group's routes, ready to serve.
pub fn router(state: AppState) -> Router {
    openapi::into_router(api(), state)
}

/// The group's part of the API description.
pub fn document() -> OpenApi {
    openapi::into_document(api())
}
