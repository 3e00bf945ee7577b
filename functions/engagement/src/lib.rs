//! Reactions, ratings, favorites, comments and notifications.
//!
//! Reactions, ratings and favorites are here (comments and notifications arrive with their
//! issue). Their writes feed the movie counters the catalog shows and sorts by (triggers keep
//! them in the writing transaction); the favorites list is the catalog's shared movie listing
//! over the caller's favorites.

mod favorites;
mod movie;
mod ratings;
mod reactions;

use axum::Router;
use cinema_shared::{AppState, openapi};
use utoipa::openapi::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The group's routes with their OpenAPI descriptions, under the API prefix.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reactions::put_reaction, reactions::delete_reaction))
        .routes(routes!(ratings::put_rating, ratings::delete_rating))
        .routes(routes!(favorites::put_favorite, favorites::delete_favorite))
        .routes(routes!(favorites::list_favorites))
}

/// The group's routes, ready to serve.
pub fn router(state: AppState) -> Router {
    openapi::into_router(api(), state)
}

/// The group's part of the API description.
pub fn document() -> OpenApi {
    openapi::into_document(api())
}
