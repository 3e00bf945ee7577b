//! Reactions, ratings, favorites, comments and notifications.
//!
//! Their writes feed the counters the catalog and the comment pages show (triggers keep them in
//! the writing transaction); the favorites list is the catalog's shared movie listing over the
//! caller's favorites. Replies and likes tell the comment's author, in-app and by email.

mod comments;
mod favorites;
mod movie;
mod notifications;
mod notify;
mod ratings;
mod reactions;

/// The lists' statements, for `EXPLAIN` and the benchmark (`examples/engagement_sql.rs`).
pub mod statements {
    pub use crate::comments::read::{CommentOrder, Listing as CommentListing};
    pub use crate::notifications::list_sql as notifications;
}

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
        .routes(routes!(
            comments::read::list_threads,
            comments::write::post_comment
        ))
        .routes(routes!(comments::read::list_replies))
        .routes(routes!(comments::write::delete_comment))
        .routes(routes!(
            comments::likes::put_like,
            comments::likes::delete_like
        ))
        .routes(routes!(notifications::list_notifications))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::mark_all_read))
}

/// The group's routes, ready to serve.
pub fn router(state: AppState) -> Router {
    openapi::into_router(api(), state)
}

/// The group's part of the API description.
pub fn document() -> OpenApi {
    openapi::into_document(api())
}
