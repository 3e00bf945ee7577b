//! Orders: made from the cart with each price snapshotted, listed by their owner (and by
//! moderators), canceled while pending.

pub mod cancel;
pub mod create;
pub mod read;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cinema_shared::ApiResult;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::exclusion::Excluded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[sqlx(type_name = "order_status", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
    Canceled,
    Refunded,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct OrderItem {
    /// Null once the movie was deleted from the catalog; the line stays as sold.
    pub movie_id: Option<Uuid>,
    pub name: String,
    #[schema(value_type = String, example = "9.99")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub price_at_order: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Order {
    pub id: Uuid,
    pub status: OrderStatus,
    pub items: Vec<OrderItem>,
    #[schema(value_type = String, example = "19.98")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub total: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
    pub created_at: DateTime<Utc>,
    /// The buyer's email: in moderators' lists only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What the cart held that this order left out: in the answer that made it only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Vec<Excluded>>,
}

#[derive(sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub status: OrderStatus,
    pub total: Decimal,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub email: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    order_id: Uuid,
    #[sqlx(flatten)]
    item: OrderItem,
}

/// The orders of `rows` with their items, in the rows' order: one statement for all items.
pub async fn with_items(db: impl PgExecutor<'_>, rows: Vec<OrderRow>) -> ApiResult<Vec<Order>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let items: Vec<ItemRow> = sqlx::query_as(
        "SELECT order_id, movie_id, name, price_at_order FROM order_items
         WHERE order_id = ANY($1) ORDER BY order_id, position",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    let mut by_order: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
    for row in items {
        by_order.entry(row.order_id).or_default().push(row.item);
    }
    Ok(rows
        .into_iter()
        .map(|row| Order {
            items: by_order.remove(&row.id).unwrap_or_default(),
            id: row.id,
            status: row.status,
            total: row.total,
            currency: row.currency,
            created_at: row.created_at,
            email: row.email,
            excluded: None,
        })
        .collect())
}

/// The caller's order `id`, or nothing (someone else's is nothing too).
pub async fn own_order(
    db: impl PgExecutor<'_> + Copy,
    user_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<Order>> {
    let row: Option<OrderRow> = sqlx::query_as(
        "SELECT id, status, total, currency, created_at, NULL::text AS email FROM orders
         WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    match row {
        Some(row) => Ok(with_items(db, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

pub fn not_found() -> cinema_shared::ApiError {
    cinema_shared::ApiError::NotFound("no such order".into())
}
