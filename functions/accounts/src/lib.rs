//! Accounts: sign-up, activation, login and sessions, passwords, profiles and avatars, and
//! user administration.

mod admin;
mod avatar;
mod login;
mod me;
mod one_time_tokens;
mod passwords;
mod sessions;
mod signup;

use axum::Router;
use cinema_shared::{AppState, openapi};
use utoipa::openapi::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use avatar::{AVATAR_UPLOADS_PER_WINDOW, MAX_AVATAR_BYTES};

/// The group's routes with their OpenAPI descriptions, under the API prefix.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup::register))
        .routes(routes!(signup::activate))
        .routes(routes!(signup::resend_activation))
        .routes(routes!(login::login))
        .routes(routes!(login::refresh))
        .routes(routes!(login::logout))
        .routes(routes!(passwords::forgot))
        .routes(routes!(passwords::reset))
        .routes(routes!(passwords::change))
        .routes(routes!(me::get_me))
        .routes(routes!(me::update_profile))
        .routes(routes!(avatar::start_upload))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::change_user))
}

/// The group's routes, ready to serve.
pub fn router(state: AppState) -> Router {
    openapi::into_router(api(), state)
}

/// The group's part of the API description.
pub fn document() -> OpenApi {
    openapi::into_document(api())
}
