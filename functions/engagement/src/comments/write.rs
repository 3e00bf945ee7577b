//! `POST /movies/{id}/comments` and `DELETE /comments/{id}`.

use std::sync::LazyLock;

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{self, AuthUser, Role, TokenHolder},
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
use crate::notify::{self, Author, CommentNews, Notice};

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

/// Everything a post depends on, read in one statement before it writes.
#[derive(sqlx::FromRow)]
struct PostContext {
    /// The caller's account is active and their session live (what [`AuthUser`] checks).
    caller_live: bool,
    /// Absent: no such movie.
    movie_name: Option<String>,
    actor_name: String,
    avatar_key: Option<String>,
    /// Absent: no parent given, or none on this movie.
    parent_deleted: Option<bool>,
    parent_author_id: Option<Uuid>,
    parent_author_email: Option<String>,
    parent_author_active: Option<bool>,
}

/// `$1` the movie, `$2` the parent (or null), `$3`/`$4` the caller's account and session.
static POST_CONTEXT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {caller_live} AS caller_live, m.name AS movie_name,
                display_name(p.first_name, p.last_name, $3) AS actor_name, p.avatar_key,
                c.deleted_at IS NOT NULL AS parent_deleted, u.id AS parent_author_id,
                u.email AS parent_author_email, u.is_active AS parent_author_active
         FROM (SELECT) one
         LEFT JOIN movies m ON m.id = $1
         LEFT JOIN profiles p ON p.user_id = $3
         LEFT JOIN comments c ON c.id = $2 AND c.movie_id = $1
         LEFT JOIN users u ON u.id = c.author_id",
        caller_live = auth::live_session("$3", "$4"),
    )
});

/// The whole post in one statement, so one transaction without a round trip of its own: the
/// caller's rate-limit hit (`$8`-`$10`: bucket, window, limit), then only if it counted, the
/// comment (`$1`-`$5`: id, movie, parent, author, text) and the parent author's notice (`$6`,
/// `$7`, see [`notify::notice_ctes`]). A post refused by the limit counts no hit; one that
/// fails (its parent deleted since the read) rolls its hit back. The hit's row and the
/// counters the comment's triggers lock are held only until this statement commits.
static POST_WRITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH hit AS ({count_hit}),
         comment AS (
             INSERT INTO comments (id, movie_id, parent_id, author_id, text)
             SELECT $1, $2, $3, $4, $5 FROM hit RETURNING created_at),
         {notice}
         SELECT (SELECT created_at FROM comment), {staged_ids}, {seconds_left}",
        count_hit = rate_limit::count_hit("$8", "$9::float8", "$10::int4"),
        notice = notify::notice_ctes("$6", "$7", "EXISTS (SELECT 1 FROM comment)"),
        staged_ids = outbox::STAGED_IDS,
        seconds_left = rate_limit::seconds_left("$9::float8"),
    )
});

impl PostContext {
    /// The parent's author while the account exists (only for a reply).
    fn parent_author(&self) -> Option<Author> {
        Some(Author {
            id: self.parent_author_id?,
            email: self.parent_author_email.clone()?,
            is_active: self.parent_author_active?,
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
    caller: TokenHolder,
    ApiPath(movie_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    let text = checked_text(&input.text)?;
    // Two statements, each its own transaction: every round trip here is paid by every post
    // (the read on the read pool, which does not ping a connection it takes back).
    let context: PostContext = state
        .reads
        .fetch_one_row(
            sqlx::query_as(POST_CONTEXT.as_str())
                .bind(movie_id)
                .bind(input.parent_id)
                .bind(caller.user_id)
                .bind(caller.session_id),
        )
        .await?;
    if !context.caller_live {
        return Err(auth::session_ended());
    }
    let movie_name = context
        .movie_name
        .clone()
        .ok_or_else(crate::movie::not_found)?;
    let parent_author = match (input.parent_id, context.parent_deleted) {
        (None, _) => None,
        (Some(_), None) => return Err(bad_parent("is not a comment of this movie")),
        (Some(_), Some(true)) => return Err(bad_parent("that comment was deleted")),
        (Some(_), Some(false)) => context.parent_author(),
    };
    let user_id = caller.user_id;
    let PostContext {
        actor_name,
        avatar_key,
        ..
    } = context;
    let id = Uuid::new_v4();
    let notice = parent_author
        .filter(|author| author.wants_news_from(user_id))
        .map(|author| {
            let context = notify::Context {
                actor_id: user_id,
                actor_name: &actor_name,
                movie_id,
                movie_name: &movie_name,
            };
            Notice::new(&author, CommentNews::Reply { reply_id: id, text }, &context)
        });
    let limit = state.config.comment_limit;
    let bucket = Bucket::new(format!("comment:user:{user_id}"), limit.limit);
    let (created_at, staged_ids, seconds_left): (Option<DateTime<Utc>>, Vec<i64>, f64) =
        sqlx::query_as(POST_WRITE.as_str())
            .bind(id)
            .bind(movie_id)
            .bind(input.parent_id)
            .bind(user_id)
            .bind(text)
            .bind(Notice::row(notice.as_ref()))
            .bind(Notice::emails(notice.as_ref()))
            .bind(bucket.key())
            .bind(rate_limit::window_seconds(limit.window))
            .bind(bucket.limit())
            .fetch_one(&state.db)
            .await
            // What the read found changed before the write: the parent or the movie is gone,
            // or the account.
            .on_constraint("comments_parent_fkey", || {
                bad_parent("that comment was deleted")
            })
            .on_constraint("comments_movie_id_fkey", crate::movie::not_found)
            .on_constraint("comments_author_id_fkey", auth::session_ended)?;
    let created_at = created_at.ok_or_else(|| rate_limit::refused(seconds_left))?;
    state
        .relay
        .after_commit(Notice::staged(notice.as_ref(), staged_ids));
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
            id: user_id,
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
