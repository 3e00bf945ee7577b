//! The harness: a stand-in on 127.0.0.1:0, a fresh account per test, and a tiny webhook
//! receiver that records what it gets and answers scripted statuses.

#![allow(dead_code)] // each test binary uses a part

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use stripe_standin::{Config, Running};

pub fn config() -> Config {
    Config {
        retry_delays: vec![Duration::from_millis(50), Duration::from_millis(100)],
        ..Config::default()
    }
}

pub async fn standin(config: Config) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    stripe_standin::start(config, listener).await.unwrap()
}

/// A key nobody else uses: an account of its own.
pub fn fresh_key() -> String {
    format!("sk_test_{}", uuid::Uuid::new_v4().simple())
}

pub fn client(standin: &Running, key: &str) -> stripe::Client {
    stripe::ClientBuilder::new(key)
        .url(&standin.base_url)
        .build()
        .unwrap()
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub signature: String,
    pub content_type: String,
    pub body: String,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Delivery>>>,
    /// Statuses to answer, in order; 200 once empty.
    script: Arc<Mutex<VecDeque<u16>>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    receiver.received.lock().unwrap().push(Delivery {
        signature: header("stripe-signature"),
        content_type: header("content-type"),
        body,
    });
    let status = receiver.script.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    pub async fn start(script: &[u16]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            url: format!("http://{}/webhook", listener.local_addr().unwrap()),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Receiver::default()
        };
        let routes = Router::new()
            .route("/webhook", post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, routes).await.unwrap() });
        receiver
    }

    pub fn received(&self) -> Vec<Delivery> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `count` deliveries arrived (or fails after 5 s).
    pub async fn wait_for(&self, count: usize) -> Vec<Delivery> {
        for _ in 0..250 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {count} deliveries, got {:#?}", self.received());
    }
}

/// `POST /v1/webhook_endpoints` as a test would; returns (id, secret).
pub async fn register_endpoint(standin: &Running, key: &str, url: &str) -> (String, String) {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/v1/webhook_endpoints", standin.base_url))
        .bearer_auth(key)
        .form(&[("url", url), ("enabled_events[]", "*")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        answer["id"].as_str().unwrap().to_owned(),
        answer["secret"].as_str().unwrap().to_owned(),
    )
}

/// Answers the pay page of `session_id` with `outcome`; returns the raw response.
pub async fn pay(standin: &Running, session_id: &str, outcome: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/pay/{session_id}", standin.base_url))
        .form(&[("outcome", outcome)])
        .send()
        .await
        .unwrap()
}
