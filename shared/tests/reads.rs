//! The read pool against a real Postgres: connections are reused, a read cut short or failed
//! leaves nothing behind for the next one, and a connection the server dropped or one past its
//! lifetime is replaced.

use std::time::Duration;

use cinema_shared::db::Reads;
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
