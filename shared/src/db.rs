//! The Postgres pool: built once per process, small and lazy, as a Lambda container wants.

use secrecy::ExposeSecret;
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::config::Config;

/// The migrations of the workspace, embedded so every binary can apply them.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Builds the pool without connecting: the first query connects, so a cold start that never
/// touches the database pays nothing, and a database outage does not stop the function starting.
pub fn lazy_pool(config: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .min_connections(0)
        .acquire_timeout(config.database_acquire_timeout)
        .connect_lazy(config.database_url.expose_secret())
}
