//! The Postgres pools: built once per process, small and lazy, as a Lambda container wants.

use std::{str::FromStr, time::Duration};

use secrecy::ExposeSecret;
use sqlx::{
    Connection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::config::DatabaseConfig;

mod reads;

pub use reads::Reads;

/// The migrations of the workspace, embedded so every binary can apply them.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A connection idle this long is pinged before use: a Lambda container thawed after minutes
/// may hold a connection the server or a NAT has since dropped.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// Builds the pool without connecting: the first query connects, so a cold start that never
/// touches the database pays nothing, and a database outage does not stop the function starting.
///
/// Connections in steady use are not pinged before each query (sqlx's default): that round
/// trip cost a quarter of the throughput of a movie's detail.
///
/// Every connection carries the statement timeout, so no request (and no anonymous search) can
/// keep a backend busy past it, whatever happens to the request that started it.
pub fn lazy_pool(config: &DatabaseConfig) -> Result<PgPool, sqlx::Error> {
    Ok(PgPoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(0)
        .test_before_acquire(false)
        .before_acquire(|connection, metadata| {
            Box::pin(async move {
                if metadata.idle_for >= PING_AFTER_IDLE {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .acquire_timeout(config.acquire_timeout)
        .connect_lazy_with(connect_options(config)?))
}

/// How often a backend running a statement checks that its client is still there. A process
/// that dies mid-request (a Lambda past its timeout is stopped) closes its sockets, and
/// Postgres then stops the statement within this interval instead of running it to the end.
const CLIENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The server settings every connection starts with.
fn connect_options(config: &DatabaseConfig) -> Result<PgConnectOptions, sqlx::Error> {
    let options = PgConnectOptions::from_str(config.url.expose_secret())?;
    let check = CLIENT_CHECK_INTERVAL.as_millis().to_string();
    let options = options.options([("client_connection_check_interval", check.as_str())]);
    Ok(if config.statement_timeout.is_zero() {
        options
    } else {
        let millis = config.statement_timeout.as_millis().to_string();
        options.options([("statement_timeout", millis.as_str())])
    })
}
