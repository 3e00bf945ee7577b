//! Comments on movies: threads of any depth, each comment listing its direct replies, with likes.
//!
//! The counters (`reply_count`, `like_count`, a movie's `comments_count`) are kept by triggers
//! in the writing transaction; a deleted comment with replies stays as a placeholder whose text
//! and author are hidden.

pub mod likes;
pub mod read;
pub mod write;

use chrono::{DateTime, Utc};
use cinema_shared::ApiError;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A comment as anyone sees it.
// The lists write it in SQL (`read.rs`): keep the two alike (a test compares them).
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

pub fn not_found() -> ApiError {
    ApiError::NotFound("no such comment".into())
}
