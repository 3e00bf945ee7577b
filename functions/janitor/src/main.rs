//! The `janitor` Lambda: invoked hourly by an EventBridge schedule.

use cinema_shared::AppState;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cinema_shared::telemetry::init();
    let state = AppState::from_env().await?;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let state = state.clone();
        async move {
            let report = cinema_janitor::run_all(&state.db, &state.mail).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
