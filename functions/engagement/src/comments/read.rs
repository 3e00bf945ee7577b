//! `GET /movies/{id}/comments` (a movie's threads) and `GET /comments/{id}/replies`.

use axum::{Json, extract::State};
use cinema_shared::{
    ApiResult, AppState,
    auth::{AuthUser, MaybeAuthUser},
    extract::{ApiPath, ApiQuery},
    openapi::ProblemSchema,
    pagination::{Page, PageQuery, PageRequest},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{COLUMNS, Comment, CommentRow, into_comments, not_found};

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
    MaybeAuthUser(viewer): MaybeAuthUser,
    ApiPath(movie_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ThreadsQuery>,
) -> ApiResult<Json<Page<Comment>>> {
    let page = PageRequest::from_query(query.page, query.per_page)?;
    let total: i32 = sqlx::query_scalar("SELECT thread_count FROM movies WHERE id = $1")
        .bind(movie_id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(crate::movie::not_found)?;
    let order = match query.sort.unwrap_or_default() {
        CommentOrder::Newest => "DESC",
        CommentOrder::Oldest => "ASC",
    };
    let page_ids = format!(
        "SELECT id, created_at FROM comments WHERE movie_id = $2 AND parent_id IS NULL
         ORDER BY created_at {order}, id {order}"
    );
    let rows = page_rows(&state, viewer, &page_ids, movie_id, page, order).await?;
    let items = into_comments(rows, &state).await?;
    Ok(Json(Page::new(items, page, total.into())))
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
    MaybeAuthUser(viewer): MaybeAuthUser,
    ApiPath(comment_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Comment>>> {
    let page = query.request()?;
    let total: i32 = sqlx::query_scalar("SELECT reply_count FROM comments WHERE id = $1")
        .bind(comment_id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(not_found)?;
    let page_ids = "SELECT id, created_at FROM comments WHERE parent_id = $2
                    ORDER BY created_at, id";
    let rows = page_rows(&state, viewer, page_ids, comment_id, page, "ASC").await?;
    let items = into_comments(rows, &state).await?;
    Ok(Json(Page::new(items, page, total.into())))
}

/// The rows of one page of comments: `page_ids` (`$2` its key) walks an index for the page's ids,
/// so skipped rows cost an index entry each, never a visit to the table; only the page's own
/// rows are read in full, in `order` (`ASC` or `DESC`) of creation.
async fn page_rows(
    state: &AppState,
    viewer: Option<AuthUser>,
    page_ids: &str,
    key: Uuid,
    page: PageRequest,
    order: &str,
) -> ApiResult<Vec<CommentRow>> {
    Ok(sqlx::query_as(&format!(
        "WITH page AS MATERIALIZED ({page_ids} LIMIT $3 OFFSET $4)
         SELECT {COLUMNS} FROM page JOIN comments c ON c.id = page.id
         LEFT JOIN profiles p ON p.user_id = c.author_id
         ORDER BY page.created_at {order}, page.id {order}"
    ))
    .bind(viewer.map(|user| user.id))
    .bind(key)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&state.db)
    .await?)
}
