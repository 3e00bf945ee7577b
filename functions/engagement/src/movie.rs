//! What every per-movie write here needs: telling a missing movie (404) from nothing to undo.

use cinema_shared::{ApiError, ApiResult};
use uuid::Uuid;

pub fn not_found() -> ApiError {
    ApiError::NotFound("no such movie".into())
}

/// 404 unless the movie exists.
pub async fn ensure_exists(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> ApiResult<()> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM movies WHERE id = $1)")
        .bind(id)
        .fetch_one(db)
        .await?;
    if exists { Ok(()) } else { Err(not_found()) }
}
