//! The changes a confirmed payment makes, in the transaction of the event that confirmed it,
//! with the order row locked: one statement records the payment and its items, marks the order
//! paid, gives the buyer the movies, takes them out of the cart, stages the receipt and records
//! the event's outcome.

use std::sync::LazyLock;

use cinema_shared::{
    email::{Email, EmailMessage, ReceiptLine},
    money, outbox,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::{FromRow, PgConnection, Row, types::Json};
use uuid::Uuid;

use crate::orders::OrderStatus;

/// A line of an order: what its receipt shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrderLine {
    pub name: String,
    pub price: Decimal,
}

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
    /// Its lines in order, at the prices the order had when it was locked.
    pub lines: Json<Vec<OrderLine>>,
}

/// The [`LockedOrder`] columns, for a `WHERE` on `o` and `FOR NO KEY UPDATE OF o`.
const LOCKED_ORDER: &str = "
    SELECT o.id, o.user_id, o.status, o.total, o.currency, u.email,
           u.deactivated_at IS NULL AS active,
           (SELECT coalesce(json_agg(json_build_object('name', oi.name,
                                                       'price', oi.price_at_order::text)
                                     ORDER BY oi.position), '[]')
            FROM order_items oi WHERE oi.order_id = o.id) AS lines
    FROM orders o JOIN users u ON u.id = o.user_id";

/// Locks order `id`; nothing when there is no such order.
pub async fn lock_order(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<LockedOrder>> {
    static LOCK: LazyLock<String> =
        LazyLock::new(|| format!("{LOCKED_ORDER} WHERE o.id = $1 FOR NO KEY UPDATE OF o"));
    sqlx::query_as(LOCK.as_str())
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// What [`claim_event`] came to.
pub enum Claim {
    /// The event was handled before: nothing to do.
    HandledBefore,
    /// This delivery handles it; the order it names, locked, if there is one.
    First(Option<LockedOrder>),
}

/// Records Stripe event `event_id` as being handled and locks the order it names (if any), in
/// one statement. A concurrent delivery of the same id waits here until the first one commits
/// (then it was handled before) or rolls back (then this one handles it).
pub async fn claim_event(
    conn: &mut PgConnection,
    event_id: &str,
    event_type: &str,
    order_id: Option<Uuid>,
) -> sqlx::Result<Claim> {
    static CLAIM: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH event AS (
                 INSERT INTO stripe_events (id, type, outcome) VALUES ($1, $2, '')
                 ON CONFLICT (id) DO NOTHING RETURNING id)
             SELECT EXISTS (SELECT 1 FROM event) AS first, locked.*
             FROM (SELECT) one
             LEFT JOIN LATERAL ({LOCKED_ORDER}
                 WHERE o.id = $3 AND EXISTS (SELECT 1 FROM event)
                 FOR NO KEY UPDATE OF o) locked ON true"
        )
    });
    let row = sqlx::query(CLAIM.as_str())
        .bind(event_id)
        .bind(event_type)
        .bind(order_id)
        .fetch_one(conn)
        .await?;
    if !row.try_get::<bool, _>("first")? {
        return Ok(Claim::HandledBefore);
    }
    let found: Option<Uuid> = row.try_get("id")?;
    Ok(Claim::First(match found {
        Some(_) => Some(LockedOrder::from_row(&row)?),
        None => None,
    }))
}

/// Where the money came from: Stripe's ids, or nothing for an order that cost nothing.
#[derive(Debug, Default)]
pub struct PaymentSource<'a> {
    pub session_id: Option<&'a str>,
    pub payment_intent: Option<&'a str>,
}

/// What [`fulfil`] came to.
pub enum Fulfilment {
    /// Paid now; the receipt staged, if the buyer can still receive mail.
    Paid(outbox::Staged),
    /// A payment of this Checkout Session was recorded before (flagged, or by another event
    /// about the same session): nothing changed.
    AlreadyRecorded,
}

/// What a Stripe event that fulfilled an order records as its outcome.
pub const PAID: &str = "order paid";
/// What it records when a payment of its session was recorded before.
pub const ALREADY_RECORDED: &str = "already recorded";

/// Records the payment of a pending `order` whose `lines` are as given, and fulfils it, unless
/// a payment of the same session is already recorded. That check is part of the statement,
/// which runs with the order locked and so sees whatever a concurrent event about the order
/// committed. The same statement stages the receipt and records the outcome of `event_id` (the
/// Stripe event that confirmed the payment; none for an order that cost nothing).
pub async fn fulfil(
    conn: &mut PgConnection,
    order: &LockedOrder,
    lines: &[OrderLine],
    source: &PaymentSource<'_>,
    event_id: Option<&str>,
) -> sqlx::Result<Fulfilment> {
    static FULFIL: LazyLock<String> = LazyLock::new(|| {
        format!(
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
                 WHERE user_id = $2 AND movie_id IN (SELECT movie_id FROM items)),
             outcome AS (
                 UPDATE stripe_events
                 SET outcome = CASE WHEN EXISTS (SELECT 1 FROM payment) THEN '{PAID}'
                                    ELSE '{ALREADY_RECORDED}' END
                 WHERE id = $7),
             {}
             SELECT EXISTS (SELECT 1 FROM payment) AS paid,
                    (SELECT coalesce(json_agg(json_build_object('name', name,
                                                                'price', price::text)
                                              ORDER BY position), '[]')
                     FROM items) AS lines,
                    {} AS staged_ids",
            outbox::staged_cte("$8", "EXISTS (SELECT 1 FROM payment)"),
            outbox::STAGED_IDS
        )
    });
    let receipts: Vec<EmailMessage> = order
        .active
        .then(|| receipt(order, lines))
        .into_iter()
        .collect();
    let (paid, written, staged_ids): (bool, Json<Vec<OrderLine>>, Vec<i64>) =
        sqlx::query_as(FULFIL.as_str())
            .bind(order.id)
            .bind(order.user_id)
            .bind(order.total)
            .bind(&order.currency)
            .bind(source.session_id)
            .bind(source.payment_intent)
            .bind(event_id)
            .bind(outbox::rows(&receipts))
            .fetch_one(&mut *conn)
            .await?;
    if !paid {
        return Ok(Fulfilment::AlreadyRecorded);
    }
    // The receipt was written from the lines read with the lock; a line repriced by a commit
    // the lock waited for is written anew (rare: the totals then differ, and the payment is
    // flagged before this, unless the new prices add up to the same total).
    if written.0 != lines && !receipts.is_empty() {
        let corrected = vec![receipt(order, &written.0)];
        sqlx::query("UPDATE email_outbox SET message = $2 WHERE id = $1")
            .bind(staged_ids.first().copied())
            .bind(Json(&corrected[0]))
            .execute(&mut *conn)
            .await?;
        return Ok(Fulfilment::Paid(outbox::Staged::new(
            staged_ids, &corrected,
        )));
    }
    Ok(Fulfilment::Paid(outbox::Staged::new(staged_ids, &receipts)))
}

/// The receipt of a paid order with these lines.
fn receipt(order: &LockedOrder, lines: &[OrderLine]) -> EmailMessage {
    EmailMessage::new(
        &order.email,
        Email::PaymentSucceeded {
            order_id: order.id,
            items: lines
                .iter()
                .map(|line| ReceiptLine {
                    name: line.name.clone(),
                    price: money::format(line.price),
                })
                .collect(),
            total: money::format(order.total),
            currency: order.currency.clone(),
        },
    )
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
