//! The janitor deletes what expired, in bounded batches, and two runs at once share the work.

use sqlx::PgPool;

async fn insert_deliveries(db: &PgPool, prefix: &str, count: i32, sent_days_ago: i32) {
    sqlx::query(
        "INSERT INTO mail_deliveries (message_id, state, sent_at)
         SELECT $1 || n, 'sent', now() - make_interval(days => $3)
         FROM generate_series(1, $2) AS n",
    )
    .bind(prefix)
    .bind(count)
    .bind(sent_days_ago)
    .execute(db)
    .await
    .unwrap();
}

async fn count(db: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM mail_deliveries")
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn old_deliveries_are_purged_and_recent_ones_kept(db: PgPool) {
    insert_deliveries(&db, "old-", 7, 30).await;
    insert_deliveries(&db, "recent-", 3, 1).await;

    let report = cinema_janitor::run(&db, 2).await.unwrap();
    assert_eq!(report.deleted["mail_deliveries"], 7);
    assert_eq!(count(&db).await, 3);

    let again = cinema_janitor::run(&db, 2).await.unwrap();
    assert_eq!(
        again.deleted["mail_deliveries"], 0,
        "a second run finds nothing"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_runs_at_once_delete_each_row_once(db: PgPool) {
    insert_deliveries(&db, "old-", 500, 30).await;
    let (a, b) = tokio::join!(cinema_janitor::run(&db, 10), cinema_janitor::run(&db, 10));
    let total = a.unwrap().deleted["mail_deliveries"] + b.unwrap().deleted["mail_deliveries"];
    assert_eq!(total, 500);
    assert_eq!(count(&db).await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn expired_tokens_and_old_counters_are_purged_and_live_ones_kept(db: PgPool) {
    let user: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash) VALUES ('janitor@example.com', 'x') RETURNING id",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    for sql in [
        "INSERT INTO account_tokens (user_id, purpose, token_hash, expires_at) VALUES
           ($1, 'activation', 'a', now() - interval '1 minute'),
           ($1, 'password_reset', 'b', now() + interval '1 hour')",
        // Two sessions started two days ago: one's only token expired, the other's lives.
        "INSERT INTO login_sessions (id, user_id, created_at) VALUES
           ('00000000-0000-0000-0000-00000000000a', $1, now() - interval '2 days'),
           ('00000000-0000-0000-0000-00000000000b', $1, now() - interval '2 days')",
        "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES
           ('old', $1, '00000000-0000-0000-0000-00000000000a', now() - interval '1 minute'),
           ('live', $1, '00000000-0000-0000-0000-00000000000b', now() + interval '1 day')",
        "INSERT INTO rate_limit_hits (bucket, window_start, hits)
         SELECT sha256(convert_to('login:' || $1::text || ':old', 'UTF8')), now() - interval '2 days', 3
         UNION ALL SELECT sha256(convert_to('login:' || $1::text || ':now', 'UTF8')), now(), 1",
        // An upload abandoned long ago goes; one whose PUT expired an hour ago may still land.
        "INSERT INTO pending_uploads (key, slot, user_id, created_at, expires_at) VALUES
           ('avatars/old', 'avatar', $1, now() - interval '3 days', now() - interval '2 days'),
           ('avatars/late', 'avatar', $1, now() - interval '2 hours', now() - interval '1 hour')",
    ] {
        sqlx::query(sql).bind(user).execute(&db).await.unwrap();
    }

    let report = cinema_janitor::run(&db, 100).await.unwrap();
    assert_eq!(report.deleted["activation_and_reset_tokens"], 1);
    assert_eq!(report.deleted["refresh_tokens"], 1);
    assert_eq!(report.deleted["login_sessions"], 1);
    assert_eq!(report.deleted["rate_limit_hits"], 1);
    assert_eq!(report.deleted["pending_uploads"], 1);
    let left: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM account_tokens WHERE purpose = 'password_reset'),
                (SELECT count(*) FROM refresh_tokens WHERE token_hash = 'live'),
                (SELECT count(*) FROM login_sessions
                 WHERE id = '00000000-0000-0000-0000-00000000000b'),
                (SELECT count(*) FROM rate_limit_hits),
                (SELECT count(*) FROM pending_uploads WHERE key = 'avatars/late')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(left, (1, 1, 1, 1, 1));
}

async fn anchors(db: &PgPool) -> Vec<(i64, uuid::Uuid)> {
    sqlx::query_as("SELECT position, id FROM catalog_anchors ORDER BY position")
        .fetch_all(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn catalog_anchors_are_rebuilt_after_movies_change(db: PgPool) {
    sqlx::query("INSERT INTO certifications (name) VALUES ('PG')")
        .execute(&db)
        .await
        .unwrap();
    let add_movies = |from: i32, to: i32| {
        sqlx::query(
            "INSERT INTO movies (name, year, time, imdb, votes, price, description, \
                                 certification_id, created_at) \
             SELECT 'Movie ' || n, 2000, 90, 7.0, 10, 1.00, 'A movie.', \
                    (SELECT id FROM certifications), now() - make_interval(mins => n % 700) \
             FROM generate_series($1::int, $2::int) n",
        )
        .bind(from)
        .bind(to)
        .execute(&db)
    };
    add_movies(1, 900).await.unwrap();
    // Too few movies to need anchors.
    assert_eq!(
        cinema_janitor::run(&db, 100)
            .await
            .unwrap()
            .catalog_anchors_built,
        0
    );

    add_movies(901, 2500).await.unwrap();
    assert_eq!(
        cinema_janitor::run(&db, 100)
            .await
            .unwrap()
            .catalog_anchors_built,
        2
    );
    // Each anchor is the movie with exactly `position` movies before it (newest first, ties by
    // id: many movies here share a creation time).
    for (position, id) in anchors(&db).await {
        let at: uuid::Uuid = sqlx::query_scalar(
            "SELECT id FROM movies ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1",
        )
        .bind(position)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(id, at, "anchor at {position}");
    }
    assert_eq!(anchors(&db).await.len(), 2);
    assert_eq!(
        cinema_janitor::run(&db, 100)
            .await
            .unwrap()
            .catalog_anchors_built,
        0
    );

    // Removing a movie drops them in the same transaction; the next run builds them anew.
    sqlx::query("DELETE FROM movies WHERE name = 'Movie 7'")
        .execute(&db)
        .await
        .unwrap();
    assert!(anchors(&db).await.is_empty());
    assert_eq!(
        cinema_janitor::run(&db, 100)
            .await
            .unwrap()
            .catalog_anchors_built,
        2
    );
}
