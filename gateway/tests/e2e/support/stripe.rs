//! Payments in the tests: each test gets an account of its own at the local Stripe stand-in
//! (its own secret key, sessions, events and webhook endpoint), so tests running at once never
//! see each other's events. The app under test talks to it exactly as to Stripe.

use std::time::Duration;

use cinema_shared::config::StripeConfig;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::{TestApp, TestConfig};

/// A webhook endpoint nobody listens on: where an account's events go until the app is up.
pub const NOWHERE: &str = "http://127.0.0.1:9/nowhere";

/// One test's Stripe account at the stand-in.
pub struct StripeAccount {
    pub api_base: String,
    pub secret_key: String,
    pub webhook_secret: String,
    endpoint_id: String,
    http: reqwest::Client,
}

impl StripeAccount {
    /// Opens a fresh account whose webhook endpoint points nowhere yet.
    pub async fn open() -> Self {
        let api_base = std::env::var("STRIPE_API_BASE")
            .expect("STRIPE_API_BASE: run the tests with `make test`");
        let secret_key = format!("sk_test_{}", Uuid::new_v4().simple());
        let http = reqwest::Client::new();
        let endpoint: Value = http
            .post(format!("{api_base}/v1/webhook_endpoints"))
            .bearer_auth(&secret_key)
            .form(&[("url", NOWHERE), ("enabled_events[]", "*")])
            .send()
            .await
            .expect("the Stripe stand-in does not answer: run `make up`")
            .error_for_status()
            .expect("a webhook endpoint")
            .json()
            .await
            .expect("json");
        Self {
            webhook_secret: endpoint["secret"].as_str().expect("secret").to_owned(),
            endpoint_id: endpoint["id"].as_str().expect("id").to_owned(),
            api_base,
            secret_key,
            http,
        }
    }

    /// Sends this account's events to `url` from now on (retries included).
    pub async fn point_at(&self, url: &str) {
        self.http
            .post(format!(
                "{}/v1/webhook_endpoints/{}",
                self.api_base, self.endpoint_id
            ))
            .bearer_auth(&self.secret_key)
            .form(&[("url", url)])
            .send()
            .await
            .expect("stand-in")
            .error_for_status()
            .expect("endpoint updated");
    }

    pub fn config(&self) -> StripeConfig {
        StripeConfig {
            secret_key: SecretString::from(self.secret_key.clone()),
            webhook_secret: SecretString::from(self.webhook_secret.clone()),
            api_base: Some(self.api_base.clone()),
            timeout: Duration::from_secs(10),
            session_lifetime: Duration::from_secs(24 * 3600),
        }
    }

    /// A GET of Stripe's API as this account.
    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .expect("stand-in")
            .json()
            .await
            .expect("json")
    }

    /// A form POST to Stripe's API as this account; the status and body.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key)
            .form(form)
            .send()
            .await
            .expect("stand-in");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }

    /// Every event of this account, newest first.
    pub async fn events(&self) -> Vec<Value> {
        let list = self.get("/v1/events").await;
        list["data"].as_array().cloned().unwrap_or_default()
    }

    /// Redelivers event `id` as Stripe's retries do (same id, fresh signature).
    pub async fn resend(&self, id: &str) -> Value {
        self.http
            .post(format!("{}/_local/events/{id}/resend", self.api_base))
            .send()
            .await
            .expect("stand-in")
            .json()
            .await
            .expect("json")
    }

    /// Submits the pay page of `checkout_url` with `outcome` (`succeed` or `fail`).
    pub async fn pay(&self, checkout_url: &str, outcome: &str) -> reqwest::Response {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .post(checkout_url)
            .form(&[("outcome", outcome)])
            .send()
            .await
            .expect("pay page")
    }
}

impl TestApp {
    /// The app with a Stripe account of its own whose webhooks reach it.
    pub async fn spawn_with_stripe(db: PgPool) -> (Self, StripeAccount) {
        Self::spawn_with_stripe_and(db, |_| {}).await
    }

    /// Like [`Self::spawn_with_stripe`], with other settings changed by `customize` too.
    pub async fn spawn_with_stripe_and(
        db: PgPool,
        customize: impl FnOnce(&mut TestConfig),
    ) -> (Self, StripeAccount) {
        let account = StripeAccount::open().await;
        let config = account.config();
        let app = Self::spawn_with(db, |test| {
            test.api.stripe = Some(config);
            customize(test);
        })
        .await;
        account.point_at(&app.url("/payments/webhook")).await;
        (app, account)
    }

    /// Waits (10 s at most) until order `id` has `status`, as Stripe's webhook lands.
    pub async fn wait_for_order_status(&self, id: Uuid, status: &str) {
        for _ in 0..200 {
            let now: Option<String> =
                sqlx::query_scalar("SELECT status::text FROM orders WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.state.db)
                    .await
                    .expect("order status");
            if now.as_deref() == Some(status) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("order {id} never became {status}");
    }
}
