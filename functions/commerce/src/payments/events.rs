//! What each Stripe event does, in the transaction that records it as handled. The event is
//! claimed (its id written) with the order it names locked, in one statement; every handler
//! changes state only conditionally, so the same event (or two events about one order)
//! delivered at once cannot fulfil twice.

use cinema_payments::{CHECKOUT_KEY, Currency, MinorUnits, ORDER_ID_KEY};
use cinema_shared::{
    email::{Email, EmailMessage},
    outbox::Staged,
};
use sqlx::PgConnection;
use stripe_shared::{Charge, CheckoutSession, CheckoutSessionPaymentStatus, PaymentIntent};
use stripe_webhook::EventObject;
use uuid::Uuid;

use super::fulfil::{self, Claim, Fulfilment, LockedOrder, PaymentSource};
use crate::orders::OrderStatus;

/// What handling an event came to.
pub enum Outcome {
    /// Handled by an earlier delivery: nothing was written.
    HandledBefore,
    /// Handled (or deliberately left alone), with what it did and the emails to stage with its
    /// outcome.
    Done {
        what: String,
        emails: Vec<EmailMessage>,
    },
    /// Handled, its outcome recorded and its emails staged already (by the fulfilment).
    Recorded { what: String, staged: Staged },
    /// It names a row of ours that is not readable yet: roll back and answer 5xx, so Stripe
    /// delivers it again.
    Retry(String),
}

fn done(what: impl Into<String>) -> Outcome {
    Outcome::Done {
        what: what.into(),
        emails: Vec::new(),
    }
}

fn done_with(what: impl Into<String>, email: Option<EmailMessage>) -> Outcome {
    Outcome::Done {
        what: what.into(),
        emails: email.into_iter().collect(),
    }
}

/// Claims event `event_id` and does what it asks.
pub async fn handle(
    conn: &mut PgConnection,
    event_id: &str,
    event_type: &str,
    object: &EventObject,
) -> sqlx::Result<Outcome> {
    // The order the event names by itself, locked by the claim; a refund names a payment.
    let named = match object {
        EventObject::CheckoutSessionCompleted(session)
        | EventObject::CheckoutSessionAsyncPaymentSucceeded(session)
        | EventObject::CheckoutSessionExpired(session)
        | EventObject::CheckoutSessionAsyncPaymentFailed(session) => session_order(session),
        EventObject::PaymentIntentPaymentFailed(intent) => intent_order(intent),
        _ => None,
    };
    let locked = match fulfil::claim_event(conn, event_id, event_type, named).await? {
        Claim::HandledBefore => return Ok(Outcome::HandledBefore),
        Claim::First(locked) => locked,
    };
    let order = || order_named(named, locked);
    match object {
        EventObject::CheckoutSessionCompleted(session)
        | EventObject::CheckoutSessionAsyncPaymentSucceeded(session) => {
            completed(conn, event_id, order(), session).await
        }
        EventObject::CheckoutSessionExpired(session) => expired(conn, order(), session).await,
        EventObject::CheckoutSessionAsyncPaymentFailed(_) => Ok(failed(order(), None)),
        EventObject::PaymentIntentPaymentFailed(intent) => {
            let reason = intent
                .last_payment_error
                .as_ref()
                .and_then(|error| error.message.clone());
            Ok(failed(order(), reason))
        }
        EventObject::ChargeRefunded(charge) => refunded(conn, charge).await,
        _ => Ok(done("ignored: not an event Cinema acts on")),
    }
}

fn session_order(session: &CheckoutSession) -> Option<Uuid> {
    session
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.get(ORDER_ID_KEY))
        .or(session.client_reference_id.as_ref())
        .and_then(|id| id.parse().ok())
}

fn intent_order(intent: &PaymentIntent) -> Option<Uuid> {
    intent
        .metadata
        .get(ORDER_ID_KEY)
        .and_then(|id| id.parse().ok())
}

/// The order an event named, as its claim locked it; or the outcome when there is none to act
/// on.
fn order_named(named: Option<Uuid>, locked: Option<LockedOrder>) -> Result<LockedOrder, Outcome> {
    let Some(order_id) = named else {
        tracing::info!("a Stripe event for no order of Cinema's");
        return Err(done("ignored: names no order of Cinema's"));
    };
    // Orders are never deleted: one we named but cannot read is not committed yet.
    locked.ok_or_else(|| Outcome::Retry(format!("order {order_id} is not readable yet")))
}

/// Locks the order of a payment found by the event (a refund's).
async fn lock_named(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> sqlx::Result<Result<LockedOrder, Outcome>> {
    let locked = fulfil::lock_order(conn, order_id).await?;
    Ok(order_named(Some(order_id), locked))
}

async fn completed(
    conn: &mut PgConnection,
    event_id: &str,
    order: Result<LockedOrder, Outcome>,
    session: &CheckoutSession,
) -> sqlx::Result<Outcome> {
    let order = match order {
        Ok(order) => order,
        Err(outcome) => return Ok(outcome),
    };
    if session.payment_status != CheckoutSessionPaymentStatus::Paid {
        return Ok(done("waiting: the session's payment is not settled yet"));
    }
    let session_id = session.id.as_str();
    // A pending order has no successful payment; whether this session left a flagged one is
    // checked by the statement that would write the next (below). An order that is not
    // pending any more may have been paid by this very session: asked here, with the order
    // locked, so the answer includes what a concurrent event about the order committed.
    if order.status != OrderStatus::Pending {
        let recorded: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM payments WHERE stripe_session_id = $1)",
        )
        .bind(session_id)
        .fetch_one(&mut *conn)
        .await?;
        if recorded {
            return Ok(done(fulfil::ALREADY_RECORDED));
        }
    }
    let payment_intent = session
        .payment_intent
        .as_ref()
        .map(|intent| intent.id().as_str());
    let source = PaymentSource {
        session_id: Some(session_id),
        payment_intent,
    };
    let paid_currency = session
        .currency
        .as_ref()
        .map(|currency| currency.to_string().to_ascii_uppercase())
        .unwrap_or_default();
    let paid = session
        .amount_total
        .map(MinorUnits)
        .unwrap_or(MinorUnits(0));
    let paid_amount = Currency::new(&paid_currency)
        .map(|currency| currency.from_minor(paid))
        .unwrap_or_default();
    let expected = Currency::new(&order.currency).and_then(|c| c.to_minor(order.total));
    let mismatch = if order.status != OrderStatus::Pending {
        Some(format!("paid for an order that was {:?}", order.status).to_lowercase())
    } else if paid_currency != order.currency {
        Some(format!(
            "paid in {paid_currency}, the order is in {}",
            order.currency
        ))
    } else if expected.as_ref().ok() != Some(&paid) {
        Some(format!(
            "paid {paid_amount} {paid_currency}, the order's total is {} {}",
            order.total, order.currency
        ))
    } else {
        None
    };
    if let Some(reason) = mismatch {
        return Ok(
            if fulfil::flag(conn, &order, paid_amount, &paid_currency, &source, &reason).await? {
                done(format!("flagged: {reason}"))
            } else {
                done(fulfil::ALREADY_RECORDED)
            },
        );
    }
    Ok(
        match fulfil::fulfil(conn, &order, &order.lines, &source, Some(event_id)).await? {
            Fulfilment::Paid(staged) => Outcome::Recorded {
                what: fulfil::PAID.into(),
                staged,
            },
            Fulfilment::AlreadyRecorded => Outcome::Recorded {
                what: fulfil::ALREADY_RECORDED.into(),
                staged: Staged::default(),
            },
        },
    )
}

async fn expired(
    conn: &mut PgConnection,
    order: Result<LockedOrder, Outcome>,
    session: &CheckoutSession,
) -> sqlx::Result<Outcome> {
    let order = match order {
        Ok(order) => order,
        Err(outcome) => return Ok(outcome),
    };
    // A price change gives an order a newer session (the older one is expired then): only the
    // order's latest session ending cancels it.
    let latest: Option<String> = sqlx::query_scalar(
        "SELECT idempotency_key FROM checkouts WHERE order_id = $1
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(order.id)
    .fetch_optional(&mut *conn)
    .await?;
    let key = session
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.get(CHECKOUT_KEY));
    if latest.is_some() && key != latest.as_ref() {
        return Ok(done("ignored: a newer session replaced this one"));
    }
    if order.status != OrderStatus::Pending {
        return Ok(done("ignored: the order is no longer pending"));
    }
    sqlx::query(
        "UPDATE orders SET status = 'canceled', updated_at = now()
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(order.id)
    .execute(&mut *conn)
    .await?;
    Ok(done("order canceled: its checkout expired"))
}

fn failed(order: Result<LockedOrder, Outcome>, reason: Option<String>) -> Outcome {
    let order = match order {
        Ok(order) => order,
        Err(outcome) => return outcome,
    };
    if order.status != OrderStatus::Pending {
        return done("ignored: the order is no longer pending");
    }
    let advice = order.active.then(|| {
        EmailMessage::new(
            &order.email,
            Email::PaymentFailed {
                order_id: order.id,
                reason,
            },
        )
    });
    done_with("payment failed: the order stays pending", advice)
}

async fn refunded(conn: &mut PgConnection, charge: &Charge) -> sqlx::Result<Outcome> {
    let Some(intent) = charge.payment_intent.as_ref().map(|i| i.id().as_str()) else {
        return Ok(done("ignored: a charge without a payment intent"));
    };
    let payment: Option<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT id, order_id FROM payments WHERE stripe_payment_intent = $1 AND status <> 'flagged'",
    )
    .bind(intent)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((payment_id, order_id)) = payment else {
        let ours = charge.metadata.contains_key(ORDER_ID_KEY);
        return Ok(if ours {
            Outcome::Retry(format!("no payment recorded yet for {intent}"))
        } else {
            done("ignored: no payment of Cinema's")
        });
    };
    if !charge.refunded {
        tracing::warn!(payment_id = %payment_id, "a partial refund: Cinema refunds whole orders only");
        return Ok(done("noted: a partial refund"));
    }
    let order = match lock_named(conn, order_id).await? {
        Ok(order) => order,
        Err(outcome) => return Ok(outcome),
    };
    if order.status != OrderStatus::Paid {
        return Ok(done("ignored: the order is not paid"));
    }
    let refund_id: Option<String> =
        sqlx::query_scalar("SELECT stripe_refund_id FROM refunds WHERE payment_id = $1")
            .bind(payment_id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
    let email = fulfil::revoke(conn, &order, payment_id, refund_id.as_deref()).await?;
    Ok(done_with("order refunded", email))
}
