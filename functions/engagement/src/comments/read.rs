//! `GET /movies/{id}/comments` (a movie's threads) and `GET /comments/{id}/replies`.
//!
//! Each page is one statement on the read pool: it checks the caller's session when a token
//! came, finds the movie or comment, counts, and writes the page as JSON text; only the
//! authors' avatar links are added here (they are signed per request).

use std::{collections::HashMap, sync::LazyLock};

use axum::{Json, extract::State};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{self, MaybeTokenHolder, TokenHolder},
    extract::{ApiPath, ApiQuery},
    openapi::ProblemSchema,
    pagination::{Page, PageQuery, PageRequest},
};
use serde::Deserialize;
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Comment, not_found};

/// Which comes first.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
pub enum CommentOrder {
    /// Oldest first.
    #[serde(rename = "created_at")]
    Oldest,
    /// Newest first.
    #[default]
    #[serde(rename = "-created_at")]
    Newest,
}

impl CommentOrder {
    fn sql(self) -> &'static str {
        match self {
            Self::Newest => "DESC",
            Self::Oldest => "ASC",
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ThreadsQuery {
    /// `-created_at` (newest first, the default) or `created_at` (oldest first).
    #[param(inline)]
    sort: Option<CommentOrder>,
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// A movie's top-level comments, newest first, each with its reply and like counts.
#[utoipa::path(
    get,
    path = "/api/v1/movies/{id}/comments",
    tag = "engagement",
    params(("id" = Uuid, Path, description = "The movie's id"), ThreadsQuery),
    responses(
        (status = 200, description = "A page of threads", body = inline(Page<Comment>)),
        (status = 401, description = "A bearer token was sent and is not valid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "Bad sort or page (named)", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn list_threads(
    State(state): State<AppState>,
    MaybeTokenHolder(viewer): MaybeTokenHolder,
    ApiPath(movie_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ThreadsQuery>,
) -> ApiResult<Json<Page<Box<RawValue>>>> {
    let page = PageRequest::from_query(query.page, query.per_page)?;
    let statements = match query.sort.unwrap_or_default() {
        CommentOrder::Newest => &*NEWEST_THREADS,
        CommentOrder::Oldest => &*OLDEST_THREADS,
    };
    let listed = statements.run(&state, movie_id, viewer, page).await?;
    if !listed.found {
        return Err(crate::movie::not_found());
    }
    Ok(Json(listed.into_page(&state, page).await?))
}

/// A comment's direct replies, oldest first (each lists its own replies the same way).
#[utoipa::path(
    get,
    path = "/api/v1/comments/{id}/replies",
    tag = "engagement",
    params(("id" = Uuid, Path, description = "The comment's id"), PageQuery),
    responses(
        (status = 200, description = "A page of replies", body = inline(Page<Comment>)),
        (status = 401, description = "A bearer token was sent and is not valid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such comment", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "Bad page (named)", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn list_replies(
    State(state): State<AppState>,
    MaybeTokenHolder(viewer): MaybeTokenHolder,
    ApiPath(comment_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Box<RawValue>>>> {
    let page = query.request()?;
    let listed = REPLIES.run(&state, comment_id, viewer, page).await?;
    if !listed.found {
        return Err(not_found());
    }
    Ok(Json(listed.into_page(&state, page).await?))
}

/// One list of comments, as SQL over `$1` (the movie or the parent comment).
pub struct Listing {
    /// Whether `$1` exists.
    found: &'static str,
    /// How many comments the list holds in all.
    total: &'static str,
    /// The common table expressions that end with `page (id, created_at)`: the page's ids and
    /// creation times in order, from an index (a skipped row costs an index entry, never a
    /// visit to the table), `$2`/`$3` its limit and offset.
    page: String,
    /// `ASC` or `DESC`: the order of `page`.
    order: &'static str,
}

impl Listing {
    /// A movie's top-level comments in `order`. Newest first (the default), a deep page starts
    /// walking at the nearest of the movie's anchors before it (see the
    /// comment_thread_anchors migration); without anchors it walks from the top.
    pub fn threads(order: CommentOrder) -> Self {
        let threads =
            "SELECT id, created_at FROM comments WHERE movie_id = $1 AND parent_id IS NULL";
        let page = match order {
            CommentOrder::Newest => format!(
                "anchor AS MATERIALIZED (
                     SELECT position, created_at, id FROM comment_thread_anchors
                     WHERE movie_id = $1 AND position <= $3 ORDER BY position DESC LIMIT 1),
                 -- The outer LIMIT only tells the planner the page's size: without it, it
                 -- counts both branches and hashes every comment to join them.
                 page AS MATERIALIZED (
                     SELECT id, created_at FROM (
                         SELECT x.id, x.created_at FROM anchor a CROSS JOIN LATERAL (
                             {threads} AND (created_at, id) <= (a.created_at, a.id)
                             ORDER BY created_at DESC, id DESC
                             LIMIT $2 OFFSET $3 - a.position) x
                         UNION ALL
                         ({threads} AND NOT EXISTS (SELECT 1 FROM anchor)
                          ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3)) walked
                     LIMIT $2)"
            ),
            CommentOrder::Oldest => format!(
                "page AS MATERIALIZED ({threads} ORDER BY created_at, id LIMIT $2 OFFSET $3)"
            ),
        };
        Self {
            found: "EXISTS (SELECT 1 FROM movies WHERE id = $1)",
            total: "(SELECT coalesce(sum(threads), 0) FROM movie_comment_counts WHERE movie_id = $1)",
            page,
            order: order.sql(),
        }
    }

    /// A comment's direct replies, oldest first.
    pub fn replies() -> Self {
        Self {
            found: "EXISTS (SELECT 1 FROM comments WHERE id = $1)",
            total: "coalesce((SELECT reply_count FROM comments WHERE id = $1), 0)",
            page: "page AS MATERIALIZED (
                       SELECT id, created_at FROM comments WHERE parent_id = $1
                       ORDER BY created_at, id LIMIT $2 OFFSET $3)"
                .to_owned(),
            order: "ASC",
        }
    }

    /// The statement: `$1` the key, `$2`/`$3` the page's limit and offset, and with a viewer
    /// `$4`/`$5` their account and session. Only the page's own rows are read in full.
    pub fn sql(&self, with_viewer: bool) -> String {
        let Self {
            found,
            total,
            page,
            order,
        } = self;
        let (liked_by_me, caller) = if with_viewer {
            (
                ", 'liked_by_me', EXISTS (SELECT 1 FROM comment_likes l
                     WHERE l.comment_id = c.id AND l.user_id = $4)",
                format!("'caller', {}, ", auth::live_session("$4", "$5")),
            )
        } else {
            ("", String::new())
        };
        format!(
            "WITH {page},
             listed AS (
                SELECT page.created_at, page.id,
                       CASE WHEN c.deleted_at IS NULL THEN c.author_id END AS author_id,
                       CASE WHEN c.deleted_at IS NULL THEN p.avatar_key END AS avatar_key,
                       json_build_object(
                           'id', c.id, 'movie_id', c.movie_id, 'parent_id', c.parent_id,
                           'text', c.text,
                           'author', CASE WHEN c.deleted_at IS NULL AND c.author_id IS NOT NULL
                               THEN json_build_object('id', c.author_id, 'display_name',
                                   display_name(p.first_name, p.last_name, c.author_id)) END,
                           'created_at', api_time(c.created_at),
                           'reply_count', c.reply_count, 'like_count', c.like_count,
                           'deleted', c.deleted_at IS NOT NULL{liked_by_me}) AS item
                FROM page JOIN comments c ON c.id = page.id
                -- A lookup per row, whatever the page size: the plan is generic (`LIMIT $2`),
                -- and a join would hash (scan) every profile. `LIMIT 1` keeps it a lookup.
                LEFT JOIN LATERAL (SELECT first_name, last_name, avatar_key FROM profiles
                                   WHERE user_id = c.author_id LIMIT 1) p ON true)
             SELECT json_build_object({caller}'found', {found}, 'total', {total},
                 'items', coalesce((SELECT json_agg(item ORDER BY created_at {order}, id {order})
                                    FROM listed), '[]'),
                 'avatars', coalesce((SELECT json_object_agg(author_id, avatar_key)
                     FROM (SELECT DISTINCT author_id, avatar_key FROM listed
                           WHERE avatar_key IS NOT NULL) a), '{{}}'))::text"
        )
    }
}

/// A list's two statements (anonymous, and with a viewer), written once per process.
struct Statements([String; 2]);

static NEWEST_THREADS: LazyLock<Statements> =
    LazyLock::new(|| Statements::of(&Listing::threads(CommentOrder::Newest)));
static OLDEST_THREADS: LazyLock<Statements> =
    LazyLock::new(|| Statements::of(&Listing::threads(CommentOrder::Oldest)));
static REPLIES: LazyLock<Statements> = LazyLock::new(|| Statements::of(&Listing::replies()));

impl Statements {
    fn of(listing: &Listing) -> Self {
        Self([listing.sql(false), listing.sql(true)])
    }

    /// Runs the statement for `key`; a viewer whose session has ended gets the 401.
    async fn run(
        &self,
        state: &AppState,
        key: Uuid,
        viewer: Option<TokenHolder>,
        page: PageRequest,
    ) -> ApiResult<Listed> {
        let sql = &self.0[usize::from(viewer.is_some())];
        let mut query = sqlx::query_scalar::<_, String>(sql)
            .bind(key)
            .bind(page.limit())
            .bind(page.offset());
        if let Some(viewer) = viewer {
            query = query.bind(viewer.user_id).bind(viewer.session_id);
        }
        let text = state
            .reads
            .fetch_optional(query)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let listed: Listed = serde_json::from_str(&text).map_err(unreadable)?;
        if listed.caller == Some(false) {
            return Err(auth::session_ended());
        }
        Ok(listed)
    }
}

/// What the statement returns.
#[derive(Deserialize)]
struct Listed {
    /// With a viewer, whether their account is active and session live.
    #[serde(default)]
    caller: Option<bool>,
    found: bool,
    total: i64,
    items: Vec<Box<RawValue>>,
    /// The avatar key of each listed author who has one.
    avatars: HashMap<Uuid, String>,
}

impl Listed {
    /// The page as served, each author with an avatar given a link to it.
    async fn into_page(
        self,
        state: &AppState,
        page: PageRequest,
    ) -> ApiResult<Page<Box<RawValue>>> {
        let mut items = Vec::with_capacity(self.items.len());
        for item in self.items {
            items.push(with_avatar_url(item, &self.avatars, state).await?);
        }
        Ok(Page::new(items, page, self.total))
    }
}

/// `item` with `author.avatar_url` set when its author has an avatar (only then is it read).
async fn with_avatar_url(
    item: Box<RawValue>,
    avatars: &HashMap<Uuid, String>,
    state: &AppState,
) -> ApiResult<Box<RawValue>> {
    if avatars.is_empty() {
        return Ok(item);
    }
    let mut comment: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(item.get()).map_err(unreadable)?;
    let Some(serde_json::Value::Object(author)) = comment.get_mut("author") else {
        return Ok(item);
    };
    let key = author
        .get("id")
        .and_then(|id| id.as_str())
        .and_then(|id| id.parse::<Uuid>().ok())
        .and_then(|id| avatars.get(&id));
    let Some(key) = key else {
        return Ok(item);
    };
    let url = state.storage.avatar_url(key).await?;
    author.insert("avatar_url".to_owned(), url.into());
    serde_json::value::to_raw_value(&comment).map_err(unreadable)
}

fn unreadable(err: serde_json::Error) -> ApiError {
    ApiError::unreadable_json("comments", err)
}
