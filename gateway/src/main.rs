//! `cinema-gateway`: serves the whole API on one port and drives the background functions.

use std::sync::Arc;

use anyhow::Context;
use cinema_gateway::{config::GatewayConfig, mail_pump::MailPump, schedule};
use cinema_mailer::{Mailer, MailerConfig};
use cinema_shared::{AppState, config::Config, db, telemetry};
use tokio::{net::TcpListener, sync::watch};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let gateway = GatewayConfig::from_env()?;
    let config = Config::from_env()?;
    let mailer_config = MailerConfig::from_env()?;
    // One pool serves the API, the mailer and the janitor: locally they share one process.
    let pool = db::lazy_pool(&config.database)?;
    let state = AppState::build(config, pool.clone()).await;
    let mailer = Arc::new(Mailer::new(&mailer_config, pool.clone())?);

    let reads = state.reads.clone();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let pump = MailPump::new(
        state.mail.client().clone(),
        state.mail.queue_url(),
        mailer,
        gateway.mail_poll_wait_secs,
    );
    let pump_task = tokio::spawn(pump.run(shutdown_rx.clone()));
    let janitor_task = tokio::spawn(schedule::run_janitor_every(
        pool,
        state.mail.clone(),
        state.storage.clone(),
        gateway.janitor_interval,
        gateway.stale_orders.clone(),
        shutdown_rx,
    ));

    let listener = TcpListener::bind(gateway.addr)
        .await
        .with_context(|| format!("binding {}", gateway.addr))?;
    tracing::info!(addr = %gateway.addr, "Cinema API listening on http://{}/api/v1", gateway.addr);
    axum::serve(
        listener,
        cinema_gateway::api(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
    })
    .await?;
    let _ = tokio::join!(pump_task, janitor_task);
    reads.close();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
