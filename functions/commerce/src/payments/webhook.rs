//! `POST /payments/webhook`: Stripe's events, the only thing that changes payment state.
//!
//! The signature is checked on the raw body before anything reads it. Each event id is written
//! in the transaction of the change it makes, so a redelivery (or five at once: they queue on
//! the id's row) changes nothing, and a delivery that failed halfway is retried whole. A
//! payment takes four round trips: the transaction's start, the event claimed with its order
//! locked, the fulfilment with its receipt and outcome, the commit.

use std::sync::LazyLock;

use axum::{Extension, Json, body::Bytes, extract::State, http::HeaderMap};
use cinema_shared::{ApiError, ApiResult, AppState, openapi::ProblemSchema, outbox};
use secrecy::ExposeSecret;
use serde::Serialize;
use stripe_webhook::{Webhook, WebhookError};
use utoipa::ToSchema;

use super::{
    Payments,
    events::{self, Outcome},
};

/// What Cinema did with an event (Stripe only reads the status).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAnswer {
    pub received: bool,
    /// What the event came to, or that it was handled before.
    pub outcome: String,
}

/// Receives Stripe's events (Stripe signs them; there is no other authentication).
#[utoipa::path(
    post,
    path = "/api/v1/payments/webhook",
    tag = "commerce",
    request_body(content = String, description = "A Stripe event, exactly as Stripe sent it", content_type = "application/json"),
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature of the body")),
    responses(
        (status = 200, description = "Handled, or handled before", body = WebhookAnswer),
        (status = 400, description = "No valid signature (wrong secret, altered body, or older than 5 minutes)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the size limit", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "The event names something not readable yet, or did not parse: Stripe delivers it again", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn receive_event(
    State(state): State<AppState>,
    Extension(payments): Extension<Payments>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookAnswer>> {
    let secret = payments.webhook_secret()?;
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::BadRequest("the Stripe-Signature header is missing".into()))?;
    let payload = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8".into()))?;
    let event = match Webhook::construct_event(payload, signature, secret.expose_secret()) {
        Ok(event) => event,
        // Only an authentic event gets this far: keep it for a person, and have Stripe retry.
        Err(WebhookError::BadParse(error)) => {
            tracing::error!(%error, "an authentic Stripe event did not parse; kept");
            sqlx::query("INSERT INTO stripe_unreadable_events (payload, error) VALUES ($1, $2)")
                .bind(payload)
                .bind(&error)
                .execute(&state.db)
                .await?;
            return Err(ApiError::ServiceUnavailable(
                "the event did not parse; it was kept and will be looked at".into(),
            ));
        }
        Err(error) => {
            tracing::warn!(%error, "a webhook call without a valid Stripe signature");
            return Err(ApiError::BadRequest(format!(
                "the Stripe signature does not verify: {error}"
            )));
        }
    };
    let event_id = event.id.as_str();
    let event_type = event.type_.as_str();
    let mut tx = state.db.begin().await?;
    let (what, staged) =
        match events::handle(&mut tx, event_id, event_type, &event.data.object).await? {
            // Nothing was written: dropping the transaction rolls back nothing.
            Outcome::HandledBefore => {
                return Ok(Json(WebhookAnswer {
                    received: true,
                    outcome: "already handled".into(),
                }));
            }
            Outcome::Retry(why) => {
                tracing::warn!(
                    event_id,
                    event_type,
                    why,
                    "event deferred: Stripe will retry"
                );
                return Err(ApiError::ServiceUnavailable(why));
            }
            Outcome::Recorded { what, staged } => (what, staged),
            Outcome::Done { what, emails } => {
                // The outcome and the emails in one statement: every round trip here is paid by
                // every delivery.
                static RECORD_OUTCOME: LazyLock<String> = LazyLock::new(|| {
                    format!(
                        "WITH outcome AS (UPDATE stripe_events SET outcome = $2 WHERE id = $1), {}
                     SELECT {}",
                        outbox::staged_cte("$3", "true"),
                        outbox::STAGED_IDS
                    )
                });
                let staged_ids: Vec<i64> = sqlx::query_scalar(RECORD_OUTCOME.as_str())
                    .bind(event_id)
                    .bind(&what)
                    .bind(outbox::rows(&emails))
                    .fetch_one(&mut *tx)
                    .await?;
                (what, outbox::Staged::new(staged_ids, &emails))
            }
        };
    tx.commit().await?;
    state.relay.after_commit(staged);
    tracing::info!(event_id, event_type, outcome = %what, "Stripe event handled");
    Ok(Json(WebhookAnswer {
        received: true,
        outcome: what,
    }))
}
