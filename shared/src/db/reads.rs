//! The pool behind the public catalog reads: one statement per checkout, no round trip on return.
//!
//! sqlx's pool pings every connection it takes back (a `Sync` round trip, not configurable in
//! 0.8 or 0.9). For a movie's detail that doubled the messages per request and cost a quarter of
//! the throughput. Here a connection whose statement finished goes straight back; only one left
//! mid-statement (an error, or a request dropped while waiting) is pinged first, which also
//! drains what the server still had to say, and is closed if the ping fails.
//!
//! A request dropped while its statement runs (the client went away, a handler timeout) also
//! cancels that statement in Postgres before the ping, so an abandoned search stops at once
//! instead of holding a backend (and the connection) until the statement timeout. sqlx 0.8 keeps
//! the backend's cancel key private, so each connection learns its backend's pid and start time
//! when it opens, and the cancel is `pg_cancel_backend` sent over the main pool.

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool::{
    Runtime,
    managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult},
};
use sqlx::{
    Connection, PgConnection, PgPool, Postgres,
    postgres::{PgArguments, PgConnectOptions, PgRow},
    query::{QueryAs, QueryScalar},
};

use super::PING_AFTER_IDLE;

/// How long a connection given back mid-statement may take to cancel its statement and answer
/// its ping: past that it is closed, so a silent network cannot hold the pool's places forever.
const RELEASE_PING_TIMEOUT: Duration = Duration::from_secs(5);

/// The server process behind a connection: the pid alone could, in theory, have been reused by
/// a newer backend by the time a cancel is sent, the pid with its start time cannot.
#[derive(Debug, Clone, Copy)]
struct Backend {
    pid: i32,
    started: DateTime<Utc>,
}

/// A connection of the read pool and the backend serving it.
#[derive(Debug)]
struct ReadConnection {
    connection: PgConnection,
    backend: Backend,
}

/// Opens connections for [`Reads`], checks the ones that sat idle and retires old ones.
#[derive(Debug)]
struct Connector {
    options: PgConnectOptions,
    /// Like sqlx's pool: a connection this old is replaced, so server-side state and memory
    /// do not grow forever and a failover's new primary is picked up.
    max_lifetime: Option<Duration>,
}

impl managed::Manager for Connector {
    type Type = ReadConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<ReadConnection, sqlx::Error> {
        let mut connection = PgConnection::connect_with(&self.options).await?;
        let (pid, started) =
            sqlx::query_as("SELECT pid, backend_start FROM pg_stat_get_activity(pg_backend_pid())")
                .fetch_one(&mut connection)
                .await?;
        Ok(ReadConnection {
            connection,
            backend: Backend { pid, started },
        })
    }

    async fn recycle(
        &self,
        ReadConnection { connection, .. }: &mut ReadConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if self
            .max_lifetime
            .is_some_and(|lifetime| metrics.age() >= lifetime)
        {
            return Err(RecycleError::message("past its lifetime"));
        }
        if metrics.last_used() >= PING_AFTER_IDLE {
            connection.ping().await?;
        }
        Ok(())
    }
}

/// A lazy pool of connections for single-statement reads.
#[derive(Clone, Debug)]
pub struct Reads {
    pool: managed::Pool<Connector>,
    /// Sends the cancels: a connection of this pool is the one busy with the statement, and
    /// the others may all be taken.
    main: PgPool,
}

impl Reads {
    /// Builds the pool without connecting, for the same database as `main` and sized and timed
    /// like it.
    pub fn beside(main: &PgPool) -> Self {
        let options = main.options();
        let pool = managed::Pool::builder(Connector {
            // Every read statement's plan is generic: one written for any page, as these are
            // (their values are literals but for ids, limits and offsets). Left to choose,
            // Postgres planned a page of comments afresh on every call (a plan for the page's
            // own limit looks cheaper than one for any), which took 0.7 ms of a statement
            // that runs in 0.7: half the database's time per page (bench/ENGAGEMENT.md).
            options: (*main.connect_options())
                .clone()
                .options([("plan_cache_mode", "force_generic_plan")]),
            max_lifetime: options.get_max_lifetime(),
        })
        .max_size(options.get_max_connections().max(1) as usize)
        .wait_timeout(Some(options.get_acquire_timeout()))
        .create_timeout(Some(options.get_acquire_timeout()))
        .recycle_timeout(Some(options.get_acquire_timeout()))
        .runtime(Runtime::Tokio1)
        .build()
        .expect("with a runtime set, every timeout is allowed");
        Self {
            pool,
            main: main.clone(),
        }
    }

    /// Closes the idle connections and refuses new checkouts: at shutdown, and so a test's
    /// database can be dropped.
    pub fn close(&self) {
        self.pool.close();
    }

    /// Runs a statement that yields at most one value.
    pub async fn fetch_optional<'q, O>(
        &self,
        query: QueryScalar<'q, Postgres, O, PgArguments>,
    ) -> Result<Option<O>, sqlx::Error>
    where
        O: Send + Unpin,
        (O,): for<'r> sqlx::FromRow<'r, PgRow>,
    {
        let mut checkout = self.checkout().await?;
        let found = query.fetch_optional(checkout.connection()).await;
        checkout.ended(&found);
        found
    }

    /// Runs a statement that yields exactly one row.
    pub async fn fetch_one_row<'q, O>(
        &self,
        query: QueryAs<'q, Postgres, O, PgArguments>,
    ) -> Result<O, sqlx::Error>
    where
        O: Send + Unpin + for<'r> sqlx::FromRow<'r, PgRow>,
    {
        let mut checkout = self.checkout().await?;
        let found = query.fetch_one(checkout.connection()).await;
        checkout.ended(&found);
        found
    }

    async fn checkout(&self) -> Result<Checkout, sqlx::Error> {
        let object = self.pool.get().await.map_err(|err| match err {
            PoolError::Backend(err) => err,
            PoolError::Timeout(_) => sqlx::Error::PoolTimedOut,
            PoolError::Closed => sqlx::Error::PoolClosed,
            other => sqlx::Error::Configuration(other.to_string().into()),
        })?;
        Ok(Checkout {
            object: Some(object),
            state: State::Running,
            main: self.main.clone(),
        })
    }
}

/// Where a checkout's statement stands when the checkout is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Sent and not yet answered, or not yet sent: the request was dropped while waiting.
    Running,
    /// It ended in an error; what the server still sends must be drained.
    Failed,
    /// Answered in full: the connection is ready for the next one.
    Finished,
}

/// A connection out of the pool. Unless its statement finished, dropping it cancels a statement
/// still running and pings the connection before it goes back.
struct Checkout {
    object: Option<Object<Connector>>,
    state: State,
    main: PgPool,
}

impl Checkout {
    fn connection(&mut self) -> &mut PgConnection {
        &mut self
            .object
            .as_mut()
            .expect("present until dropped")
            .connection
    }

    /// Records how the checkout's statement ended. An error came from the server (the
    /// statement is over) or from the connection (the ping closes it): either way there is
    /// nothing left to cancel.
    fn ended<T>(&mut self, result: &Result<T, sqlx::Error>) {
        self.state = match result {
            Ok(_) => State::Finished,
            Err(_) => State::Failed,
        };
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let Some(mut object) = self.object.take() else {
            return;
        };
        if self.state == State::Finished {
            return;
        }
        let (state, main) = (self.state, self.main.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let released = tokio::time::timeout(RELEASE_PING_TIMEOUT, async {
                        if state == State::Running {
                            // Not fatal: without it the ping waits for the statement's end (or
                            // gives up and closes the connection, which Postgres notices
                            // within `client_connection_check_interval`).
                            if let Err(err) = cancel(&main, object.backend).await {
                                tracing::warn!(error = %err, "could not cancel an abandoned read");
                            }
                        }
                        drain(&mut object.connection).await
                    })
                    .await;
                    if !matches!(released, Ok(Ok(()))) {
                        drop(Object::take(object));
                    }
                });
            }
            Err(_) => drop(Object::take(object)),
        }
    }
}

/// Cancels what `backend` is running, if it is still that backend. A backend already idle
/// ignores the signal, and it is delivered before the backend reads the ping that follows, so it
/// can never reach the connection's next statement.
async fn cancel(main: &PgPool, backend: Backend) -> Result<(), sqlx::Error> {
    sqlx::query(
        "SELECT pg_cancel_backend(pid) FROM pg_stat_get_activity($1) WHERE backend_start = $2",
    )
    .bind(backend.pid)
    .bind(backend.started)
    .execute(main)
    .await?;
    Ok(())
}

/// Waits until the connection is ready for a new statement. A cancelled or failed statement
/// surfaces as the error of the first ping, after which the connection is sound and answers
/// the next one; any other error, or errors that do not stop, mean it is not.
async fn drain(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    let mut attempts = 3;
    loop {
        match connection.ping().await {
            Err(sqlx::Error::Database(_)) if attempts > 1 => attempts -= 1,
            answer => return answer,
        }
    }
}
