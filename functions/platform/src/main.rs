//! The `platform` Lambda: serves the group's routes through API Gateway.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cinema_shared::runtime::run_http_function(cinema_platform::router).await
}
