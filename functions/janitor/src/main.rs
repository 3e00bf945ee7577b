//! The `janitor` Lambda: invoked hourly by an EventBridge schedule.

use cinema_shared::{config::Config, db};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cinema_shared::telemetry::init();
    let pool = db::lazy_pool(&Config::from_env()?)?;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let pool = pool.clone();
        async move {
            let report = cinema_janitor::run(&pool, cinema_janitor::DEFAULT_BATCH_SIZE).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
