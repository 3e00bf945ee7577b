//! The end-to-end harness: the gateway's router on port 0 against a fresh database per test
//! (`#[sqlx::test]`), a fresh SQS queue per test on the local SQS server, the local S3 server
//! and the SMTP catcher. Tests talk to it over HTTP as a client would.
//!
//! Settings come from the environment `make test` exports (config/local.env).

pub mod accounts;
pub mod catalog;
pub mod lambda;
pub mod mail;
pub mod postgres;
pub mod stripe;
pub mod users;

use std::sync::Arc;

use cinema_gateway::mail_pump::{MailPump, PumpReport};
use cinema_mailer::{Mailer, MailerConfig};
use cinema_shared::{AppState, config::Config};
use reqwest::{Method, RequestBuilder};
use sqlx::PgPool;
use tokio::net::TcpListener;
use uuid::Uuid;

/// The settings of the API and of the mailer, as `make test` exports them.
pub struct TestConfig {
    pub api: Config,
    pub mailer: MailerConfig,
}

impl TestConfig {
    pub fn from_env() -> Self {
        let incomplete = "the test environment is incomplete: run the tests with `make test`";
        Self {
            api: Config::from_env().expect(incomplete),
            mailer: MailerConfig::from_env().expect(incomplete),
        }
    }
}

pub struct TestApp {
    pub base_url: String,
    pub http: reqwest::Client,
    pub state: AppState,
    pub mailer: Arc<Mailer>,
    pub pump: MailPump,
}

impl TestApp {
    /// What the janitor does on S3's "Object Created" events (and its minutely sweep): the
    /// uploads S3 has are taken up. How many slots changed.
    pub async fn sweep_uploads(&self) -> u64 {
        cinema_shared::uploads::sweep(&self.state.db, &self.state.storage)
            .await
            .expect("sweeping the pending uploads")
    }

    /// Starts the whole API on a free port over `db`, with a queue of its own.
    pub async fn spawn(db: PgPool) -> Self {
        Self::spawn_with(db, |_| {}).await
    }

    /// Like [`Self::spawn`], with settings changed by `customize` first.
    pub async fn spawn_with(db: PgPool, customize: impl FnOnce(&mut TestConfig)) -> Self {
        let mut config = TestConfig::from_env();
        customize(&mut config);
        // One SDK configuration serves both the queue creation and the app's clients.
        let sdk = cinema_shared::aws::load_sdk_config().await;
        let queue_url = cinema_shared::aws::sqs_client(&sdk)
            .create_queue()
            .queue_name(format!("test-mail-{}", Uuid::new_v4()))
            .send()
            .await
            .expect("the local SQS server does not answer: run `make up`")
            .queue_url
            .expect("queue url");
        config.api.mail_queue_url = queue_url;
        let state = AppState::with_sdk(config.api.clone(), db, &sdk);
        Self::serve(state, &config.mailer).await
    }

    /// Starts the API over an already built state (say, one whose database is down).
    pub async fn serve(state: AppState, mailer_config: &MailerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = cinema_gateway::api(state.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        let mailer = Arc::new(Mailer::new(mailer_config, state.db.clone()).expect("mailer"));
        let pump = MailPump::new(
            state.mail.client().clone(),
            state.mail.queue_url(),
            mailer.clone(),
            0,
        );
        Self {
            base_url,
            http: reqwest::Client::new(),
            state,
            mailer,
            pump,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base_url)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// Waits (a few seconds at most) until the relays requests started after their answers
    /// have finished and no relay of the janitor holds a claim.
    pub async fn outbox_settled(&self) {
        for _ in 0..100 {
            let claimed: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM email_outbox WHERE claimed_until > now())",
            )
            .fetch_one(&self.state.db)
            .await
            .expect("reading the outbox");
            if !claimed && self.state.relay.gate().in_flight() == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Does what the SQS trigger does until the queue is empty: every queued email goes through
    /// the mailer to the SMTP catcher. Returns the reports of every poll.
    pub async fn deliver_mail(&self) -> Vec<PumpReport> {
        self.outbox_settled().await;
        let mut reports = Vec::new();
        loop {
            let report = self.pump.pump_once().await.expect("polling the mail queue");
            if report.received == 0 {
                return reports;
            }
            let all_failed = report.deleted == 0;
            reports.push(report);
            if all_failed {
                return reports;
            }
        }
    }
}

impl Drop for TestApp {
    /// The server task outlives the test; its read connections must not, or the test's
    /// database cannot be dropped.
    fn drop(&mut self) {
        self.state.reads.close();
    }
}

/// How long a pending order may wait in the tests that run the janitor: its default.
pub const ORDER_LIFETIME: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The janitor's stale-order settings of a test: the default lifetime, no Stripe.
pub fn stale_orders() -> cinema_janitor::StaleOrders {
    cinema_janitor::StaleOrders {
        lifetime: ORDER_LIFETIME,
        stripe: None,
    }
}

/// A unique address per test, so tests sharing the catcher never read each other's mail.
pub fn unique_email(label: &str) -> String {
    format!("{label}-{}@example.com", Uuid::new_v4().simple())
}

/// The body of a problem+json answer, after checking its content type and status.
pub async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["type"].is_string() && body["detail"].is_string());
    body
}
