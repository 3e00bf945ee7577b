//! `GET /health`: 200 when the database answers, 503 when it does not.

use std::time::Duration;

use axum::{Json, extract::State};
use cinema_shared::{ApiError, AppState};
use serde::Serialize;

/// A load balancer or uptime check should hear back quickly even when the database hangs.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    database: &'static str,
}

pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let ping = sqlx::query("SELECT 1").execute(&state.db);
    match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => Ok(Json(Health {
            status: "ok",
            database: "up",
        })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            Err(ApiError::ServiceUnavailable(
                "the database is not answering".into(),
            ))
        }
        Err(_) => {
            tracing::warn!("health check: database timed out");
            Err(ApiError::ServiceUnavailable(
                "the database is not answering".into(),
            ))
        }
    }
}
