//! `cinema bench-queue`: an SQS endpoint for benchmarks that takes every `SendMessageBatch` and
//! keeps nothing. With it the relay runs its whole deployed path (the SDK's signed call, then
//! the outbox rows deleted) without a queue server on the machine's cores: moto, the local
//! queue, costs about a core at a thousand relays a second, and on AWS the queue is elsewhere.
//! Benchmarks only: tests use the real local queue.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use md5::{Digest, Md5};
use serde_json::{Value, json};

/// The operation the relay calls (SQS's JSON protocol names it in this header).
const SEND_MESSAGE_BATCH: &str = "AmazonSQS.SendMessageBatch";
/// The local gateway's mail pump long-polls the queue: it is told there is nothing, after the
/// wait it asked for.
const RECEIVE_MESSAGE: &str = "AmazonSQS.ReceiveMessage";
/// The longest long poll SQS allows.
const MAX_WAIT_SECONDS: u64 = 20;

/// Serves until stopped, printing how many messages it took when asked to stop.
pub async fn serve(addr: &str) -> anyhow::Result<()> {
    let taken = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route("/", post(answer))
        .with_state(taken.clone());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("bench queue on {}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    println!("{} messages taken", taken.load(Ordering::Relaxed));
    Ok(())
}

/// Every entry of a batch taken, with the body digest the SDK may check; nothing to receive.
async fn answer(
    State(taken): State<Arc<AtomicU64>>,
    headers: HeaderMap,
    // `application/x-amz-json-1.0`, which axum's `Json` would refuse.
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok());
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    if target == Some(RECEIVE_MESSAGE) {
        let wait = request["WaitTimeSeconds"].as_u64().unwrap_or(0);
        tokio::time::sleep(std::time::Duration::from_secs(wait.min(MAX_WAIT_SECONDS))).await;
        return (StatusCode::OK, Json(json!({ "Messages": [] })));
    }
    if target != Some(SEND_MESSAGE_BATCH) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "__type": "com.amazonaws.sqs#UnsupportedOperation",
                "message": format!("the bench queue only answers {SEND_MESSAGE_BATCH} and {RECEIVE_MESSAGE}"),
            })),
        );
    }
    let entries = request["Entries"].as_array().cloned().unwrap_or_default();
    let successful: Vec<Value> = entries
        .iter()
        .map(|entry| {
            let body = entry["MessageBody"].as_str().unwrap_or_default();
            json!({
                "Id": entry["Id"],
                "MessageId": uuid::Uuid::new_v4(),
                "MD5OfMessageBody": hex::encode(Md5::digest(body.as_bytes())),
            })
        })
        .collect();
    taken.fetch_add(successful.len() as u64, Ordering::Relaxed);
    (
        StatusCode::OK,
        Json(json!({ "Successful": successful, "Failed": [] })),
    )
}
