//! `cinema generate-commerce`: carts, orders and purchases for benchmarks, made inside Postgres
//! over a catalog `generate-catalog` made first.
//!
//! 100,000 buyers (`buyer-N@bench.cinema`, password [`PASSWORD`]), each with two orders of five
//! movies (1,000,000 order lines), both paid through Stripe (200,000 payments with 1,000,000
//! payment items over the last year): the first still owned, the second refunded; `buyer-1` also owns 500 movies and holds a 20-movie cart; the first
//! [`CART_HOLDERS`] buyers after it hold a 10-movie cart each, to be ordered by the benchmark.
//! Access tokens for those cart holders (bench users only) can be written to a file, so the
//! benchmark signs nobody in through argon2.

use std::{io::Write, time::Instant};

use anyhow::bail;
use cinema_shared::{auth::Role, config::JwtConfig, password};
use sqlx::{PgConnection, PgPool};

use crate::generate::step;
use uuid::Uuid;

/// The password of every generated buyer.
pub const PASSWORD: &str = "Buyer-Passw0rd!";
const BUYERS: i64 = 100_000;
/// Buyers (after `buyer-1`) whose 10-movie carts the benchmark orders, one order each.
pub const CART_HOLDERS: i64 = 80_000;

pub async fn generate(
    pool: &PgPool,
    jwt: &JwtConfig,
    tokens_file: Option<&std::path::Path>,
    reset: bool,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let db = &mut *conn;
    let movies: i64 = sqlx::query_scalar("SELECT count(*) FROM movies")
        .fetch_one(&mut *db)
        .await?;
    if movies < 1000 {
        bail!("the catalog has {movies} movies; run `cinema generate-catalog` first");
    }
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&mut *db)
        .await?;
    if existing > 0 && !reset {
        bail!("the database already has {existing} orders; pass --reset to make them anew");
    }
    let started = Instant::now();
    let hash = password::hash_blocking(PASSWORD)?;
    sqlx::query(
        "INSERT INTO users (email, password_hash, is_active)
         SELECT 'buyer-' || n || '@bench.cinema', $1, true FROM generate_series(1, $2) n
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(&hash)
    .bind(BUYERS)
    .execute(&mut *db)
    .await?;
    step(
        db,
        "buyers",
        "INSERT INTO profiles (user_id)
         SELECT id FROM users WHERE email LIKE 'buyer-%@bench.cinema'
         ON CONFLICT (user_id) DO NOTHING;
         DROP TABLE IF EXISTS gen_buyers, gen_movies;
         CREATE TEMP TABLE gen_buyers AS
             SELECT substring(email FROM 'buyer-([0-9]+)@')::bigint AS k, id FROM users
             WHERE email LIKE 'buyer-%@bench.cinema';
         CREATE UNIQUE INDEX ON gen_buyers (k);
         CREATE TEMP TABLE gen_movies AS
             SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, name, price FROM movies
             WHERE is_available;
         CREATE UNIQUE INDEX ON gen_movies (k);
         ANALYZE gen_buyers; ANALYZE gen_movies;",
    )
    .await?;
    step(
        db,
        "clearing earlier orders and carts",
        "DELETE FROM purchases WHERE user_id IN (SELECT id FROM gen_buyers);
         DELETE FROM cart_items WHERE user_id IN (SELECT id FROM gen_buyers);
         DELETE FROM payments WHERE user_id IN (SELECT id FROM gen_buyers);
         DELETE FROM orders WHERE user_id IN (SELECT id FROM gen_buyers);",
    )
    .await?;
    // Buyer k's movies: ten distinct ones from a stride through the catalog.
    step(
        db,
        "orders and their lines",
        "DROP TABLE IF EXISTS gen_orders;
         CREATE TEMP TABLE gen_orders AS
             SELECT gen_random_uuid() AS id, b.id AS user_id, b.k, o AS nth,
                    now() - ((b.k % 365) || ' days')::interval - o * interval '1 hour'
                        AS created_at
             FROM gen_buyers b, generate_series(0, 1) o;
         DROP TABLE IF EXISTS gen_lines;
         CREATE TEMP TABLE gen_lines AS
             SELECT g.id AS order_id, g.user_id, m.id AS movie_id, m.name, m.price,
                    i + 1 AS position
             FROM gen_orders g CROSS JOIN generate_series(0, 4) i
             JOIN gen_movies m
               ON m.k = (g.k * 7919 + g.nth * 5 + i) % (SELECT count(*) FROM gen_movies);
         INSERT INTO orders (id, user_id, status, total, currency, created_at, updated_at)
             SELECT g.id, g.user_id,
                    CASE WHEN g.nth = 0 THEN 'paid' ELSE 'refunded' END::order_status,
                    t.total, 'USD', g.created_at, g.created_at
             FROM gen_orders g
             JOIN (SELECT order_id, sum(price) AS total FROM gen_lines GROUP BY order_id) t
               ON t.order_id = g.id;
         INSERT INTO order_items (order_id, user_id, movie_id, name, price_at_order, position,
                                  active)
             SELECT l.order_id, l.user_id, l.movie_id, l.name, l.price, l.position,
                    g.nth = 0
             FROM gen_lines l JOIN gen_orders g ON g.id = l.order_id;
         INSERT INTO purchases (user_id, movie_id, order_id, purchased_at)
             SELECT l.user_id, l.movie_id, l.order_id, g.created_at
             FROM gen_lines l JOIN gen_orders g ON g.id = l.order_id WHERE g.nth = 0
             ON CONFLICT DO NOTHING;",
    )
    .await?;
    step(
        db,
        "payments, their items and refunds",
        "INSERT INTO payments (order_id, user_id, amount, currency, status, stripe_session_id,
                               stripe_payment_intent, created_at, updated_at)
             SELECT o.id, o.user_id, o.total, 'USD',
                    CASE WHEN g.nth = 0 THEN 'successful' ELSE 'refunded' END::payment_status,
                    'cs_bench_' || o.id, 'pi_bench_' || o.id, o.created_at, o.created_at
             FROM orders o JOIN gen_orders g ON g.id = o.id;
         INSERT INTO payment_items (payment_id, position, movie_id, name, price, paid_at,
                                    refunded, refunded_at)
             SELECT p.id, l.position, l.movie_id, l.name, l.price, p.created_at,
                    p.status = 'refunded',
                    CASE WHEN p.status = 'refunded' THEN p.created_at END
             FROM payments p JOIN gen_lines l ON l.order_id = p.order_id
             WHERE p.user_id IN (SELECT id FROM gen_buyers);
         INSERT INTO refunds (payment_id, amount, status, stripe_refund_id, created_at,
                              completed_at)
             SELECT id, amount, 'succeeded', 're_bench_' || id, created_at, created_at
             FROM payments WHERE status = 'refunded' AND user_id IN (SELECT id FROM gen_buyers);",
    )
    .await?;
    step(
        db,
        "sales running totals",
        "TRUNCATE sales_totals, sales_movie_totals, sales_genre_totals, sold_movie_names,
                  sales_movie_spans, sales_movie_spans_kept, sales_tails, sales_tail_days,
                  sales_tail_genres;
         SELECT fold_sales_days(100000);",
    )
    .await?;
    step(
        db,
        "buyer-1's library and cart",
        "INSERT INTO purchases (user_id, movie_id, purchased_at)
             SELECT b.id, m.id, now() - m.k * interval '1 hour'
             FROM gen_buyers b JOIN gen_movies m ON m.k BETWEEN 1000 AND 1499
             WHERE b.k = 1 ON CONFLICT DO NOTHING;
         INSERT INTO cart_items (user_id, movie_id, added_at)
             SELECT b.id, m.id, now() - m.k * interval '1 minute'
             FROM gen_buyers b JOIN gen_movies m ON m.k BETWEEN 2000 AND 2019
             WHERE b.k = 1;",
    )
    .await?;
    step(
        db,
        "carts to order",
        &format!(
            "INSERT INTO cart_items (user_id, movie_id)
             SELECT b.id, m.id FROM gen_buyers b, generate_series(0, 9) i
             JOIN gen_movies m ON m.k = 3000 + i
             WHERE b.k BETWEEN 2 AND {last};",
            last = CART_HOLDERS + 1
        ),
    )
    .await?;
    // Each on its own (VACUUM refuses a transaction block), for index-only page walks.
    for table in [
        "orders",
        "order_items",
        "payments",
        "payment_items",
        "sales_totals",
        "sales_movie_totals",
        "sales_genre_totals",
        "purchases",
        "cart_items",
        "login_sessions",
    ] {
        step(
            db,
            &format!("vacuum {table}"),
            &format!("VACUUM (ANALYZE) {table}"),
        )
        .await?;
    }
    if let Some(path) = tokens_file {
        write_tokens(db, jwt, path).await?;
    }
    let (orders, lines): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items)")
            .fetch_one(&mut *db)
            .await?;
    println!(
        "{orders} orders with {lines} lines in {:.1} s; buyers sign in as \
         buyer-N@bench.cinema / {PASSWORD}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One access token per cart holder, each in a login session of its own, one per line.
async fn write_tokens(
    db: &mut PgConnection,
    jwt: &JwtConfig,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let holders: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "WITH started AS (
             INSERT INTO login_sessions (id, user_id)
             SELECT gen_random_uuid(), id FROM gen_buyers WHERE k BETWEEN 1 AND $1
             RETURNING user_id, id)
         SELECT s.user_id, s.id FROM started s JOIN gen_buyers b ON b.id = s.user_id
         ORDER BY b.k",
    )
    .bind(CART_HOLDERS + 1)
    .fetch_all(&mut *db)
    .await?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    for (user, session) in holders {
        let (token, _) = cinema_shared::auth::issue_access_token(jwt, user, Role::User, session)?;
        writeln!(file, "{token}")?;
    }
    file.flush()?;
    Ok(())
}
