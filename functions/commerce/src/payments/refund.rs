//! `POST /orders/{id}/refund`: the owner asks for their money back on a paid order. The refund
//! row commits first (its id is Stripe's idempotency key); Stripe is asked after; the
//! `charge.refunded` webhook completes it. Asking again while it is under way asks Stripe again
//! with the same key, which makes no second refund.

use axum::{Extension, Json, extract::State, http::StatusCode};
use cinema_payments::Currency;
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::AuthUser,
    extract::{ApiJson, ApiPath},
    openapi::{JsonBody, ProblemSchema, SignedInOnly},
    outbox, text,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Payments,
    checkout::{status_name, stripe_failed},
    fulfil,
};
use crate::orders::{OrderStatus, not_found};

/// The longest reason a buyer may give.
pub const MAX_REASON_CHARS: usize = 1000;

/// `{reason?}`: why, in the buyer's words (line breaks allowed).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundAnswer {
    pub refund_id: Uuid,
    pub order_id: Uuid,
    /// `requested` until Stripe confirms it (the order then becomes `refunded`); `succeeded`
    /// at once for an order that cost nothing.
    #[schema(example = "requested")]
    pub status: String,
    #[schema(value_type = String, example = "19.98")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub amount: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
}

#[derive(sqlx::FromRow)]
struct RefundRow {
    id: Uuid,
    payment_id: Uuid,
    amount: Decimal,
    stripe_payment_intent: Option<String>,
}

/// Asks for a refund of one of the caller's paid orders; the movies stop being theirs once
/// Stripe has refunded the payment.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/refund",
    tag = "commerce",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    request_body(content = Option<RefundRequest>, description = "Optional: why", content_type = "application/json"),
    responses(
        (status = 202, description = "Refund requested (the webhook completes it)", body = RefundAnswer),
        (status = 404, description = "No such order of the caller's", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "Not a paid order", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "Stripe could not be reached; ask again (no second refund is made)", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
        JsonBody,
    )
)]
pub async fn refund_order(
    State(state): State<AppState>,
    Extension(payments): Extension<Payments>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    body: Option<ApiJson<RefundRequest>>,
) -> ApiResult<(StatusCode, Json<RefundAnswer>)> {
    let request = body.map(|ApiJson(request)| request).unwrap_or_default();
    let reason = match request.reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            text::multiline_text(raw, MAX_REASON_CHARS)
                .map_err(|why| ApiError::invalid("reason", why))?,
        ),
    };
    let mut tx = state.db.begin().await?;
    let order = fulfil::lock_order(&mut tx, id)
        .await?
        .filter(|order| order.user_id == user.id)
        .ok_or_else(not_found)?;
    if order.status != OrderStatus::Paid {
        return Err(ApiError::conflict(format!(
            "only a paid order can be refunded; this one is {}",
            status_name(order.status)
        )));
    }
    let refund: RefundRow = sqlx::query_as(
        "WITH payment AS (
             SELECT id, amount, stripe_payment_intent FROM payments
             WHERE order_id = $1 AND status = 'successful'),
         made AS (
             INSERT INTO refunds (payment_id, amount, reason)
             SELECT id, amount, $2 FROM payment
             ON CONFLICT (payment_id) DO NOTHING RETURNING id, payment_id, amount)
         SELECT r.id, r.payment_id, r.amount, p.stripe_payment_intent
         FROM (SELECT * FROM made UNION ALL
               SELECT r.id, r.payment_id, r.amount FROM refunds r
               JOIN payment ON payment.id = r.payment_id) r
         JOIN payment p ON p.id = r.payment_id
         LIMIT 1",
    )
    .bind(order.id)
    .bind(&reason)
    .fetch_one(&mut *tx)
    .await?;
    let answer = |status: &str| RefundAnswer {
        refund_id: refund.id,
        order_id: order.id,
        status: status.to_owned(),
        amount: refund.amount,
        currency: order.currency.clone(),
    };
    let Some(payment_intent) = refund.stripe_payment_intent.clone() else {
        // Nothing was charged (an order that cost nothing): undone at once.
        let email = fulfil::revoke(&mut tx, &order, refund.payment_id, None).await?;
        let staged = outbox::stage(&mut tx, &email.into_iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        state.relay.after_commit(staged);
        return Ok((StatusCode::ACCEPTED, Json(answer("succeeded"))));
    };
    tx.commit().await?;
    let stripe = payments.stripe()?;
    let currency =
        Currency::new(&order.currency).map_err(|err| ApiError::Internal(anyhow::anyhow!(err)))?;
    let amount = currency
        .to_minor(refund.amount)
        .map_err(|err| ApiError::Internal(anyhow::anyhow!(err)))?;
    let stripe_refund = stripe
        .create_refund(&payment_intent, amount, refund.id)
        .await
        .map_err(stripe_failed)?;
    sqlx::query(
        "UPDATE refunds SET stripe_refund_id = $2 WHERE id = $1 AND stripe_refund_id IS NULL",
    )
    .bind(refund.id)
    .bind(&stripe_refund)
    .execute(&state.db)
    .await?;
    Ok((StatusCode::ACCEPTED, Json(answer("requested"))))
}
