//! `PUT/DELETE /comments/{id}/like`: idempotent; a new like tells the comment's author, at most
//! once a day per liker, so un-liking and re-liking sends no second email.

use axum::{Json, extract::State};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::AuthUser,
    extract::ApiPath,
    openapi::{ProblemSchema, SignedInOnly},
    outbox,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::not_found;
use crate::notify::{self, Author, CommentNews, Notice};

/// The caller's like and the comment's count after the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct LikeState {
    pub comment_id: Uuid,
    pub liked_by_me: bool,
    pub like_count: i64,
}

/// Likes a comment (again is fine).
#[utoipa::path(
    put,
    path = "/api/v1/comments/{id}/like",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The comment's id")),
    responses(
        (status = 200, description = "Liked", body = LikeState),
        (status = 404, description = "No such comment", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "The comment was deleted", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn put_like(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<LikeState>> {
    let mut tx = state.db.begin().await?;
    let comment: Option<(bool, Uuid, String, Option<Uuid>)> = sqlx::query_as(
        "SELECT c.deleted_at IS NOT NULL, c.movie_id, m.name, c.author_id
         FROM comments c JOIN movies m ON m.id = c.movie_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (deleted, movie_id, movie_name, author_id) = comment.ok_or_else(not_found)?;
    if deleted {
        return Err(ApiError::conflict("the comment was deleted"));
    }
    let liked_now: bool = sqlx::query_scalar(
        "WITH liked AS (
             INSERT INTO comment_likes (comment_id, user_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING RETURNING 1)
         SELECT EXISTS (SELECT 1 FROM liked)",
    )
    .bind(id)
    .bind(user.id)
    .fetch_one(&mut *tx)
    .await?;
    let mut staged = outbox::Staged::default();
    if liked_now && let Some(author_id) = author_id {
        let author: Author = sqlx::query_as("SELECT id, email, is_active FROM users WHERE id = $1")
            .bind(author_id)
            .fetch_one(&mut *tx)
            .await?;
        let told_today: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM notifications
                            WHERE user_id = $1 AND kind = 'comment_liked' AND comment_id = $2
                              AND actor_id = $3 AND created_at > now() - interval '1 day')",
        )
        .bind(author_id)
        .bind(id)
        .bind(user.id)
        .fetch_one(&mut *tx)
        .await?;
        if author.wants_news_from(user.id) && !told_today {
            let actor_name: String = sqlx::query_scalar(
                "SELECT display_name(p.first_name, p.last_name, $1)
                 FROM (SELECT $1::uuid AS id) u LEFT JOIN profiles p ON p.user_id = u.id",
            )
            .bind(user.id)
            .fetch_one(&mut *tx)
            .await?;
            let context = notify::Context {
                actor_id: user.id,
                actor_name: &actor_name,
                movie_id,
                movie_name: &movie_name,
            };
            let news = CommentNews::Like { comment_id: id };
            staged = notify::tell(&mut tx, &Notice::new(&author, news, &context)).await?;
        }
    }
    let like_count = like_count(&mut tx, id).await?;
    tx.commit().await?;
    state.relay.after_commit(staged);
    Ok(Json(LikeState {
        comment_id: id,
        liked_by_me: true,
        like_count,
    }))
}

/// Takes the caller's like back, if any.
#[utoipa::path(
    delete,
    path = "/api/v1/comments/{id}/like",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The comment's id")),
    responses(
        (status = 200, description = "Not liked", body = LikeState),
        (status = 404, description = "No such comment", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn delete_like(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<LikeState>> {
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM comment_likes WHERE comment_id = $1 AND user_id = $2")
        .bind(id)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let like_count = like_count(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(LikeState {
        comment_id: id,
        liked_by_me: false,
        like_count,
    }))
}

async fn like_count(conn: &mut sqlx::PgConnection, id: Uuid) -> ApiResult<i64> {
    let count: i32 = sqlx::query_scalar("SELECT like_count FROM comments WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(not_found)?;
    Ok(count.into())
}
