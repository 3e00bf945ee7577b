//! `stripe-standin`: serves the local Stripe stand-in on `STANDIN_ADDR` (default 127.0.0.1:12111).

use std::io::IsTerminal;

use stripe_standin::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // local-cloud.sh writes the log to a file: colour codes only on a terminal.
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let config = Config::from_env()?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    match &config.default_endpoint {
        Some(endpoint) => tracing::info!(url = %endpoint.url, "default webhook endpoint"),
        None => tracing::warn!(
            "no STRIPE_WEBHOOK_URL: events stay undelivered until an account registers an endpoint"
        ),
    }
    let running = stripe_standin::start(config, listener).await?;
    tracing::info!(base_url = %running.base_url, "local Stripe stand-in listening");
    tokio::select! {
        result = running.server => result?,
        _ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
    }
    Ok(())
}
