//! `GET /health`: 200 when the database answers, 503 when it does not.

use std::time::Duration;

use axum::{Json, extract::State};
use cinema_shared::{ApiError, AppState, openapi::ProblemSchema};
use serde::Serialize;
use utoipa::ToSchema;

/// A load balancer or uptime check should hear back quickly even when the database hangs.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
    #[schema(example = "up")]
    database: &'static str,
}

/// Whether the API and its database answer.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "platform",
    responses(
        (status = 200, description = "The API and its database answer", body = Health),
        (status = 503, description = "The database does not answer", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
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
