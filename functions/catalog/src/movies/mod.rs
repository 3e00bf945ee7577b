//! Movies: the public list and detail, and the moderators' create, update and delete.

pub mod model;
mod routes;
pub mod store;

use cinema_shared::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::list_movies, routes::create_movie))
        .routes(routes!(
            routes::get_movie,
            routes::update_movie,
            routes::delete_movie
        ))
}
