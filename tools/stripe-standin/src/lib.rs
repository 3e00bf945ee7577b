//! A local stand-in for the part of Stripe's HTTP API Cinema uses: Checkout Sessions with a pay
//! page, refunds, events and signed webhooks, kept in memory per secret key. Development and
//! tests only; never deployed. See README.md for the endpoints and settings.

pub mod accounts;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod errors;
pub mod events;
pub mod form;
pub mod idempotency;
pub mod pay_page;
pub mod payments;
pub mod refunds;
pub mod sessions;
pub mod signature;
pub mod state;
pub mod stripe_objects;
pub mod webhook_endpoints;

use std::net::SocketAddr;

use axum::Router;
use axum::http::{Method, Uri};
use axum::middleware;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::Config;
pub use state::App;

use crate::errors::ApiError;

/// Every route. The API routes (`/v1`) answer Stripe-style errors and honour `Idempotency-Key`.
pub fn router(app: App) -> Router {
    let api = Router::new()
        .route("/v1/checkout/sessions", post(sessions::create))
        .route("/v1/checkout/sessions/{id}", get(sessions::retrieve))
        .route(
            "/v1/checkout/sessions/{id}/expire",
            post(sessions::expire_route),
        )
        .route("/v1/refunds", post(refunds::create))
        .route("/v1/refunds/{id}", get(refunds::retrieve))
        .route("/v1/events", get(events::list_events))
        .route("/v1/events/{id}", get(events::retrieve))
        .route("/v1/webhook_endpoints", post(webhook_endpoints::create))
        .route(
            "/v1/webhook_endpoints/{id}",
            get(webhook_endpoints::retrieve).post(webhook_endpoints::update),
        )
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            idempotency::layer,
        ));
    Router::new()
        .merge(api)
        .route("/pay/{id}", get(pay_page::show).post(pay_page::answer))
        .route("/_local/events/{id}/resend", post(delivery::resend))
        .route("/_local/deliveries", get(delivery::list))
        .fallback(|method: Method, uri: Uri| async move {
            ApiError::unknown_route(method.as_str(), uri.path())
        })
        .with_state(app)
}

/// A running stand-in.
pub struct Running {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`: the base URL for async-stripe's `ClientBuilder::url`.
    pub base_url: String,
    pub app: App,
    pub server: JoinHandle<()>,
}

/// Serves on `listener` (bind `127.0.0.1:0` in tests) and starts the expiry clock.
pub async fn start(config: Config, listener: TcpListener) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| base_url.clone());
    let app = App::new(config, public_url);

    let clock = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(clock.config.expiry_tick);
        loop {
            tick.tick().await;
            sessions::expire_due(&clock, clock::now());
        }
    });

    let routes = router(app.clone());
    let server = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, routes).await {
            tracing::error!(%error, "the stand-in stopped serving");
        }
    });
    Ok(Running {
        addr,
        base_url,
        app,
        server,
    })
}
