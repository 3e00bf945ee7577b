//! `cinema generate-engagement`: comments and notifications for benchmarks, made inside Postgres
//! over a catalog `generate-catalog` (or the demo seed) made first.
//!
//! 1,000 viewers (`bench-N@bench.cinema`, password [`PASSWORD`]); on the most voted movie,
//! 10,000 threads and about 40,000 replies: 20 threads of 1,000 replies each (100 direct
//! replies, each the head of a chain 9 deep) and two replies on every other thread; a like on
//! every third comment from three viewers; and 10,000 notifications for `bench-1@bench.cinema`,
//! a third of them unread, and five for every other viewer. Counter triggers are off while
//! loading; the counters are computed once at the end.

use std::time::Instant;

use anyhow::{Context, bail};
use cinema_shared::password;
use sqlx::PgPool;

use crate::generate::step;
use uuid::Uuid;

/// The password of every generated viewer.
pub const PASSWORD: &str = "Bench-Passw0rd!";
const VIEWERS: i64 = 1000;
const THREADS: i64 = 10_000;
/// Threads with 1,000 replies: 100 direct ones, each with a chain of 9 below it.
const BIG_THREADS: i64 = 20;
const CHAIN_DEPTH: i32 = 9;

pub async fn generate(pool: &PgPool, reset: bool) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let db = &mut *conn;
    let movie: Uuid = sqlx::query_scalar("SELECT id FROM movies ORDER BY votes DESC, id LIMIT 1")
        .fetch_optional(&mut *db)
        .await?
        .context("no movies: run `cinema generate-catalog` (or `seed-demo`) first")?;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM comments WHERE movie_id = $1")
        .bind(movie)
        .fetch_one(&mut *db)
        .await?;
    if existing > 0 && !reset {
        bail!("the movie already has {existing} comments; pass --reset to make them anew");
    }
    let started = Instant::now();
    let hash = password::hash_blocking(PASSWORD)?;
    sqlx::query(
        "INSERT INTO users (email, password_hash, is_active)
         SELECT 'bench-' || n || '@bench.cinema', $1, true FROM generate_series(1, $2) n
         ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash",
    )
    .bind(&hash)
    .bind(VIEWERS)
    .execute(&mut *db)
    .await?;
    let movie = format!("'{movie}'::uuid");
    step(
        db,
        "viewers and their profiles",
        "INSERT INTO profiles (user_id, first_name)
         SELECT id, 'Viewer ' || split_part(email, '@', 1) FROM users
         WHERE email LIKE 'bench-%@bench.cinema' ON CONFLICT (user_id) DO NOTHING;
         DROP TABLE IF EXISTS gen_viewers;
         CREATE TEMP TABLE gen_viewers AS
             -- k = n - 1 for bench-n: bench-1 (k = 0) is the viewer with the notifications.
             SELECT substring(email FROM '^bench-([0-9]+)@')::bigint - 1 AS k, id FROM users
             WHERE email LIKE 'bench-%@bench.cinema';",
    )
    .await?;
    step(
        db,
        "clearing earlier comments",
        &format!(
            "DELETE FROM comments WHERE movie_id = {movie};
             DELETE FROM notifications WHERE user_id IN (SELECT id FROM gen_viewers);"
        ),
    )
    .await?;
    let mut plan = format!(
        "DROP TABLE IF EXISTS gen_comments;
         CREATE TEMP TABLE gen_comments (id uuid, parent_id uuid, thread int, level int,
                                         created_at timestamptz);
         INSERT INTO gen_comments
             SELECT gen_random_uuid(), NULL, n, 0, now() - n * interval '50 minutes'
             FROM generate_series(1, {THREADS}) n;
         INSERT INTO gen_comments
             SELECT gen_random_uuid(), t.id, t.thread, 1, t.created_at + r * interval '1 minute'
             FROM gen_comments t,
                  generate_series(1, CASE WHEN t.thread <= {BIG_THREADS} THEN 100 ELSE 2 END) r
             WHERE t.level = 0;"
    );
    for level in 2..=CHAIN_DEPTH + 1 {
        plan.push_str(&format!(
            "INSERT INTO gen_comments
                 SELECT gen_random_uuid(), c.id, c.thread, {level},
                        c.created_at + interval '1 second'
                 FROM gen_comments c WHERE c.level = {previous} AND c.thread <= {BIG_THREADS};",
            previous = level - 1
        ));
    }
    step(db, "planning the threads", &plan).await?;
    step(
        db,
        "comments",
        &format!(
            "ALTER TABLE comments DISABLE TRIGGER comments_count;
             INSERT INTO comments (id, movie_id, parent_id, author_id, text, created_at)
                 SELECT c.id, {movie}, c.parent_id, v.id,
                        'Comment ' || c.level || ' in thread ' || c.thread
                            || ': the score carries the last act.',
                        c.created_at
                 FROM gen_comments c
                 JOIN gen_viewers v
                     ON v.k = (hashtext(c.id::text)::bigint % {VIEWERS} + {VIEWERS}) % {VIEWERS};
             ALTER TABLE comments ENABLE TRIGGER comments_count;"
        ),
    )
    .await?;
    step(
        db,
        "likes",
        "ALTER TABLE comment_likes DISABLE TRIGGER comment_likes_count;
             INSERT INTO comment_likes (comment_id, user_id)
                 SELECT c.id, v.id FROM gen_comments c, generate_series(0, 2) i
                 JOIN gen_viewers v ON v.k = i * 7
                 WHERE c.thread % 3 = 0 ON CONFLICT DO NOTHING;
             ALTER TABLE comment_likes ENABLE TRIGGER comment_likes_count;",
    )
    .await?;
    step(
        db,
        "counters",
        &format!(
            "UPDATE comments c SET reply_count = r.n
             FROM (SELECT parent_id, count(*) AS n FROM comments
                   WHERE movie_id = {movie} AND parent_id IS NOT NULL GROUP BY parent_id) r
             WHERE c.id = r.parent_id;
             UPDATE comments c SET like_count = l.n
             FROM (SELECT comment_id, count(*) AS n FROM comment_likes GROUP BY comment_id) l
             WHERE c.id = l.comment_id AND c.movie_id = {movie};
             DELETE FROM movie_comment_counts WHERE movie_id = {movie};
             INSERT INTO movie_comment_counts (movie_id, shard, comments, threads)
             SELECT {movie}, 0,
                    count(*) FILTER (WHERE deleted_at IS NULL),
                    count(*) FILTER (WHERE parent_id IS NULL)
             FROM comments WHERE movie_id = {movie};
             -- What the janitor would build within the hour.
             SELECT rebuild_comment_thread_anchors({movie});"
        ),
    )
    .await?;
    step(
        db,
        "notifications",
        &format!(
            "INSERT INTO notifications (user_id, kind, actor_id, comment_id, data, read_at,
                                        created_at)
             SELECT (SELECT id FROM gen_viewers WHERE k = 0),
                    CASE WHEN c.n % 2 = 0 THEN 'comment_reply' ELSE 'comment_liked' END,
                    a.id, c.id,
                    jsonb_build_object('movie_id', {movie},
                        'movie_name', (SELECT name FROM movies WHERE id = {movie}),
                        'actor_name', 'Viewer ' || a.k),
                    CASE WHEN c.n % 3 = 0 THEN NULL ELSE now() END,
                    now() - c.n * interval '1 minute'
             FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM gen_comments
                   LIMIT 10000) c
             JOIN gen_viewers a ON a.k = 1 + c.n % ({VIEWERS} - 1);
             -- Everyone else has a few, as in a live store (and their counts rows with them).
             INSERT INTO notifications (user_id, kind, actor_id, comment_id, data, created_at)
             SELECT v.id, 'comment_liked', (SELECT id FROM gen_viewers WHERE k = 0),
                    (SELECT id FROM gen_comments ORDER BY id LIMIT 1),
                    jsonb_build_object('movie_id', {movie},
                        'movie_name', (SELECT name FROM movies WHERE id = {movie}),
                        'actor_name', 'Viewer 0'),
                    now() - n * interval '1 hour'
             FROM gen_viewers v, generate_series(1, 5) n WHERE v.k > 0;"
        ),
    )
    .await?;
    // Each on its own (VACUUM refuses a transaction block): index-only page walks need the
    // visibility map that autovacuum would otherwise set some time later.
    for table in ["comments", "comment_likes", "notifications"] {
        step(
            db,
            &format!("vacuum {table}"),
            &format!("VACUUM (ANALYZE) {table}"),
        )
        .await?;
    }
    let (comments, notifications): (i64, i64) = sqlx::query_as(&format!(
        "SELECT (SELECT count(*) FROM comments WHERE movie_id = {movie}),
                (SELECT count(*) FROM notifications)"
    ))
    .fetch_one(&mut *db)
    .await?;
    println!(
        "{comments} comments and {notifications} notifications in {:.1} s; viewers sign in as \
         bench-N@bench.cinema / {PASSWORD}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
