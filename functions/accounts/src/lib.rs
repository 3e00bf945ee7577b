//! Sign-up, activation, login, tokens, profiles and user administration.
//!
//! The routes arrive with their issue; until then the group answers every path with the API's
//! 404 problem.

use axum::Router;
use cinema_shared::AppState;

/// The group's routes, under the API prefix.
pub fn router(state: AppState) -> Router {
    Router::new().with_state(state)
}
