//! `GET /orders`, `GET /orders/{id}` (the caller's own) and `GET /admin/orders` (moderators).

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{AuthUser, Moderator},
    extract::{ApiPath, ApiQuery},
    openapi::{ModeratorsOnly, ProblemSchema, SignedInOnly},
    pagination::{Page, PageQuery, PageRequest},
    text,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Order, OrderRow, OrderStatus, not_found, own_order, with_items};

/// The caller's orders, newest first, each with its items.
#[utoipa::path(
    get,
    path = "/api/v1/orders",
    tag = "commerce",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's orders", body = inline(Page<Order>)),
        (status = 422, description = "Bad page (named)", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn list_orders(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Order>>> {
    let page = query.request()?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE user_id = $1")
        .bind(user.id)
        .fetch_one(&state.db)
        .await?;
    let rows: Vec<OrderRow> = sqlx::query_as(
        "SELECT id, status, total, currency, created_at, NULL::text AS email FROM orders
         WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user.id)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&state.db)
    .await?;
    let orders = with_items(&state.db, rows).await?;
    Ok(Json(Page::new(orders, page, total)))
}

/// One of the caller's orders.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "commerce",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 404, description = "No such order of the caller's", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn get_order(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Order>> {
    own_order(&state.db, user.id, id)
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminOrderFilter {
    /// The buyer.
    user_id: Option<Uuid>,
    /// Part of the buyer's email, any case.
    #[param(value_type = Option<cinema_shared::openapi::EmailText>, inline)]
    email: Option<String>,
    #[param(inline)]
    status: Option<OrderStatus>,
    /// Made at or after this instant (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Made before this instant (RFC 3339).
    to: Option<DateTime<Utc>>,
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// Every order, newest first, filtered, each with its buyer's email.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orders",
    tag = "admin",
    security(("bearer" = [])),
    params(AdminOrderFilter),
    responses(
        (status = 200, description = "A page of orders", body = inline(Page<Order>)),
        (status = 422, description = "Bad filter or page (named)", body = ProblemSchema, content_type = "application/problem+json"),
        ModeratorsOnly,
    )
)]
pub async fn admin_orders(
    State(state): State<AppState>,
    _moderator: Moderator,
    ApiQuery(filter): ApiQuery<AdminOrderFilter>,
) -> ApiResult<Json<Page<Order>>> {
    let page = PageRequest::from_query(filter.page, filter.per_page)?;
    let email = match &filter.email {
        Some(raw) => Some(
            text::normalized_email(raw)
                .map_err(|why| ApiError::invalid("email", why))
                .map(|email| like_pattern(&email))?,
        ),
        None => None,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(ApiError::invalid("to", "must be after `from`"));
    }
    const FILTER: &str = "FROM orders o JOIN users u ON u.id = o.user_id
        WHERE ($1::uuid IS NULL OR o.user_id = $1)
          AND ($2::text IS NULL OR u.email LIKE $2)
          AND ($3::order_status IS NULL OR o.status = $3)
          AND ($4::timestamptz IS NULL OR o.created_at >= $4)
          AND ($5::timestamptz IS NULL OR o.created_at < $5)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) {FILTER}"))
        .bind(filter.user_id)
        .bind(&email)
        .bind(filter.status)
        .bind(filter.from)
        .bind(filter.to)
        .fetch_one(&state.db)
        .await?;
    let rows: Vec<OrderRow> = sqlx::query_as(&format!(
        "SELECT o.id, o.status, o.total, o.currency, o.created_at, u.email {FILTER}
         ORDER BY o.created_at DESC, o.id DESC LIMIT $6 OFFSET $7"
    ))
    .bind(filter.user_id)
    .bind(&email)
    .bind(filter.status)
    .bind(filter.from)
    .bind(filter.to)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&state.db)
    .await?;
    let orders = with_items(&state.db, rows).await?;
    Ok(Json(Page::new(orders, page, total)))
}

/// A LIKE pattern that matches `text` literally anywhere.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
