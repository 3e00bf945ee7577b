//! Cart, orders, Stripe checkout and webhooks, purchases and streaming.
//!
//! Here so far: the cart and orders (made, listed, canceled), for their owners and for
//! moderators. A user never holds one movie in two live orders: a unique index guarantees it.

mod cart;
mod exclusion;
mod orders;

use axum::Router;
use cinema_shared::{AppState, openapi};
use utoipa::openapi::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The group's routes with their OpenAPI descriptions, under the API prefix.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(cart::get_cart, cart::clear_cart))
        .routes(routes!(cart::add_item))
        .routes(routes!(cart::remove_item))
        .routes(routes!(cart::admin_cart))
        .routes(routes!(
            orders::read::list_orders,
            orders::create::create_order
        ))
        .routes(routes!(orders::read::get_order))
        .routes(routes!(orders::cancel::cancel_order))
        .routes(routes!(orders::read::admin_orders))
}

/// The group's routes, ready to serve.
pub fn router(state: AppState) -> Router {
    openapi::into_router(api(), state)
}

/// The group's part of the API description.
pub fn document() -> OpenApi {
    openapi::into_document(api())
}
