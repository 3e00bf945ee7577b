//! The `janitor` Lambda: invoked by an EventBridge schedule. It reads only what it uses: the
//! database, the mail queue it relays the outbox to, how long a pending order may wait, and
//! Stripe, to expire the sessions of the orders it cancels.

use cinema_shared::{
    aws,
    config::{DatabaseConfig, Env},
    db,
    email::EmailQueue,
};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cinema_shared::telemetry::init();
    let lookup = |name: &str| std::env::var(name).ok();
    let env = Env(&lookup);
    let pool = db::lazy_pool(&DatabaseConfig::read(&env)?)?;
    let stale_orders = cinema_janitor::StaleOrders::from_env(&env)?;
    let sdk = aws::load_sdk_config().await;
    let mail = EmailQueue::new(aws::sqs_client(&sdk), env.required("MAIL_QUEUE_URL")?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (pool, mail, stale_orders) = (pool.clone(), mail.clone(), stale_orders.clone());
        async move {
            let report = match event.payload.get("job").and_then(Value::as_str) {
                // The minutely schedule: only the emails a frozen or failed relay left behind.
                Some("relay-outbox") => cinema_janitor::relay_outbox(&pool, &mail).await?,
                _ => cinema_janitor::run_all(&pool, &mail, &stale_orders).await?,
            };
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
