//! `GET /payments` (the caller's own) and `GET /admin/payments` (moderators): what was paid,
//! when, for which order and movies, and what became of it.

use std::collections::HashMap;

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiResult, AppState,
    auth::{Moderator, TokenHolder},
    extract::ApiQuery,
    openapi::{ModeratorsOnly, ProblemSchema, SignedInOnly},
    pagination::{Page, PageQuery},
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use sqlx::PgPool;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Payment, PaymentItem, PaymentStatus};
use crate::{admin_filter::AdminQuery, own_history};

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: Uuid,
    order_id: Uuid,
    status: PaymentStatus,
    amount: Decimal,
    currency: String,
    created_at: DateTime<Utc>,
    email: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    payment_id: Uuid,
    #[sqlx(flatten)]
    item: PaymentItem,
}

/// The payments of `rows` with their items, in the rows' order: one statement for all items.
async fn with_items(db: &PgPool, rows: Vec<PaymentRow>) -> ApiResult<Vec<Payment>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let items: Vec<ItemRow> = sqlx::query_as(
        "SELECT payment_id, movie_id, name, price FROM payment_items
         WHERE payment_id = ANY($1) ORDER BY payment_id, position",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    let mut by_payment: HashMap<Uuid, Vec<PaymentItem>> = HashMap::new();
    for row in items {
        by_payment.entry(row.payment_id).or_default().push(row.item);
    }
    Ok(rows
        .into_iter()
        .map(|row| Payment {
            items: by_payment.remove(&row.id).unwrap_or_default(),
            id: row.id,
            order_id: row.order_id,
            status: row.status,
            amount: row.amount,
            currency: row.currency,
            created_at: row.created_at,
            email: row.email,
        })
        .collect())
}

/// The caller's payments, newest first, each with the movies it paid for.
#[utoipa::path(
    get,
    path = "/api/v1/payments",
    tag = "commerce",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's payments", body = inline(Page<Payment>)),
        (status = 422, description = "Bad page (named)", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn list_payments(
    State(state): State<AppState>,
    caller: TokenHolder,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Box<RawValue>>>> {
    let page = query.request()?;
    own_history::page(&state, caller, &own_history::PAYMENTS, page)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminPaymentFilter {
    /// The buyer.
    user_id: Option<Uuid>,
    /// Part of the buyer's email, any case.
    #[param(value_type = Option<cinema_shared::openapi::EmailText>, inline)]
    email: Option<String>,
    #[param(inline)]
    status: Option<PaymentStatus>,
    /// Paid at or after this instant (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Paid before this instant (RFC 3339).
    to: Option<DateTime<Utc>>,
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// Every payment, newest first, filtered, each with its buyer's email.
#[utoipa::path(
    get,
    path = "/api/v1/admin/payments",
    tag = "admin",
    security(("bearer" = [])),
    params(AdminPaymentFilter),
    responses(
        (status = 200, description = "A page of payments", body = inline(Page<Payment>)),
        (status = 422, description = "Bad filter or page (named)", body = ProblemSchema, content_type = "application/problem+json"),
        ModeratorsOnly,
    )
)]
pub async fn admin_payments(
    State(state): State<AppState>,
    _moderator: Moderator,
    ApiQuery(filter): ApiQuery<AdminPaymentFilter>,
) -> ApiResult<Json<Page<Payment>>> {
    let query = AdminQuery::check(
        filter.user_id,
        filter.email.as_deref(),
        filter.from,
        filter.to,
        filter.page,
        filter.per_page,
    )?;
    let (total, rows): (i64, Vec<PaymentRow>) = query
        .run(
            &state.db,
            "payments",
            "payment_status",
            "t.id, t.order_id, t.status, t.amount, t.currency, t.created_at, u.email",
            filter.status,
        )
        .await?;
    let payments = with_items(&state.db, rows).await?;
    Ok(Json(Page::new(payments, query.page, total)))
}
