//! `POST /orders/{id}/cancel`: a pending order can be canceled by its owner; a paid one only
//! through a refund.

use axum::{Extension, Json, extract::State};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::AuthUser,
    extract::ApiPath,
    openapi::{ProblemSchema, SignedInOnly},
};
use uuid::Uuid;

use super::{Order, OrderStatus, not_found, own_order};
use crate::payments::Payments;

/// Cancels one of the caller's pending orders; its movies can be ordered again.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/cancel",
    tag = "commerce",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "Canceled", body = Order),
        (status = 404, description = "No such order of the caller's", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "Not pending: a paid order is undone by a refund", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn cancel_order(
    State(state): State<AppState>,
    Extension(payments): Extension<Payments>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Order>> {
    // Conditional: a payment landing at the same moment makes this a no-op, never a canceled
    // paid order. The outer select reads the status as it was before this statement.
    let outcome: Option<(OrderStatus, bool)> = sqlx::query_as(
        "WITH canceled AS (
             UPDATE orders SET status = 'canceled', updated_at = now()
             WHERE id = $1 AND user_id = $2 AND status = 'pending' RETURNING id)
         SELECT status, EXISTS (SELECT 1 FROM canceled) FROM orders
         WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    match outcome.ok_or_else(not_found)? {
        (_, true) => {}
        (OrderStatus::Paid | OrderStatus::Refunded, false) => {
            return Err(ApiError::conflict(
                "this order is paid: request a refund instead of canceling it",
            ));
        }
        (OrderStatus::Canceled, false) => {
            return Err(ApiError::conflict("this order is already canceled"));
        }
        (OrderStatus::Pending, false) => {
            return Err(ApiError::conflict(
                "this order changed just now; look at it again",
            ));
        }
    }
    payments.expire_sessions_of(&state.db, id).await;
    own_order(&state.db, user.id, id)
        .await?
        .map(Json)
        .ok_or_else(not_found)
}
