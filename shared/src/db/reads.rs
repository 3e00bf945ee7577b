//! The pool behind the public catalog reads: one statement per checkout, no round trip on return.
//!
//! sqlx's pool pings every connection it takes back (a `Sync` round trip, not configurable in
//! 0.8 or 0.9). For a movie's detail that doubled the messages per request and cost a quarter of
//! the throughput. Here a connection whose statement finished goes straight back; only one left
//! mid-statement (an error, or a request dropped while waiting) is pinged first, which also
//! drains what the server still had to say, and is closed if the ping fails.

use std::time::Duration;

use deadpool::{
    Runtime,
    managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult},
};
use sqlx::{
    Connection, PgConnection, PgPool, Postgres,
    postgres::{PgArguments, PgConnectOptions, PgRow},
    query::QueryScalar,
};

use super::PING_AFTER_IDLE;

/// How long a connection given back mid-statement may take to answer its ping: past that it is
/// closed, so a silent network cannot hold the pool's places forever.
const RELEASE_PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens connections for [`Reads`], checks the ones that sat idle and retires old ones.
#[derive(Debug)]
struct Connector {
    options: PgConnectOptions,
    /// Like sqlx's pool: a connection this old is replaced, so server-side state and memory
    /// do not grow forever and a failover's new primary is picked up.
    max_lifetime: Option<Duration>,
}

impl managed::Manager for Connector {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.options).await
    }

    async fn recycle(
        &self,
        connection: &mut PgConnection,
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
}

impl Reads {
    /// Builds the pool without connecting, for the same database as `main` and sized and timed
    /// like it.
    pub fn beside(main: &PgPool) -> Self {
        let options = main.options();
        let pool = managed::Pool::builder(Connector {
            options: (*main.connect_options()).clone(),
            max_lifetime: options.get_max_lifetime(),
        })
        .max_size(options.get_max_connections().max(1) as usize)
        .wait_timeout(Some(options.get_acquire_timeout()))
        .create_timeout(Some(options.get_acquire_timeout()))
        .recycle_timeout(Some(options.get_acquire_timeout()))
        .runtime(Runtime::Tokio1)
        .build()
        .expect("with a runtime set, every timeout is allowed");
        Self { pool }
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
        let found = query.fetch_optional(checkout.connection()).await?;
        checkout.finished();
        Ok(found)
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
            finished: false,
        })
    }
}

/// A connection out of the pool. Unless [`Checkout::finished`] says its statement completed,
/// dropping it pings the connection before it goes back.
struct Checkout {
    object: Option<Object<Connector>>,
    finished: bool,
}

impl Checkout {
    fn connection(&mut self) -> &mut PgConnection {
        self.object.as_mut().expect("present until dropped")
    }

    fn finished(&mut self) {
        self.finished = true;
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let Some(mut object) = self.object.take() else {
            return;
        };
        if self.finished {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let answer = tokio::time::timeout(RELEASE_PING_TIMEOUT, object.ping()).await;
                    if !matches!(answer, Ok(Ok(()))) {
                        drop(Object::take(object));
                    }
                });
            }
            Err(_) => drop(Object::take(object)),
        }
    }
}
