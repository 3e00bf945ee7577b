//! `POST /orders`: the cart's orderable movies become a pending order at today's prices.

use std::sync::LazyLock;

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{self, TokenHolder},
    openapi::{ProblemSchema, SignedInOnly},
};
use serde::Deserialize;
use serde_json::{Map, Value, value::RawValue};

use super::Order;
use crate::exclusion::Excluded;

/// Orders the cart of `$1` in one statement, in the store's currency `$2`: reads each line at
/// today's price with what keeps it out (the cart's own rules), writes the order of the
/// orderable ones (none when nothing is orderable) with its lines, takes them out of the cart,
/// and answers in JSON: how many lines the cart held, how many were orderable and how many the
/// order took, the order as [`Order`] writes it, and what was left out.
const PLACE_ORDER: &str = "WITH line AS MATERIALIZED (
         SELECT ci.movie_id, m.name, m.price, ci.added_at,
                order_exclusion(ci.user_id, ci.movie_id, m.is_available) AS reason
         FROM cart_items ci JOIN movies m ON m.id = ci.movie_id
         WHERE ci.user_id = $1),
     orderable AS MATERIALIZED (
         SELECT movie_id, name, price,
                row_number() OVER (ORDER BY added_at, movie_id) AS position
         FROM line WHERE reason IS NULL),
     excluded AS (
         SELECT coalesce(json_agg(json_build_object('movie_id', movie_id, 'name', name,
                                                    'reason', reason)
                                  ORDER BY added_at, movie_id), '[]') AS list
         FROM line WHERE reason IS NOT NULL),
     made AS (
         INSERT INTO orders (user_id, total, currency)
         SELECT $1, sum(price), $2 FROM orderable HAVING count(*) > 0
         RETURNING id, status, total, currency, created_at),
     taken AS (
         INSERT INTO order_items (order_id, user_id, movie_id, name, price_at_order, position)
         SELECT made.id, $1, o.movie_id, o.name, o.price, o.position FROM made, orderable o
         ON CONFLICT (user_id, movie_id) WHERE active DO NOTHING
         RETURNING movie_id),
     uncarted AS (
         DELETE FROM cart_items WHERE user_id = $1
           AND movie_id IN (SELECT movie_id FROM taken))
     SELECT json_build_object(
         'lines', (SELECT count(*) FROM line),
         'orderable', (SELECT count(*) FROM orderable),
         'taken', (SELECT count(*) FROM taken),
         'order', (SELECT json_build_object('id', made.id, 'status', made.status,
                       'items', (SELECT json_agg(json_build_object('movie_id', o.movie_id,
                                     'name', o.name, 'price_at_order', o.price::text)
                                     ORDER BY o.position) FROM orderable o),
                       'total', made.total::text, 'currency', made.currency,
                       'created_at', api_time(made.created_at),
                       'excluded', excluded.list)
                   FROM made, excluded),
         'excluded', (SELECT list FROM excluded))::text";

/// What [`PLACE_ORDER`] answers.
#[derive(Deserialize)]
struct Placed {
    lines: i64,
    orderable: i64,
    taken: i64,
    order: Option<Box<RawValue>>,
    excluded: Box<RawValue>,
}

/// The 422 of an order with nothing to take, listing what was left out and why (read into
/// [`Excluded`], so a reason the statement writes is one the API documents).
fn nothing_orderable(detail: &str, excluded: &RawValue) -> ApiError {
    let excluded: Vec<Excluded> = match serde_json::from_str(excluded.get()) {
        Ok(excluded) => excluded,
        Err(err) => return ApiError::unreadable_json("order", err),
    };
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
    caller: TokenHolder,
) -> ApiResult<(StatusCode, Json<Box<RawValue>>)> {
    let mut tx = state.db.begin().await?;
    // One order at a time per user: a second request waits here, then (its next statement
    // reading what committed since) sees the first one's order and a cart without its movies.
    // The unique index on live order lines is the guarantee.
    let live: Option<bool> = sqlx::query_scalar(&LOCK_CALLER)
        .bind(caller.user_id)
        .bind(caller.session_id)
        .fetch_optional(&mut *tx)
        .await?;
    if live != Some(true) {
        return Err(auth::session_ended());
    }
    let text: String = sqlx::query_scalar(PLACE_ORDER)
        .bind(caller.user_id)
        .bind(&state.config.currency)
        .fetch_one(&mut *tx)
        .await?;
    let placed: Placed =
        serde_json::from_str(&text).map_err(|err| ApiError::unreadable_json("order", err))?;
    if placed.lines == 0 {
        return Err(nothing_orderable("the cart is empty", &placed.excluded));
    }
    let Some(order) = placed.order else {
        return Err(nothing_orderable(
            "nothing in the cart can be ordered",
            &placed.excluded,
        ));
    };
    if placed.taken != placed.orderable {
        // Only a writer that skipped the lock above could get here: whatever it took stays
        // with it, and this order is refused whole (rolled back) rather than written half.
        return Err(ApiError::conflict(
            "another order took some of these movies just now; look at your orders and try again",
        ));
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// Locks the caller's user row (`$1`) for the rest of the transaction and answers whether the
/// account is active and its session (`$2`) live.
static LOCK_CALLER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM users WHERE id = $1 FOR NO KEY UPDATE",
        auth::live_session("$1", "$2")
    )
});
