//! Cart, orders, Stripe checkout and webhooks, purchases and streaming.
//!
//! A user never holds one movie in two live orders (a unique index guarantees it), and only a
//! signature-verified Stripe webhook marks an order paid or refunded.

mod admin_filter;
mod cart;
mod exclusion;
mod media;
mod orders;
mod own_history;
mod payments;
mod purchases;
mod sales;

/// The sales report's statements, for `EXPLAIN` and the benchmark (`examples/commerce_sql.rs`).
pub mod statements {
    pub use crate::sales::{SalesGroup, statements::of as sales};
}

use axum::{Extension, Router};
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
        .routes(routes!(purchases::list_purchases))
        .routes(routes!(payments::checkout::checkout))
        .routes(routes!(payments::refund::refund_order))
        .routes(routes!(payments::webhook::receive_event))
        .routes(routes!(payments::history::list_payments))
        .routes(routes!(payments::history::admin_payments))
        .routes(routes!(media::start_media_upload))
        .routes(routes!(media::stream))
        .routes(routes!(sales::sales))
}

/// The group's routes, ready to serve.
pub fn router(state: AppState) -> Router {
    let payments = payments::Payments::new(state.config.stripe.as_ref());
    openapi::into_router(api(), state).layer(Extension(payments))
}

/// The group's part of the API description.
pub fn document() -> OpenApi {
    openapi::into_document(api())
}
