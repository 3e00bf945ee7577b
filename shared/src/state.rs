//! What every handler can reach: built once per process, cloned cheaply per request.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    aws,
    config::Config,
    db::{self, Reads},
    email::EmailQueue,
    outbox::Relay,
    storage::Storage,
};

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    /// The public catalog reads, on connections of their own (see [`Reads`]).
    pub reads: Reads,
    pub config: Arc<Config>,
    pub mail: EmailQueue,
    /// Queues what requests staged in the outbox, after their commits.
    pub relay: Relay,
    pub storage: Storage,
}

impl AppState {
    /// Reads the configuration from the environment and builds every client.
    pub async fn from_env() -> anyhow::Result<Self> {
        let config = Config::from_env()?;
        let db = db::lazy_pool(&config.database)?;
        Ok(Self::build(config, db).await)
    }

    /// Builds the AWS clients for `config` around an existing pool.
    pub async fn build(config: Config, db: PgPool) -> Self {
        Self::with_sdk(config, db, &aws::load_sdk_config().await)
    }

    /// Builds the clients from an already loaded SDK configuration.
    pub fn with_sdk(config: Config, db: PgPool, sdk: &aws_config::SdkConfig) -> Self {
        let mail = EmailQueue::new(aws::sqs_client(sdk), config.mail_queue_url.clone());
        let storage = Storage::new(
            aws::s3_client(sdk, config.s3_force_path_style),
            config.media_bucket.clone(),
        );
        Self {
            reads: Reads::beside(&db),
            relay: Relay::new(db.clone(), mail.clone()),
            db,
            config: Arc::new(config),
            mail,
            storage,
        }
    }

    /// The same state with its emails going to `mail` (the relay follows).
    pub fn with_mail(self, mail: EmailQueue) -> Self {
        Self {
            relay: Relay::new(self.db.clone(), mail.clone()),
            mail,
            ..self
        }
    }

    /// The same state with its relay leaving the queue alone for `rest` after a failed call.
    pub fn with_relay_rest(self, rest: std::time::Duration) -> Self {
        Self {
            relay: Relay::resting_for(self.db.clone(), self.mail.clone(), rest),
            ..self
        }
    }
}
