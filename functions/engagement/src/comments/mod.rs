//! Comments on movies: threads of any depth, each comment listing its direct replies, with likes.
//!
//! The counters (`reply_count`, `like_count`, a movie's `comments_count`) are kept by triggers
//! in the writing transaction; a deleted comment with replies stays as a placeholder whose text
//! and author are hidden.

pub mod likes;
pub mod read;
pub mod write;

use chrono::{DateTime, Utc};
use cinema_shared::{ApiError, AppState};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A comment as anyone sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Comment {
    pub id: Uuid,
    pub movie_id: Uuid,
    /// The comment this one replies to; absent for a thread's first comment.
    pub parent_id: Option<Uuid>,
    /// The text; null once the comment was deleted.
    pub text: Option<String>,
    /// Who wrote it; null once deleted, or when the account no longer exists.
    pub author: Option<CommentAuthor>,
    pub created_at: DateTime<Utc>,
    /// Direct replies, placeholders included.
    pub reply_count: i64,
    pub like_count: i64,
    /// A placeholder kept so its replies still read as a thread.
    pub deleted: bool,
    /// Whether the caller likes it; only with a bearer token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liked_by_me: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentAuthor {
    pub id: Uuid,
    /// The author's name, or a pseudonym when they gave none (never their email).
    pub display_name: String,
    /// A short-lived link to the author's avatar, when they uploaded one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// The columns every comment statement selects, `$1` being the viewer (or null), over
/// `comments c LEFT JOIN profiles p ON p.user_id = c.author_id`.
pub const COLUMNS: &str = "c.id, c.movie_id, c.parent_id, c.text, c.created_at,
    c.reply_count, c.like_count, c.deleted_at IS NOT NULL AS deleted,
    CASE WHEN c.deleted_at IS NULL THEN c.author_id END AS author_id,
    CASE WHEN c.deleted_at IS NULL AND c.author_id IS NOT NULL
         THEN display_name(p.first_name, p.last_name, c.author_id) END AS display_name,
    CASE WHEN c.deleted_at IS NULL THEN p.avatar_key END AS avatar_key,
    CASE WHEN $1::uuid IS NOT NULL THEN EXISTS (
        SELECT 1 FROM comment_likes l WHERE l.comment_id = c.id AND l.user_id = $1) END
        AS liked_by_me";

#[derive(sqlx::FromRow)]
pub struct CommentRow {
    id: Uuid,
    movie_id: Uuid,
    parent_id: Option<Uuid>,
    text: Option<String>,
    created_at: DateTime<Utc>,
    reply_count: i32,
    like_count: i32,
    deleted: bool,
    author_id: Option<Uuid>,
    display_name: Option<String>,
    avatar_key: Option<String>,
    liked_by_me: Option<bool>,
}

impl CommentRow {
    /// The comment as served, with its author's avatar link signed now.
    pub async fn into_comment(self, state: &AppState) -> Result<Comment, ApiError> {
        let author = match (self.author_id, self.display_name) {
            (Some(id), Some(display_name)) => Some(CommentAuthor {
                id,
                display_name,
                avatar_url: match &self.avatar_key {
                    Some(key) => Some(state.storage.avatar_url(key).await?),
                    None => None,
                },
            }),
            _ => None,
        };
        Ok(Comment {
            id: self.id,
            movie_id: self.movie_id,
            parent_id: self.parent_id,
            text: self.text,
            author,
            created_at: self.created_at,
            reply_count: self.reply_count.into(),
            like_count: self.like_count.into(),
            deleted: self.deleted,
            liked_by_me: self.liked_by_me,
        })
    }
}

/// Every row of a page as served.
pub async fn into_comments(
    rows: Vec<CommentRow>,
    state: &AppState,
) -> Result<Vec<Comment>, ApiError> {
    let mut comments = Vec::with_capacity(rows.len());
    for row in rows {
        comments.push(row.into_comment(state).await?);
    }
    Ok(comments)
}

pub fn not_found() -> ApiError {
    ApiError::NotFound("no such comment".into())
}
