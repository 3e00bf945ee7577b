//! The changes a confirmed payment makes, in the transaction of the event that confirmed it,
//! with the order row locked: one statement records the payment and its items, marks the order
//! paid, gives the buyer the movies and takes them out of the cart.

use cinema_shared::{
    email::{Email, EmailMessage, ReceiptLine},
    money,
};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::orders::OrderStatus;

/// An order as a payment event sees it, locked for the rest of the transaction.
#[derive(Debug, sqlx::FromRow)]
pub struct LockedOrder {
    pub id: Uuid,
    pub user_id: Uuid,
    pub status: OrderStatus,
    pub total: Decimal,
    pub currency: String,
    /// The buyer's email, and whether the account can still receive mail.
    pub email: String,
    pub active: bool,
}

/// Locks order `id`; nothing when there is no such order.
pub async fn lock_order(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<LockedOrder>> {
    sqlx::query_as(
        "SELECT o.id, o.user_id, o.status, o.total, o.currency, u.email,
                u.deactivated_at IS NULL AS active
         FROM orders o JOIN users u ON u.id = o.user_id
         WHERE o.id = $1 FOR NO KEY UPDATE OF o",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Where the money came from: Stripe's ids, or nothing for an order that cost nothing.
#[derive(Debug, Default)]
pub struct PaymentSource<'a> {
    pub session_id: Option<&'a str>,
    pub payment_intent: Option<&'a str>,
}

/// What [`fulfil`] came to.
pub enum Fulfilment {
    /// Paid now; the receipt to stage, if the buyer can still receive mail.
    Paid(Option<EmailMessage>),
    /// A payment of this Checkout Session was recorded before (flagged, or by another event
    /// about the same session): nothing changed.
    AlreadyRecorded,
}

/// Records the payment of a pending `order` and fulfils it, unless a payment of the same
/// session is already recorded. That check is part of the statement, which runs with the
/// order locked and so sees whatever a concurrent event about the order committed.
pub async fn fulfil(
    conn: &mut PgConnection,
    order: &LockedOrder,
    source: &PaymentSource<'_>,
) -> sqlx::Result<Fulfilment> {
    let lines: Vec<(String, Decimal)> = sqlx::query_as(
        "WITH payment AS (
             INSERT INTO payments (order_id, user_id, amount, currency, status,
                                   stripe_session_id, stripe_payment_intent)
             SELECT $1, $2, $3, $4, 'successful', $5, $6
             WHERE NOT EXISTS (SELECT 1 FROM payments WHERE stripe_session_id = $5)
             RETURNING id, created_at),
         items AS (
             INSERT INTO payment_items (payment_id, position, movie_id, name, price, paid_at)
             SELECT payment.id, oi.position, oi.movie_id, oi.name, oi.price_at_order,
                    payment.created_at
             FROM payment, order_items oi WHERE oi.order_id = $1
             RETURNING position, movie_id, name, price),
         paid AS (
             UPDATE orders SET status = 'paid', updated_at = now()
             WHERE id = $1 AND EXISTS (SELECT 1 FROM payment)),
         owned AS (
             INSERT INTO purchases (user_id, movie_id, order_id)
             SELECT $2, movie_id, $1 FROM items WHERE movie_id IS NOT NULL
             ON CONFLICT DO NOTHING),
         uncarted AS (
             DELETE FROM cart_items
             WHERE user_id = $2 AND movie_id IN (SELECT movie_id FROM items))
         SELECT name, price FROM items ORDER BY position",
    )
    .bind(order.id)
    .bind(order.user_id)
    .bind(order.total)
    .bind(&order.currency)
    .bind(source.session_id)
    .bind(source.payment_intent)
    .fetch_all(&mut *conn)
    .await?;
    // Every order has lines, so a payment written has items.
    if lines.is_empty() {
        return Ok(Fulfilment::AlreadyRecorded);
    }
    Ok(Fulfilment::Paid(order.active.then(|| {
        EmailMessage::new(
            &order.email,
            Email::PaymentSucceeded {
                order_id: order.id,
                items: lines
                    .into_iter()
                    .map(|(name, price)| ReceiptLine {
                        name,
                        price: money::format(price),
                    })
                    .collect(),
                total: money::format(order.total),
                currency: order.currency.clone(),
            },
        )
    })))
}

/// Records money that arrived for `order` but must not fulfil it, and why; false when a payment
/// of the same session was recorded before (nothing written).
pub async fn flag(
    conn: &mut PgConnection,
    order: &LockedOrder,
    amount: Decimal,
    currency: &str,
    source: &PaymentSource<'_>,
    reason: &str,
) -> sqlx::Result<bool> {
    let written = sqlx::query(
        "INSERT INTO payments (order_id, user_id, amount, currency, status, flag_reason,
                               stripe_session_id, stripe_payment_intent)
         SELECT $1, $2, $3, $4, 'flagged', $5, $6, $7
         WHERE NOT EXISTS (SELECT 1 FROM payments WHERE stripe_session_id = $6)",
    )
    .bind(order.id)
    .bind(order.user_id)
    .bind(amount)
    .bind(currency)
    .bind(reason)
    .bind(source.session_id)
    .bind(source.payment_intent)
    .execute(conn)
    .await?
    .rows_affected()
        > 0;
    if written {
        tracing::error!(order_id = %order.id, reason, "payment flagged for support");
    }
    Ok(written)
}

/// Undoes a paid order after its refund: the payment and order refunded, the movies no longer
/// the buyer's, the refund row completed; returns the email to stage.
pub async fn revoke(
    conn: &mut PgConnection,
    order: &LockedOrder,
    payment_id: Uuid,
    stripe_refund_id: Option<&str>,
) -> sqlx::Result<Option<EmailMessage>> {
    sqlx::query(
        "WITH refunded AS (
             UPDATE payments SET status = 'refunded', updated_at = now() WHERE id = $1),
         items AS (
             UPDATE payment_items SET refunded = true, refunded_at = now()
             WHERE payment_id = $1),
         order_refunded AS (
             UPDATE orders SET status = 'refunded', updated_at = now() WHERE id = $2),
         disowned AS (DELETE FROM purchases WHERE order_id = $2 AND user_id = $3),
         completed AS (
             UPDATE refunds SET status = 'succeeded', completed_at = now(),
                    stripe_refund_id = coalesce(stripe_refund_id, $5)
             WHERE payment_id = $1 RETURNING id)
         -- A refund made outside Cinema (Stripe's dashboard) is recorded all the same.
         INSERT INTO refunds (payment_id, amount, reason, status, stripe_refund_id, completed_at)
         SELECT $1, $4, 'refunded outside Cinema', 'succeeded', $5, now()
         WHERE NOT EXISTS (SELECT 1 FROM completed)",
    )
    .bind(payment_id)
    .bind(order.id)
    .bind(order.user_id)
    .bind(order.total)
    .bind(stripe_refund_id)
    .execute(conn)
    .await?;
    Ok(order.active.then(|| {
        EmailMessage::new(
            &order.email,
            Email::RefundCompleted {
                order_id: order.id,
                total: money::format(order.total),
                currency: order.currency.clone(),
            },
        )
    }))
}
