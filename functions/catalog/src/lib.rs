//! Movies and their genres, people and certifications: browse, filter, search, moderate.
//!
//! [`listing`] is the movie list every list endpoint of the API shares (the catalog, the
//! genre/star/director/certification pages, favorites, purchases).

pub mod movies;
pub mod taxonomy;

/// The movie listing, shared with the other groups that list movies (favorites, purchases).
pub use cinema_listing as listing;
/// Amounts as the catalog takes them; the listing's price filters read them the same way.
pub use cinema_listing::decimal;

use axum::Router;
use cinema_shared::{AppState, conditional, openapi};
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
    // Every GET here is a catalog read a browser or CDN may revalidate (ETag, 304).
    openapi::into_router(api(), state)
        .layer(axum::middleware::from_fn(conditional::conditional_get))
}

/// The group's part of the API description.
pub fn document() -> OpenApi {
    openapi::into_document(api())
}
