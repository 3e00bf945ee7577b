//! `cinema generate-webhook-events`: pending orders with their Checkout Sessions, and for each
//! a `checkout.session.completed` event as Stripe would deliver it (its amount matching the
//! order), signed with the webhook secret, for the webhook benchmark.
//!
//! Payers are `payer-N@bench.cinema`; each has one pending order of three movies. The file has
//! one delivery per line: the `Stripe-Signature` header, a tab, the body. Signatures are good
//! for five minutes (Stripe's tolerance): make the file just before the run.

use std::{
    io::Write,
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::bail;
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde_json::json;
use sha2::Sha256;
use sqlx::PgPool;
use uuid::Uuid;

use crate::generate::step;

/// The API version the events claim (async-stripe's pinned one).
const API_VERSION: &str = "2026-09-30.endive";

pub async fn generate(
    pool: &PgPool,
    orders: i64,
    secret: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let db = &mut *conn;
    let movies: i64 = sqlx::query_scalar("SELECT count(*) FROM movies WHERE is_available")
        .fetch_one(&mut *db)
        .await?;
    if movies < 100 {
        bail!("the catalog has {movies} movies for sale; run `cinema generate-catalog` first");
    }
    let started = Instant::now();
    step(
        db,
        "payers and their pending orders",
        &format!(
            "-- A rerun's events reuse the ids: without this they would all be redeliveries.
             DELETE FROM stripe_events WHERE id LIKE 'evt\\_bench\\_%';
             DELETE FROM checkouts WHERE order_id IN (
                 SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id
                 WHERE u.email LIKE 'payer-%@bench.cinema');
             DELETE FROM purchases WHERE user_id IN (
                 SELECT id FROM users WHERE email LIKE 'payer-%@bench.cinema');
             DELETE FROM payments WHERE user_id IN (
                 SELECT id FROM users WHERE email LIKE 'payer-%@bench.cinema');
             DELETE FROM orders WHERE user_id IN (
                 SELECT id FROM users WHERE email LIKE 'payer-%@bench.cinema');
             INSERT INTO users (email, password_hash, is_active)
                 SELECT 'payer-' || n || '@bench.cinema', 'no sign-in', true
                 FROM generate_series(1, {orders}) n
                 ON CONFLICT (email) DO NOTHING;
             DROP TABLE IF EXISTS gen_payers;
             CREATE TEMP TABLE gen_payers AS
                 SELECT substring(email FROM 'payer-([0-9]+)@')::bigint AS k, id,
                        gen_random_uuid() AS order_id
                 FROM users WHERE email LIKE 'payer-%@bench.cinema';
             DROP TABLE IF EXISTS gen_for_sale;
             CREATE TEMP TABLE gen_for_sale AS
                 SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, name, price
                 FROM movies WHERE is_available;
             CREATE UNIQUE INDEX ON gen_for_sale (k);
             INSERT INTO orders (id, user_id, total, currency)
                 SELECT p.order_id, p.id, sum(m.price), 'USD'
                 FROM gen_payers p CROSS JOIN generate_series(0, 2) i
                 JOIN gen_for_sale m
                   ON m.k = (p.k * 31 + i) % (SELECT count(*) FROM gen_for_sale)
                 GROUP BY p.order_id, p.id;
             INSERT INTO order_items (order_id, user_id, movie_id, name, price_at_order, position)
                 SELECT p.order_id, p.id, m.id, m.name, m.price, i + 1
                 FROM gen_payers p CROSS JOIN generate_series(0, 2) i
                 JOIN gen_for_sale m
                   ON m.k = (p.k * 31 + i) % (SELECT count(*) FROM gen_for_sale);
             INSERT INTO checkouts (idempotency_key, order_id, total, currency, expires_at,
                                    session_id, checkout_url)
                 SELECT 'order-' || o.id || '-total-' || (o.total * 100)::bigint, o.id, o.total,
                        'USD', now() + interval '1 day', 'cs_bench_' || p.k,
                        'http://127.0.0.1:12111/pay/cs_bench_' || p.k
                 FROM gen_payers p JOIN orders o ON o.id = p.order_id;
             ANALYZE orders; ANALYZE order_items; ANALYZE checkouts;"
        ),
    )
    .await?;
    let rows: Vec<(i64, Uuid, Decimal, String)> = sqlx::query_as(
        "SELECT p.k, o.id, o.total, c.idempotency_key
         FROM gen_payers p JOIN orders o ON o.id = p.order_id
         JOIN checkouts c ON c.order_id = o.id ORDER BY p.k",
    )
    .fetch_all(&mut *db)
    .await?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    for (k, order_id, total, key) in &rows {
        let body = completed_event(*k, *order_id, *total, key, now).to_string();
        writeln!(file, "{}\t{body}", signature(secret, now, &body)?)?;
    }
    file.flush()?;
    println!(
        "{} pending orders and signed events in {:.1} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A completed Checkout Session event, with the fields async-stripe's parser requires.
fn completed_event(
    k: i64,
    order_id: Uuid,
    total: Decimal,
    key: &str,
    now: i64,
) -> serde_json::Value {
    let cents = (total * Decimal::from(100))
        .trunc()
        .to_string()
        .parse::<i64>()
        .unwrap_or(0);
    json!({
        "id": format!("evt_bench_{k}"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now,
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": format!("cs_bench_{k}"),
            "object": "checkout.session",
            "amount_subtotal": cents,
            "amount_total": cents,
            "automatic_tax": {"enabled": false, "liability": null, "provider": null, "status": null},
            "client_reference_id": order_id.to_string(),
            "created": now - 60,
            "currency": "usd",
            "custom_fields": [],
            "custom_text": {"after_submit": null, "shipping_address": null, "submit": null,
                            "terms_of_service_acceptance": null},
            "expires_at": now + 86_400,
            "livemode": false,
            "metadata": {"order_id": order_id.to_string(), "checkout_key": key},
            "mode": "payment",
            "payment_intent": format!("pi_bench_{k}"),
            "payment_method_types": ["card"],
            "payment_status": "paid",
            "shipping_options": [],
            "status": "complete",
        }},
    })
}

/// Stripe's signature header: `t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`.
fn signature(secret: &str, timestamp: i64, body: &str) -> anyhow::Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(format!("{timestamp}.{body}").as_bytes());
    Ok(format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bench's events are what the webhook accepts: they verify and parse as Stripe's.
    #[test]
    fn the_events_verify_and_parse_with_async_stripe() {
        let body = completed_event(7, Uuid::new_v4(), Decimal::new(2997, 2), "k", 1_800_000_000)
            .to_string();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let header = signature("whsec_test", now, &body).unwrap();
        let event = stripe_webhook::Webhook::construct_event(&body, &header, "whsec_test")
            .expect("verifies and parses");
        match event.data.object {
            stripe_webhook::EventObject::CheckoutSessionCompleted(session) => {
                assert_eq!(session.amount_total, Some(2997));
            }
            _ => panic!("not a completed session"),
        }
    }
}
