//! What every per-movie write here needs: telling a missing movie (404) from nothing to undo.

use axum::http::StatusCode;
use cinema_shared::{ApiError, ApiResult};
use sqlx::PgPool;
use uuid::Uuid;

/// The per-user tables a caller can clear their own row of.
#[derive(Debug, Clone, Copy)]
pub enum OwnRow {
    Reaction,
    Rating,
    Favorite,
}

/// Deletes the caller's row of `kind` for the movie: 204 whether or not there was one (clearing
/// is idempotent), 404 only when the movie itself does not exist.
pub async fn clear_own(
    db: &PgPool,
    kind: OwnRow,
    user_id: Uuid,
    movie_id: Uuid,
) -> ApiResult<StatusCode> {
    // Constant table names, one per kind: never input.
    let sql = match kind {
        OwnRow::Reaction => "DELETE FROM reactions WHERE user_id = $1 AND movie_id = $2",
        OwnRow::Rating => "DELETE FROM ratings WHERE user_id = $1 AND movie_id = $2",
        OwnRow::Favorite => "DELETE FROM favorites WHERE user_id = $1 AND movie_id = $2",
    };
    let deleted = sqlx::query(sql)
        .bind(user_id)
        .bind(movie_id)
        .execute(db)
        .await?;
    if deleted.rows_affected() == 0 {
        ensure_exists(db, movie_id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

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
