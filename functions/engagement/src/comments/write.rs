//! `POST /movies/{id}/comments` and `DELETE /comments/{id}`.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{AuthUser, Role},
    error::ResultExt,
    extract::{ApiJson, ApiPath},
    openapi::{JsonBody, ProblemSchema, SignedInOnly},
    outbox,
    rate_limit::{self, Bucket},
    text,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Comment, CommentAuthor, not_found};
use crate::notify::{self, Author, CommentNews};

/// The most characters a comment holds, after trimming.
pub const MAX_COMMENT_CHARS: usize = 2000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// 1 to 2000 characters after trimming; line breaks and tabs allowed, other control
    /// characters not.
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "The last act is a masterpiece."
    )]
    text: String,
    /// The comment this replies to, on the same movie.
    parent_id: Option<Uuid>,
}

/// The comment's text as stored, or what is wrong with it.
fn checked_text(raw: &str) -> Result<&str, ApiError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ApiError::invalid("text", "must not be blank"));
    }
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(ApiError::invalid(
            "text",
            format!("must be at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    if !text::is_multiline(text) {
        return Err(ApiError::invalid("text", text::NO_CONTROL_CHARACTERS));
    }
    Ok(text)
}

/// The comment replied to, and its author while the account exists.
#[derive(sqlx::FromRow)]
struct Parent {
    deleted: bool,
    author_id: Option<Uuid>,
    author_email: Option<String>,
    author_active: Option<bool>,
}

impl Parent {
    fn author(self) -> Option<Author> {
        Some(Author {
            id: self.author_id?,
            email: self.author_email?,
            is_active: self.author_active?,
        })
    }
}

fn bad_parent(why: &str) -> ApiError {
    ApiError::invalid("parent_id", why)
}

/// Comments on a movie, or replies to one of its comments; a reply tells the parent's author
/// (in-app and by email) unless they wrote it.
#[utoipa::path(
    post,
    path = "/api/v1/movies/{id}/comments",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id")),
    request_body = NewComment,
    responses(
        (status = 201, description = "The new comment", body = Comment),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "Blank, too long or control characters in `text`, or a `parent_id` that is not a comment of this movie", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "Too many comments in a short time; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
        JsonBody,
    )
)]
pub async fn post_comment(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(movie_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    let text = checked_text(&input.text)?;
    let limit = state.config.comment_limit;
    rate_limit::hit(
        &state.db,
        limit.window,
        &[Bucket::new(
            format!("comment:user:{}", user.id),
            limit.limit,
        )],
    )
    .await?;

    let mut tx = state.db.begin().await?;
    let (movie_name, actor_name, avatar_key): (String, String, Option<String>) = sqlx::query_as(
        "SELECT m.name, display_name(p.first_name, p.last_name, $2), p.avatar_key
         FROM movies m LEFT JOIN profiles p ON p.user_id = $2 WHERE m.id = $1",
    )
    .bind(movie_id)
    .bind(user.id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(crate::movie::not_found)?;
    let parent_author: Option<Author> = match input.parent_id {
        None => None,
        Some(parent_id) => {
            let parent: Option<Parent> = sqlx::query_as(
                "SELECT c.deleted_at IS NOT NULL AS deleted, u.id AS author_id,
                        u.email AS author_email, u.is_active AS author_active
                 FROM comments c LEFT JOIN users u ON u.id = c.author_id
                 WHERE c.id = $1 AND c.movie_id = $2",
            )
            .bind(parent_id)
            .bind(movie_id)
            .fetch_optional(&mut *tx)
            .await?;
            match parent {
                None => return Err(bad_parent("is not a comment of this movie")),
                Some(parent) if parent.deleted => {
                    return Err(bad_parent("that comment was deleted"));
                }
                Some(parent) => parent.author(),
            }
        }
    };
    let id = Uuid::new_v4();
    let mut staged = Vec::new();
    if let Some(author) = parent_author.filter(|author| author.wants_news_from(user.id)) {
        let context = notify::Context {
            actor_id: user.id,
            actor_name: &actor_name,
            movie_id,
            movie_name: &movie_name,
        };
        let news = CommentNews::Reply { reply_id: id, text };
        staged = notify::tell(&mut tx, &author, news, &context).await?;
    }
    // Last before commit: this insert's triggers lock the movie's and the parent's counters,
    // so every other reply to them waits only for this statement and the commit.
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO comments (id, movie_id, parent_id, author_id, text) VALUES ($1, $2, $3, $4, $5)
         RETURNING created_at",
    )
    .bind(id)
    .bind(movie_id)
    .bind(input.parent_id)
    .bind(user.id)
    .bind(text)
    .fetch_one(&mut *tx)
    .await
    // The parent was deleted after it was read: it is gone now.
    .on_constraint("comments_parent_fkey", || bad_parent("that comment was deleted"))?;
    tx.commit().await?;
    outbox::relay_in_background(&state.db, &state.mail, staged);
    let avatar_url = match &avatar_key {
        Some(key) => Some(state.storage.avatar_url(key).await?),
        None => None,
    };
    let comment = Comment {
        id,
        movie_id,
        parent_id: input.parent_id,
        text: Some(text.to_owned()),
        author: Some(CommentAuthor {
            id: user.id,
            display_name: actor_name,
            avatar_url,
        }),
        created_at,
        reply_count: 0,
        like_count: 0,
        deleted: false,
        liked_by_me: Some(false),
    };
    Ok((StatusCode::CREATED, Json(comment)))
}

/// Deletes a comment: its author or a moderator. One with replies stays as a placeholder; one
/// without goes, and takes with it any placeholder above it left without replies.
#[utoipa::path(
    delete,
    path = "/api/v1/comments/{id}",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The comment's id")),
    responses(
        (status = 204, description = "Deleted (or already a placeholder)"),
        (status = 403, description = "Neither its author nor a moderator", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such comment", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn delete_comment(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    // Locked: a reply arriving now waits, then finds a placeholder or nothing.
    let (author_id, reply_count, deleted): (Option<Uuid>, i32, bool) = sqlx::query_as(
        "SELECT author_id, reply_count, deleted_at IS NOT NULL FROM comments
         WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(not_found)?;
    if author_id != Some(user.id) && user.role < Role::Moderator {
        return Err(ApiError::Forbidden(
            "only its author or a moderator can delete a comment".into(),
        ));
    }
    if reply_count > 0 {
        if !deleted {
            sqlx::query("UPDATE comments SET text = NULL, deleted_at = now() WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    } else {
        // The trigger removes a placeholder parent this leaves without replies.
        sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_text_is_trimmed_bounded_and_clean() {
        assert_eq!(
            checked_text("  Great.\nReally.  ").unwrap(),
            "Great.\nReally."
        );
        assert!(checked_text(" \n\t ").is_err());
        assert!(checked_text(&"é".repeat(MAX_COMMENT_CHARS)).is_ok());
        assert!(checked_text(&"é".repeat(MAX_COMMENT_CHARS + 1)).is_err());
        assert!(checked_text("bad\u{0}byte").is_err());
    }
}
