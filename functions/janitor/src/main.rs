//! The `janitor` Lambda: invoked by EventBridge, on its schedules and on S3's "Object Created"
//! events from the media bucket. It reads only what it uses: the database, the mail queue it
//! relays the outbox to, the media bucket, how long a pending order may wait, and Stripe, to
//! expire the sessions of the orders it cancels.

use cinema_shared::{
    aws,
    config::{DatabaseConfig, Env, StorageConfig},
    db,
    email::EmailQueue,
    storage::Storage,
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
    let media = StorageConfig::read(&env)?;
    let storage = Storage::new(
        aws::s3_client(&sdk, media.s3_force_path_style),
        media.media_bucket,
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (pool, mail, storage, stale_orders) = (
            pool.clone(),
            mail.clone(),
            storage.clone(),
            stale_orders.clone(),
        );
        async move {
            let payload = event.payload;
            let report =
                if payload.get("detail-type").and_then(Value::as_str) == Some("Object Created") {
                    let created = serde_json::from_value(payload)?;
                    cinema_janitor::object_created(&pool, created).await?
                } else if payload.get("job").and_then(Value::as_str) == Some("every-minute") {
                    cinema_janitor::every_minute(&pool, &mail, &storage).await?
                } else {
                    cinema_janitor::run_all(&pool, &mail, &stale_orders).await?
                };
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
