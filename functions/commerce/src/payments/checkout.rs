//! `POST /orders/{id}/checkout`: a Stripe Checkout Session for a pending order, at today's
//! prices.
//!
//! Under the order's row lock the prices are re-read (a change updates the order first) and
//! the session's parameters are saved with their idempotency key (per order and total); the
//! call to Stripe runs after commit. Fifty calls at once all send the same key with the same
//! parameters, so Stripe makes one session and answers it to each.

use std::time::Duration;

use axum::{Extension, Json, extract::State};
use chrono::{DateTime, Utc};
use cinema_payments::{CheckoutLine, CheckoutRequest, Currency, PaymentsError};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::AuthUser,
    extract::ApiPath,
    openapi::{ProblemSchema, SignedInOnly},
    outbox,
};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, json};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Payments,
    fulfil::{self, Fulfilment, LockedOrder, OrderLine, PaymentSource},
};
use crate::orders::{OrderStatus, not_found};

/// Where to send the buyer, or that nothing was left to pay.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutAnswer {
    /// Stripe's payment page for this order; null when the order cost nothing and is paid.
    pub checkout_url: Option<String>,
    pub session_id: Option<String>,
    /// When the payment page stops taking payments.
    pub expires_at: Option<DateTime<Utc>>,
    /// The order's status after this call: `pending` until Stripe confirms the payment.
    pub status: OrderStatus,
    #[schema(value_type = String, example = "19.98")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub total: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
    /// Whether a price changed since the order was made (the order now has today's prices).
    pub price_changed: bool,
    /// The total before the change, when a price changed.
    #[schema(value_type = Option<String>, example = "21.98")]
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "cinema_shared::money::optional_two_places"
    )]
    pub old_total: Option<Decimal>,
}

/// A session shorter-lived than this is not handed out again: the buyer would not finish.
const REUSE_MARGIN: Duration = Duration::from_secs(5 * 60);

#[derive(sqlx::FromRow)]
struct Line {
    position: i16,
    movie_id: Option<Uuid>,
    name: String,
    price_at_order: Decimal,
    /// Today's price; null once the movie left the catalog.
    price: Option<Decimal>,
    is_available: Option<bool>,
    owned: bool,
}

#[derive(sqlx::FromRow)]
struct SavedCheckout {
    idempotency_key: String,
    expires_at: DateTime<Utc>,
    session_id: Option<String>,
    checkout_url: Option<String>,
}

/// Starts (or resumes) paying for one of the caller's pending orders.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/checkout",
    tag = "commerce",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "The payment page (the same one while it is open), or the order paid at once when it cost nothing", body = CheckoutAnswer),
        (status = 404, description = "No such order of the caller's", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "Not pending, or a movie of it is no longer for sale or already owned (named)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "Stripe could not be reached; try again (the same session comes back)", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn checkout(
    State(state): State<AppState>,
    Extension(payments): Extension<Payments>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<CheckoutAnswer>> {
    let mut tx = state.db.begin().await?;
    let order = fulfil::lock_order(&mut tx, id)
        .await?
        .filter(|order| order.user_id == user.id)
        .ok_or_else(not_found)?;
    if order.status != OrderStatus::Pending {
        return Err(ApiError::conflict(format!(
            "only a pending order can be paid; this one is {}",
            status_name(order.status)
        )));
    }
    let (order, old_total, priced) = reprice(&mut tx, order).await?;
    let currency = Currency::new(&order.currency).map_err(internal)?;
    if order.total.is_zero() {
        let source = PaymentSource::default();
        let staged = match fulfil::fulfil(&mut tx, &order, &priced, &source, None).await? {
            Fulfilment::Paid(staged) => staged,
            // Without a session there is no earlier payment of it to find.
            Fulfilment::AlreadyRecorded => outbox::Staged::default(),
        };
        tx.commit().await?;
        state.relay.after_commit(staged);
        return Ok(Json(answer(&order, None, OrderStatus::Paid, old_total)));
    }
    let stripe = payments.stripe()?;
    let amount = currency.to_minor(order.total).map_err(internal)?;
    let key = format!("order-{}-total-{}", order.id, amount.0);
    let lifetime = chrono::Duration::from_std(payments.session_lifetime).map_err(internal)?;
    let saved: SavedCheckout = sqlx::query_as(
        "WITH made AS (
             INSERT INTO checkouts (idempotency_key, order_id, total, currency, expires_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING idempotency_key, expires_at, session_id, checkout_url)
         SELECT * FROM made
         UNION ALL
         SELECT idempotency_key, expires_at, session_id, checkout_url FROM checkouts
         WHERE idempotency_key = $1",
    )
    .bind(&key)
    .bind(order.id)
    .bind(order.total)
    .bind(&order.currency)
    .bind(Utc::now() + lifetime)
    .fetch_one(&mut *tx)
    .await?;
    let lines = priced
        .into_iter()
        .map(|line| {
            Ok(CheckoutLine {
                name: line.name,
                amount: currency.to_minor(line.price).map_err(internal)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    // Sessions of this order at another total (before a price change) must not be paid now.
    let superseded: Vec<String> = sqlx::query_scalar(
        "SELECT session_id FROM checkouts
         WHERE order_id = $1 AND idempotency_key <> $2 AND session_id IS NOT NULL",
    )
    .bind(order.id)
    .bind(&key)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    if let (Some(session_id), Some(url)) = (&saved.session_id, &saved.checkout_url) {
        if saved.expires_at > Utc::now() + REUSE_MARGIN {
            let session = Some((session_id.clone(), url.clone(), saved.expires_at));
            return Ok(Json(answer(
                &order,
                session,
                OrderStatus::Pending,
                old_total,
            )));
        }
        return Err(ApiError::conflict(
            "this order's payment page has expired; cancel the order and order again",
        ));
    }
    for session_id in superseded {
        if let Err(err) = stripe.expire_checkout_session(&session_id).await {
            tracing::warn!(error = %err, session_id, "an older session of the order stays open");
        }
    }
    let frontend = state.config.frontend_url.trim_end_matches('/');
    let request = CheckoutRequest {
        idempotency_key: saved.idempotency_key.clone(),
        order_id: order.id,
        lines,
        currency,
        expires_at: saved.expires_at.timestamp(),
        customer_email: order.email.clone(),
        success_url: format!(
            "{frontend}/orders/{}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
            order.id
        ),
        cancel_url: format!("{frontend}/orders/{}?checkout=canceled", order.id),
    };
    let session = stripe
        .create_checkout_session(&request)
        .await
        .map_err(stripe_failed)?;
    let expires_at = DateTime::from_timestamp(session.expires_at, 0).unwrap_or(saved.expires_at);
    sqlx::query(
        "UPDATE checkouts SET session_id = $2, checkout_url = $3 WHERE idempotency_key = $1",
    )
    .bind(&saved.idempotency_key)
    .bind(&session.id)
    .bind(&session.url)
    .execute(&state.db)
    .await?;
    let session = Some((session.id, session.url, expires_at));
    Ok(Json(answer(
        &order,
        session,
        OrderStatus::Pending,
        old_total,
    )))
}

/// Re-reads each line's movie: refuses an order holding a movie no longer for sale or owned
/// since, and moves changed prices into the order. Returns the order as it now is, and its
/// old total when a price changed.
async fn reprice(
    conn: &mut PgConnection,
    mut order: LockedOrder,
) -> ApiResult<(LockedOrder, Option<Decimal>, Vec<OrderLine>)> {
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT oi.position, oi.movie_id, oi.name, oi.price_at_order, m.price, m.is_available,
                EXISTS (SELECT 1 FROM purchases p
                        WHERE p.user_id = oi.user_id AND p.movie_id = oi.movie_id) AS owned
         FROM order_items oi LEFT JOIN movies m ON m.id = oi.movie_id
         WHERE oi.order_id = $1 ORDER BY oi.position",
    )
    .bind(order.id)
    .fetch_all(&mut *conn)
    .await?;
    for line in &lines {
        if line.owned {
            return Err(refused(line, "you own it already"));
        }
        if line.is_available != Some(true) {
            return Err(refused(line, "it is no longer for sale"));
        }
    }
    let changed: Vec<(i16, Decimal)> = lines
        .iter()
        .filter_map(|line| {
            let price = line.price?;
            (price != line.price_at_order).then_some((line.position, price))
        })
        .collect();
    // The lines at the prices the order now has: what the payment page shows.
    let priced: Vec<OrderLine> = lines
        .iter()
        .map(|line| OrderLine {
            name: line.name.clone(),
            price: line.price.unwrap_or(line.price_at_order),
        })
        .collect();
    if changed.is_empty() {
        return Ok((order, None, priced));
    }
    let (positions, prices): (Vec<i16>, Vec<Decimal>) = changed.into_iter().unzip();
    let new_total: Decimal = sqlx::query_scalar(
        "WITH repriced AS (
             UPDATE order_items oi SET price_at_order = change.price
             FROM unnest($2::smallint[], $3::numeric[]) AS change (position, price)
             WHERE oi.order_id = $1 AND oi.position = change.position)
         UPDATE orders SET total = (
             SELECT sum(coalesce(change.price, oi.price_at_order)) FROM order_items oi
             LEFT JOIN unnest($2::smallint[], $3::numeric[]) AS change (position, price)
                  ON change.position = oi.position
             WHERE oi.order_id = $1), updated_at = now()
         WHERE id = $1 RETURNING total",
    )
    .bind(order.id)
    .bind(&positions)
    .bind(&prices)
    .fetch_one(&mut *conn)
    .await?;
    let old_total = std::mem::replace(&mut order.total, new_total);
    Ok((order, Some(old_total), priced))
}

fn refused(line: &Line, why: &str) -> ApiError {
    let mut extra = Map::new();
    extra.insert(
        "movie".into(),
        json!({"movie_id": line.movie_id, "name": line.name}),
    );
    ApiError::Conflict {
        detail: format!(
            "\"{}\" cannot be bought in this order: {why}; cancel the order and order again",
            line.name
        ),
        extra,
    }
}

fn answer(
    order: &LockedOrder,
    session: Option<(String, String, DateTime<Utc>)>,
    status: OrderStatus,
    old_total: Option<Decimal>,
) -> CheckoutAnswer {
    let (session_id, checkout_url, expires_at) = match session {
        Some((id, url, expires_at)) => (Some(id), Some(url), Some(expires_at)),
        None => (None, None, None),
    };
    CheckoutAnswer {
        checkout_url,
        session_id,
        expires_at,
        status,
        total: order.total,
        currency: order.currency.clone(),
        price_changed: old_total.is_some(),
        old_total,
    }
}

pub fn status_name(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "pending",
        OrderStatus::Paid => "paid",
        OrderStatus::Canceled => "canceled",
        OrderStatus::Refunded => "refunded",
    }
}

pub fn stripe_failed(error: PaymentsError) -> ApiError {
    match error {
        PaymentsError::Unavailable(why) => {
            tracing::warn!(why, "Stripe unavailable");
            ApiError::ServiceUnavailable(
                "the payment provider did not answer; try again in a moment".into(),
            )
        }
        other => ApiError::Internal(anyhow::anyhow!(other)),
    }
}

fn internal(error: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("{error}"))
}
