//! Telling a comment's author that someone replied to it or liked it: an in-app notification and
//! an email, both written in the transaction of the reply or like, so neither exists without it.

use cinema_shared::{
    email::{Email, EmailMessage},
    outbox,
};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// The author of the comment acted upon, as the database has them now.
#[derive(Debug, sqlx::FromRow)]
pub struct Author {
    pub id: Uuid,
    pub email: String,
    pub is_active: bool,
}

impl Author {
    /// Nobody is told of their own reply or like, and a deactivated account is told nothing.
    pub fn wants_news_from(&self, actor: Uuid) -> bool {
        self.is_active && self.id != actor
    }
}

/// What happened to the author's comment.
pub enum CommentNews<'a> {
    Reply { reply_id: Uuid, text: &'a str },
    Like { comment_id: Uuid },
}

/// Who did it, on which movie.
pub struct Context<'a> {
    pub actor_id: Uuid,
    pub actor_name: &'a str,
    pub movie_id: Uuid,
    pub movie_name: &'a str,
}

/// Writes the notification and stages the email; returns the outbox ids to relay after commit.
pub async fn tell(
    conn: &mut PgConnection,
    author: &Author,
    news: CommentNews<'_>,
    context: &Context<'_>,
) -> Result<Vec<i64>, sqlx::Error> {
    let (kind, comment_id, email) = match news {
        CommentNews::Reply { reply_id, text } => (
            "comment_reply",
            reply_id,
            Email::CommentReply {
                movie_id: context.movie_id,
                movie_name: context.movie_name.to_owned(),
                author: context.actor_name.to_owned(),
                reply_text: text.to_owned(),
            },
        ),
        CommentNews::Like { comment_id } => (
            "comment_liked",
            comment_id,
            Email::CommentLiked {
                movie_id: context.movie_id,
                movie_name: context.movie_name.to_owned(),
                author: context.actor_name.to_owned(),
            },
        ),
    };
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, comment_id, data)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(author.id)
    .bind(kind)
    .bind(context.actor_id)
    .bind(comment_id)
    .bind(json!({
        "movie_id": context.movie_id,
        "movie_name": context.movie_name,
        "actor_name": context.actor_name,
    }))
    .execute(&mut *conn)
    .await?;
    outbox::stage(conn, &[EmailMessage::new(&author.email, email)]).await
}
