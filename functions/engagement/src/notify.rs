//! Telling a comment's author that someone replied to it or liked it: an in-app notification and
//! an email, both written in the transaction of the reply or like, so neither exists without it.

use cinema_shared::{
    email::{Email, EmailMessage},
    outbox,
};
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, types::Json};
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

/// One piece of news for one author: the in-app notification's row and the email.
#[derive(Serialize)]
pub struct Notice {
    user_id: Uuid,
    kind: &'static str,
    actor_id: Uuid,
    comment_id: Uuid,
    data: serde_json::Value,
    #[serde(skip)]
    emails: [EmailMessage; 1],
}

impl Notice {
    pub fn new(author: &Author, news: CommentNews<'_>, context: &Context<'_>) -> Self {
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
        Self {
            user_id: author.id,
            kind,
            actor_id: context.actor_id,
            comment_id,
            data: json!({
                "movie_id": context.movie_id,
                "movie_name": context.movie_name,
                "actor_name": context.actor_name,
            }),
            emails: [EmailMessage::new(&author.email, email)],
        }
    }
}

/// `WITH` queries that write the notice of parameter `notice` (a [`Notice`] as JSON, or null
/// for none) and stage its email from parameter `emails` (see [`outbox::staged_cte`]) when
/// `condition` holds: for a statement that makes a change and tells of it at once. Bind them with [`Notice::row`] and
/// [`Notice::emails`].
pub fn notice_ctes(notice: &str, emails: &str, condition: &str) -> String {
    format!(
        "told AS (
             INSERT INTO notifications (user_id, kind, actor_id, comment_id, data)
             SELECT n.user_id, n.kind, n.actor_id, n.comment_id, n.data
             FROM jsonb_to_record({notice}::jsonb)
                  AS n(user_id uuid, kind text, actor_id uuid, comment_id uuid, data jsonb)
             WHERE n.user_id IS NOT NULL AND {condition}),
         {staged}",
        staged = outbox::staged_cte(emails, condition),
    )
}

impl Notice {
    /// The `notice` parameter of [`notice_ctes`].
    pub fn row(notice: Option<&Self>) -> Option<Json<&Self>> {
        notice.map(Json)
    }

    /// The `emails` parameter of [`notice_ctes`].
    pub fn emails(notice: Option<&Self>) -> Vec<Json<&EmailMessage>> {
        outbox::rows(notice.map_or(&[][..], |notice| &notice.emails[..]))
    }

    /// What was staged, from the ids the statement wrote.
    pub fn staged(notice: Option<&Self>, ids: Vec<i64>) -> outbox::Staged {
        outbox::Staged::new(ids, notice.map_or(&[][..], |notice| &notice.emails[..]))
    }
}

/// Writes the notice in the caller's transaction; returns the email to relay after commit.
pub async fn tell(conn: &mut PgConnection, notice: &Notice) -> Result<outbox::Staged, sqlx::Error> {
    static TELL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH {} SELECT {}",
            notice_ctes("$1", "$2", "true"),
            outbox::STAGED_IDS
        )
    });
    let notice = Some(notice);
    let ids: Vec<i64> = sqlx::query_scalar(TELL.as_str())
        .bind(Notice::row(notice))
        .bind(Notice::emails(notice))
        .fetch_one(conn)
        .await?;
    Ok(Notice::staged(notice, ids))
}
