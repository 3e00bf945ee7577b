//! Running an HTTP function under the Lambda runtime: what every function's `main` calls.

use axum::Router;

use crate::{http, state::AppState, telemetry};

/// Builds the state once per container, wraps the function's routes with the common layers and
/// serves Lambda invocations until the container is retired.
pub async fn run_http_function(
    routes: impl FnOnce(AppState) -> Router,
) -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = AppState::from_env().await?;
    let config = state.config.clone();
    let app = http::finish(routes(state), &config);
    lambda_http::run(app).await
}
