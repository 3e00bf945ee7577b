//! The read pool against a real Postgres: connections are reused, a read cut short or failed
//! leaves nothing behind for the next one (and stops in Postgres too), and a connection the
//! server dropped or one past its lifetime is replaced.

use std::time::{Duration, Instant};

use cinema_shared::{
    config::DatabaseConfig,
    db::{self, Reads},
};
use secrecy::SecretString;
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// A read pool of one connection, so consecutive reads share it whenever it is kept.
fn single_connection_reads(options: PgConnectOptions) -> Reads {
    let main = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    Reads::beside(&main)
}

async fn backend_pid(reads: &Reads) -> Result<i32, sqlx::Error> {
    let pid = reads
        .fetch_optional(sqlx::query_scalar("SELECT pg_backend_pid()"))
        .await?;
    Ok(pid.expect("one row"))
}

#[sqlx::test]
async fn finished_reads_share_one_connection(_: PgPoolOptions, options: PgConnectOptions) {
    let reads = single_connection_reads(options);
    let first = backend_pid(&reads).await.unwrap();
    assert_eq!(backend_pid(&reads).await.unwrap(), first);
    assert_eq!(backend_pid(&reads).await.unwrap(), first);
    reads.close();
}

#[sqlx::test]
async fn a_connection_past_its_lifetime_is_replaced(_: PgPoolOptions, options: PgConnectOptions) {
    let main = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(Duration::from_secs(1))
        .connect_lazy_with(options);
    let reads = Reads::beside(&main);
    let first = backend_pid(&reads).await.unwrap();
    assert_eq!(backend_pid(&reads).await.unwrap(), first, "young: kept");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_ne!(backend_pid(&reads).await.unwrap(), first, "old: replaced");
    reads.close();
}

#[sqlx::test]
async fn a_read_cut_short_leaves_nothing_for_the_next(_: PgPoolOptions, options: PgConnectOptions) {
    let reads = single_connection_reads(options);
    let pid = backend_pid(&reads).await.unwrap();
    let slow = reads.fetch_optional(sqlx::query_scalar::<_, String>(
        "SELECT 'late' FROM pg_sleep(0.3)",
    ));
    assert!(
        tokio::time::timeout(Duration::from_millis(50), slow)
            .await
            .is_err(),
        "the slow read was cut short"
    );
    let next: Option<String> = reads
        .fetch_optional(sqlx::query_scalar("SELECT 'next'"))
        .await
        .unwrap();
    assert_eq!(next.as_deref(), Some("next"));
    assert_eq!(
        backend_pid(&reads).await.unwrap(),
        pid,
        "the connection was kept"
    );
    reads.close();
}

/// Whether the backend `pid` is still running a statement that contains `text`.
async fn still_running(admin: &PgPool, pid: i32, text: &str) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
         WHERE pid = $1 AND state = 'active' AND position($2 IN query) > 0)",
    )
    .bind(pid)
    .bind(text)
    .fetch_one(admin)
    .await
    .unwrap()
}

/// Waits until the backend `pid` no longer runs `text`; panics past `limit`. Returns how long.
async fn stops_within(admin: &PgPool, pid: i32, text: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    while still_running(admin, pid, text).await {
        assert!(
            started.elapsed() < limit,
            "{text} still runs after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[sqlx::test]
async fn a_dropped_read_is_cancelled_in_postgres(admin: PgPool) {
    let reads = single_connection_reads((*admin.connect_options()).clone());
    let pid = backend_pid(&reads).await.unwrap();
    let slow = reads.fetch_optional(sqlx::query_scalar::<_, String>(
        "SELECT 'late' FROM pg_sleep(30)",
    ));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), slow)
            .await
            .is_err(),
        "the slow read was dropped"
    );
    stops_within(&admin, pid, "pg_sleep(30)", Duration::from_secs(2)).await;
    assert_eq!(
        backend_pid(&reads).await.unwrap(),
        pid,
        "the connection was kept"
    );
    reads.close();
}

#[sqlx::test]
async fn a_statement_whose_client_vanished_stops(admin: PgPool) {
    // A pool as the functions build it, with no statement timeout to stop the sleep instead.
    let options = admin.connect_options();
    let base = std::env::var("DATABASE_URL").expect("set for sqlx::test");
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    let database = options.get_database().expect("a test database");
    let config = DatabaseConfig {
        url: SecretString::from(format!("{server}/{database}")),
        max_connections: 1,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: Duration::ZERO,
    };
    let pool = db::lazy_pool(&config).unwrap();
    let mut connection = pool.acquire().await.unwrap().detach();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    let slow = sqlx::query("SELECT pg_sleep(31)").execute(&mut connection);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), slow)
            .await
            .is_err()
    );
    // A process that dies does only this: its socket closes, nothing is sent.
    drop(connection);
    stops_within(&admin, pid, "pg_sleep(31)", Duration::from_secs(3)).await;
}

#[sqlx::test]
async fn a_failed_statement_keeps_a_healthy_connection(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let reads = single_connection_reads(options);
    let pid = backend_pid(&reads).await.unwrap();
    let failed = reads
        .fetch_optional(sqlx::query_scalar::<_, i32>("SELECT 1 / 0"))
        .await;
    assert!(
        matches!(failed, Err(sqlx::Error::Database(_))),
        "{failed:?}"
    );
    assert_eq!(backend_pid(&reads).await.unwrap(), pid);
    reads.close();
}

#[sqlx::test]
async fn a_connection_the_server_dropped_is_replaced(admin: PgPool) {
    let reads = single_connection_reads((*admin.connect_options()).clone());
    let killed = backend_pid(&reads).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(killed)
        .execute(&admin)
        .await
        .unwrap();
    while sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)",
    )
    .bind(killed)
    .fetch_one(&admin)
    .await
    .unwrap()
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The read that finds the connection dead fails; the ones after it get a new connection.
    assert!(backend_pid(&reads).await.is_err());
    let replacement = backend_pid(&reads).await.unwrap();
    assert_ne!(replacement, killed);
    assert_eq!(backend_pid(&reads).await.unwrap(), replacement);
    reads.close();
}
