//! Rebuilds page anchors after rows were added or removed (the migrations `catalog_anchors` and
//! `comment_thread_anchors` say what they are); until then deep pages are slower, not wrong.

use sqlx::PgPool;

/// A movie needs thread anchors once it has more threads than this.
const THREADS_PER_ANCHOR: i32 = 1000;
/// Movies whose thread anchors one run rebuilds at most.
const THREAD_ANCHOR_MOVIES_PER_RUN: i64 = 200;

/// Builds the catalog's anchors if there are none and the catalog needs them; how many were
/// built.
pub async fn rebuild_catalog(db: &PgPool) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let built: i64 = sqlx::query_scalar("SELECT rebuild_catalog_anchors()")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(built)
}

/// Builds the thread anchors of the movies with many threads and none; how many were built.
/// Each movie in a statement (and transaction) of its own: a rebuild holds back new threads on
/// its movie only while it reads that movie's threads.
pub async fn rebuild_comment_threads(db: &PgPool) -> Result<i64, sqlx::Error> {
    let movies: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT c.movie_id FROM movie_comment_counts c
         WHERE NOT EXISTS (SELECT 1 FROM comment_thread_anchors a WHERE a.movie_id = c.movie_id)
         GROUP BY c.movie_id HAVING sum(c.threads) > $1
         LIMIT $2",
    )
    .bind(i64::from(THREADS_PER_ANCHOR))
    .bind(THREAD_ANCHOR_MOVIES_PER_RUN)
    .fetch_all(db)
    .await?;
    let mut built = 0;
    for movie in movies {
        built += sqlx::query_scalar::<_, i64>("SELECT rebuild_comment_thread_anchors($1, $2)")
            .bind(movie)
            .bind(THREADS_PER_ANCHOR)
            .fetch_one(db)
            .await?;
    }
    Ok(built)
}
