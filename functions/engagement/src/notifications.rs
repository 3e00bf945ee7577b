//! The caller's notifications: replies to and likes of their comments, movies taken out of
//! their cart; newest first, with how many are unread.

use std::sync::LazyLock;

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{self, AuthUser, TokenHolder},
    extract::{ApiPath, ApiQuery},
    openapi::{ProblemSchema, SignedInOnly},
    pagination::{Page, PageRequest},
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    CommentReply,
    CommentLiked,
    MovieRemovedFromCart,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotifiedMovie {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub kind: NotificationKind,
    /// The movie it is about (as it was named then).
    pub movie: Option<NotifiedMovie>,
    /// The reply, or the liked comment.
    pub comment_id: Option<Uuid>,
    /// Who did it, as they are shown to others.
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of notifications and how many of all the caller's are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage<T> {
    #[serde(flatten)]
    pub page: Page<T>,
    pub unread_count: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// Only the unread ones.
    unread: Option<bool>,
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// What the list's statement returns.
#[derive(Deserialize)]
struct Listed {
    /// Whether the caller's account is active and session live.
    caller: bool,
    total: i64,
    unread_count: i64,
    items: Vec<Box<RawValue>>,
}

/// The list's statement over `$1`/`$2` (the caller's account and session) and `$3`/`$4` (limit
/// and offset): checks the caller, reads the counts the triggers keep, and writes the page as
/// JSON text, each item a [`Notification`]. The unread list is a statement of its own so it walks the partial index of
/// the unread.
pub fn list_sql(unread_only: bool) -> String {
    let unread = if unread_only {
        "AND read_at IS NULL"
    } else {
        ""
    };
    let total = if unread_only { "unread" } else { "all_count" };
    format!(
        "WITH page AS MATERIALIZED (
            SELECT id, kind, comment_id, data, created_at, read_at FROM notifications
            WHERE user_id = $1 {unread} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4),
         counts AS (SELECT coalesce(sum(total), 0) AS all_count,
                           coalesce(sum(unread), 0) AS unread
                    FROM notification_counts WHERE user_id = $1)
         SELECT json_build_object('caller', {caller},
             'total', (SELECT {total} FROM counts),
             'unread_count', (SELECT unread FROM counts),
             'items', coalesce((SELECT json_agg(json_build_object(
                     'id', id, 'kind', kind,
                     'movie', CASE WHEN data->>'movie_id' IS NOT NULL
                                    AND data->>'movie_name' IS NOT NULL
                         THEN json_build_object('id', data->>'movie_id',
                                                'name', data->>'movie_name') END,
                     'comment_id', comment_id, 'actor', data->>'actor_name',
                     'created_at', api_time(created_at), 'read_at', api_time(read_at))
                 ORDER BY created_at DESC, id DESC) FROM page), '[]'))::text",
        caller = auth::live_session("$1", "$2"),
    )
}

/// The list's statements (all, unread only), written once per process.
static STATEMENTS: LazyLock<[String; 2]> = LazyLock::new(|| [list_sql(false), list_sql(true)]);

/// The caller's notifications, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/users/me/notifications",
    tag = "engagement",
    security(("bearer" = [])),
    params(NotificationsQuery),
    responses(
        (status = 200, description = "A page of notifications", body = inline(NotificationPage<Notification>)),
        (status = 422, description = "Bad filter or page (named)", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn list_notifications(
    State(state): State<AppState>,
    caller: TokenHolder,
    ApiQuery(query): ApiQuery<NotificationsQuery>,
) -> ApiResult<Json<NotificationPage<Box<RawValue>>>> {
    let page = PageRequest::from_query(query.page, query.per_page)?;
    let sql = &STATEMENTS[usize::from(query.unread.unwrap_or(false))];
    let text: String = state
        .reads
        .fetch_optional(
            sqlx::query_scalar(sql)
                .bind(caller.user_id)
                .bind(caller.session_id)
                .bind(page.limit())
                .bind(page.offset()),
        )
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let listed: Listed = serde_json::from_str(&text)
        .map_err(|err| ApiError::unreadable_json("notifications", err))?;
    if !listed.caller {
        return Err(auth::session_ended());
    }
    Ok(Json(NotificationPage {
        page: Page::new(listed.items, page, listed.total),
        unread_count: listed.unread_count,
    }))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(
    post,
    path = "/api/v1/users/me/notifications/{id}/read",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The notification's id")),
    responses(
        (status = 204, description = "Read"),
        (status = 404, description = "No such notification of the caller's", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let updated = sqlx::query(
        "UPDATE notifications SET read_at = coalesce(read_at, now())
         WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user.id)
    .execute(&state.db)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ApiError::NotFound("no such notification".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Marks every notification of the caller read.
#[utoipa::path(
    post,
    path = "/api/v1/users/me/notifications/read-all",
    tag = "engagement",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "All read"),
        SignedInOnly,
    )
)]
pub async fn mark_all_read(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    sqlx::query("UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL")
        .bind(user.id)
        .execute(&state.db)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
