//! The caller's notifications: replies to and likes of their comments, movies taken out of
//! their cart; newest first, with how many are unread.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::AuthUser,
    extract::{ApiPath, ApiQuery},
    openapi::{ProblemSchema, SignedInOnly},
    pagination::{Page, PageRequest},
};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as JsonColumn;
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
pub struct NotificationPage {
    #[serde(flatten)]
    pub page: Page<Notification>,
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

/// What the writers put in a notification's `data`.
#[derive(Deserialize)]
struct Data {
    movie_id: Option<Uuid>,
    movie_name: Option<String>,
    actor_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    kind: String,
    comment_id: Option<Uuid>,
    data: JsonColumn<Data>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for Notification {
    type Error = ApiError;

    fn try_from(row: Row) -> Result<Self, ApiError> {
        let kind = serde_json::from_value(serde_json::Value::String(row.kind))
            .map_err(|err| ApiError::Internal(err.into()))?;
        let JsonColumn(data) = row.data;
        Ok(Self {
            id: row.id,
            kind,
            movie: data
                .movie_id
                .zip(data.movie_name)
                .map(|(id, name)| NotifiedMovie { id, name }),
            comment_id: row.comment_id,
            actor: data.actor_name,
            created_at: row.created_at,
            read_at: row.read_at,
        })
    }
}

/// The caller's notifications, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/users/me/notifications",
    tag = "engagement",
    security(("bearer" = [])),
    params(NotificationsQuery),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPage),
        (status = 422, description = "Bad filter or page (named)", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn list_notifications(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<NotificationsQuery>,
) -> ApiResult<Json<NotificationPage>> {
    let page = PageRequest::from_query(query.page, query.per_page)?;
    let unread_only = query.unread.unwrap_or(false);
    let (total, unread_count): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE NOT $2 OR read_at IS NULL),
                count(*) FILTER (WHERE read_at IS NULL)
         FROM notifications WHERE user_id = $1",
    )
    .bind(user.id)
    .bind(unread_only)
    .fetch_one(&state.db)
    .await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, comment_id, data, created_at, read_at FROM notifications
         WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL)
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
    .bind(user.id)
    .bind(unread_only)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&state.db)
    .await?;
    let items = rows
        .into_iter()
        .map(Notification::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(NotificationPage {
        page: Page::new(items, page, total),
        unread_count,
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
