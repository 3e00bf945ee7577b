//! `POST /orders`: the cart's orderable movies become a pending order at today's prices.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::AuthUser,
    openapi::{ProblemSchema, SignedInOnly},
};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Order, OrderItem, OrderRow};
use crate::exclusion::{Excluded, Exclusion};

/// The cart's movies at today's prices, with what keeps each from an order (`$1` the owner):
/// the cart's own rules, without what only a page of the cart shows.
const ORDER_LINES: &str = "SELECT ci.movie_id, m.name, m.price,
        order_exclusion(ci.user_id, ci.movie_id, m.is_available) AS excluded_reason
    FROM cart_items ci JOIN movies m ON m.id = ci.movie_id
    WHERE ci.user_id = $1
    ORDER BY ci.added_at, ci.movie_id";

#[derive(sqlx::FromRow)]
struct OrderedRow {
    #[sqlx(flatten)]
    order: OrderRow,
    ordered: i64,
}

#[derive(sqlx::FromRow)]
struct Line {
    movie_id: Uuid,
    name: String,
    price: Decimal,
    excluded_reason: Option<String>,
}

fn nothing_orderable(detail: &str, excluded: &[Excluded]) -> ApiError {
    let mut extra = Map::new();
    extra.insert(
        "excluded".into(),
        serde_json::to_value(excluded).unwrap_or(Value::Null),
    );
    ApiError::Unprocessable {
        detail: detail.to_owned(),
        extra,
    }
}

/// Orders the cart: leaves out (and reports) the movies the caller owns, those not for sale
/// and those another pending order holds; snapshots each price; the ordered movies leave the
/// cart, the others stay.
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    tag = "commerce",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "A pending order, with what it left out", body = Order),
        (status = 422, description = "The cart is empty or holds nothing orderable (`excluded` lists why)", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn create_order(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<(StatusCode, Json<Order>)> {
    let mut tx = state.db.begin().await?;
    // One order at a time per user: a second request waits here, then sees the first one's
    // order (and a cart without its movies). The unique index below is the guarantee.
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let lines: Vec<Line> = sqlx::query_as(ORDER_LINES)
        .bind(user.id)
        .fetch_all(&mut *tx)
        .await?;
    if lines.is_empty() {
        return Err(nothing_orderable("the cart is empty", &[]));
    }
    let mut excluded = Vec::new();
    let mut orderable = Vec::new();
    for line in lines {
        match line
            .excluded_reason
            .as_deref()
            .and_then(Exclusion::from_code)
        {
            Some(reason) => excluded.push(Excluded {
                movie_id: line.movie_id,
                name: line.name,
                reason,
            }),
            None => orderable.push(line),
        }
    }
    if orderable.is_empty() {
        return Err(nothing_orderable(
            "nothing in the cart can be ordered",
            &excluded,
        ));
    }
    let total: Decimal = orderable.iter().map(|line| line.price).sum();
    let movie_ids: Vec<Uuid> = orderable.iter().map(|line| line.movie_id).collect();
    let names: Vec<&str> = orderable.iter().map(|line| line.name.as_str()).collect();
    let prices: Vec<Decimal> = orderable.iter().map(|line| line.price).collect();
    // The order, its lines and the cart's cleanup in one round trip.
    let (order, ordered): (OrderRow, i64) = sqlx::query_as(
        "WITH made AS (
             INSERT INTO orders (user_id, total, currency) VALUES ($1, $2, $3)
             RETURNING id, status, total, currency, created_at),
         lines AS (
             INSERT INTO order_items (order_id, user_id, movie_id, name, price_at_order,
                                      position)
             SELECT made.id, $1, line.movie_id, line.name, line.price, line.position
             FROM made, unnest($4::uuid[], $5::text[], $6::numeric[]) WITH ORDINALITY
                  AS line (movie_id, name, price, position)
             ON CONFLICT (user_id, movie_id) WHERE active DO NOTHING
             RETURNING movie_id),
         taken AS (
             DELETE FROM cart_items WHERE user_id = $1
               AND movie_id IN (SELECT movie_id FROM lines))
         SELECT made.id, made.status, made.total, made.currency, made.created_at,
                NULL::text AS email, (SELECT count(*) FROM lines) AS ordered
         FROM made",
    )
    .bind(user.id)
    .bind(total)
    .bind(&state.config.currency)
    .bind(&movie_ids)
    .bind(&names)
    .bind(&prices)
    .fetch_one(&mut *tx)
    .await
    .map(|row: OrderedRow| (row.order, row.ordered))?;
    if ordered != movie_ids.len() as i64 {
        // Only a writer that skipped the lock above could get here: whatever it took stays
        // with it, and this order is refused whole rather than written half.
        return Err(ApiError::conflict(
            "another order took some of these movies just now; look at your orders and try again",
        ));
    }
    tx.commit().await?;
    let order = Order {
        id: order.id,
        status: order.status,
        items: orderable
            .into_iter()
            .map(|line| OrderItem {
                movie_id: Some(line.movie_id),
                name: line.name,
                price_at_order: line.price,
            })
            .collect(),
        total: order.total,
        currency: order.currency,
        created_at: order.created_at,
        email: None,
        excluded: Some(excluded),
    };
    Ok((StatusCode::CREATED, Json(order)))
}
