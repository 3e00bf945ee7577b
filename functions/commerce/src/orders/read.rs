//! `GET /orders`, `GET /orders/{id}` (the caller's own) and `GET /admin/orders` (moderators).

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiResult, AppState,
    auth::{AuthUser, Moderator, TokenHolder},
    extract::{ApiPath, ApiQuery},
    openapi::{ModeratorsOnly, ProblemSchema, SignedInOnly},
    pagination::{Page, PageQuery},
};
use serde::Deserialize;
use serde_json::value::RawValue;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{admin_filter::AdminQuery, own_history};

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
    caller: TokenHolder,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Box<RawValue>>>> {
    let page = query.request()?;
    own_history::page(&state, caller, &own_history::ORDERS, page)
        .await
        .map(Json)
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
    let query = AdminQuery::check(
        filter.user_id,
        filter.email.as_deref(),
        filter.from,
        filter.to,
        filter.page,
        filter.per_page,
    )?;
    let (total, rows): (i64, Vec<OrderRow>) = query
        .run(
            &state.db,
            "orders",
            "order_status",
            "t.id, t.status, t.total, t.currency, t.created_at, u.email",
            filter.status,
        )
        .await?;
    let orders = with_items(&state.db, rows).await?;
    Ok(Json(Page::new(orders, query.page, total)))
}
