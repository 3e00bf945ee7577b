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

use super::{Order, OrderRow, with_items};
use crate::{
    cart::CART_ITEMS,
    exclusion::{Excluded, Exclusion},
};

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
    let lines: Vec<Line> = sqlx::query_as(CART_ITEMS)
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
    let order: OrderRow = sqlx::query_as(
        "INSERT INTO orders (user_id, total, currency) VALUES ($1, $2, $3)
         RETURNING id, status, total, currency, created_at, NULL::text AS email",
    )
    .bind(user.id)
    .bind(total)
    .bind(&state.config.currency)
    .fetch_one(&mut *tx)
    .await?;
    let movie_ids: Vec<Uuid> = orderable.iter().map(|line| line.movie_id).collect();
    let names: Vec<&str> = orderable.iter().map(|line| line.name.as_str()).collect();
    let prices: Vec<Decimal> = orderable.iter().map(|line| line.price).collect();
    let ordered: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO order_items (order_id, user_id, movie_id, name, price_at_order, position)
         SELECT $1, $2, line.movie_id, line.name, line.price, line.position
         FROM unnest($3::uuid[], $4::text[], $5::numeric[]) WITH ORDINALITY
              AS line (movie_id, name, price, position)
         ON CONFLICT (user_id, movie_id) WHERE active DO NOTHING
         RETURNING movie_id",
    )
    .bind(order.id)
    .bind(user.id)
    .bind(&movie_ids)
    .bind(&names)
    .bind(&prices)
    .fetch_all(&mut *tx)
    .await?;
    if ordered.len() != movie_ids.len() {
        // Only a writer that skipped the lock above could get here: whatever it took stays
        // with it, and this order is refused whole rather than written half.
        return Err(ApiError::conflict(
            "another order took some of these movies just now; look at your orders and try again",
        ));
    }
    sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND movie_id = ANY($2)")
        .bind(user.id)
        .bind(&movie_ids)
        .execute(&mut *tx)
        .await?;
    let mut made = with_items(&mut *tx, vec![order]).await?;
    tx.commit().await?;
    let mut order = made.pop().expect("the order just made");
    order.excluded = Some(excluded);
    Ok((StatusCode::CREATED, Json(order)))
}
