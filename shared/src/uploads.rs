//! Files uploaded straight to S3 that a profile or a movie takes up only once they are there.
//!
//! Handing out a presigned PUT records a pending upload ([`reserve`]); nothing points at the
//! file yet. When S3 has the object, [`promote`] makes its slot (a user's avatar, a movie's
//! poster or video) point at it: the janitor does so on S3's "Object Created" event and, for
//! any event that went missing, on a sweep that asks S3 ([`sweep`]). So a link never comes
//! before its file, and an upload started and abandoned changes nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};
use sqlx::PgPool;
use uuid::Uuid;

use crate::storage::Storage;

/// What an upload is for.
#[derive(Debug, Clone, Copy)]
pub enum Slot {
    Avatar { user_id: Uuid },
    Poster { movie_id: Uuid },
    Video { movie_id: Uuid },
}

impl Slot {
    fn name(self) -> &'static str {
        match self {
            Self::Avatar { .. } => "avatar",
            Self::Poster { .. } => "poster",
            Self::Video { .. } => "video",
        }
    }

    /// `(user_id, movie_id)`: the row the slot belongs to.
    fn owner(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Self::Avatar { user_id } => (Some(user_id), None),
            Self::Poster { movie_id } | Self::Video { movie_id } => (None, Some(movie_id)),
        }
    }
}

/// A slot keeps at most this many uploads pending: starting another drops the oldest, so
/// nobody can pile up work for the sweep.
const PENDING_PER_SLOT: i64 = 3;

/// How many pending uploads one sweep asks S3 about (the longest unasked first), how many at
/// once, and for how long: what S3 answered by then is promoted, the rest waits for the next.
const SWEEP_BATCH: i64 = 1000;
const SWEEP_CONCURRENCY: usize = 16;
const SWEEP_TIME: Duration = Duration::from_secs(20);

/// Serializes promotions: two at once for one slot could otherwise leave it on the older file.
const PROMOTION_LOCK: i64 = 0x7570_6c6f_6164; // "upload"

/// Locks the owners of the uploads under `$1` the way deleting one does (the owner, then its
/// pending uploads by cascade), so a promotion and a deletion cannot deadlock; 0 when no upload
/// is pending under these keys.
const LOCK_OWNERS: &str = "
WITH owners AS (
    SELECT user_id, movie_id FROM pending_uploads WHERE key = ANY($1)
), users_locked AS (
    SELECT id FROM users WHERE id IN (SELECT user_id FROM owners) ORDER BY id FOR KEY SHARE
), movies_locked AS (
    SELECT id FROM movies WHERE id IN (SELECT movie_id FROM owners) ORDER BY id
    FOR NO KEY UPDATE
)
SELECT (SELECT count(*) FROM users_locked) + (SELECT count(*) FROM movies_locked)";

const RESERVE: &str = "
WITH reserved AS (
    INSERT INTO pending_uploads (key, slot, user_id, movie_id, expires_at)
    VALUES ($1, $2, $3, $4, $5)
    RETURNING key
), crowded AS (
    DELETE FROM pending_uploads
    WHERE key IN (SELECT key FROM pending_uploads
                  WHERE slot = $2 AND (user_id = $3 OR movie_id = $4)
                  ORDER BY created_at DESC OFFSET $6)
)
SELECT count(*) FROM reserved";

/// The newest arrival of each slot is taken up; uploads of that slot started before it and
/// still pending can no longer win, so they go. One `UPDATE` per movie sets both of its files:
/// a statement cannot update a row twice.
const PROMOTE: &str = "
WITH arrived AS (
    DELETE FROM pending_uploads WHERE key = ANY($1)
    RETURNING key, slot, user_id, movie_id, created_at
), newest AS (
    SELECT DISTINCT ON (slot, user_id, movie_id) key, slot, user_id, movie_id, created_at
    FROM arrived
    ORDER BY slot, user_id, movie_id, created_at DESC
), superseded AS (
    DELETE FROM pending_uploads p USING newest n
    WHERE p.slot = n.slot AND (p.user_id = n.user_id OR p.movie_id = n.movie_id)
      AND p.created_at < n.created_at AND p.key <> ALL($1)
), avatars AS (
    INSERT INTO profiles (user_id, avatar_key)
    SELECT user_id, key FROM newest WHERE slot = 'avatar'
    ON CONFLICT (user_id) DO UPDATE SET avatar_key = EXCLUDED.avatar_key, updated_at = now()
), movie_files AS (
    UPDATE movies m
    SET poster_key = coalesce(n.poster, m.poster_key),
        video_key = coalesce(n.video, m.video_key),
        updated_at = now()
    FROM (SELECT movie_id,
                 max(key) FILTER (WHERE slot = 'poster') AS poster,
                 max(key) FILTER (WHERE slot = 'video') AS video
          FROM newest WHERE movie_id IS NOT NULL GROUP BY movie_id) n
    WHERE m.id = n.movie_id
)
SELECT count(*) FROM newest";

/// Records an upload of `key` into `slot` that may start until `expires_at`. False when the
/// slot's owner does not exist (any more).
pub async fn reserve(
    db: &PgPool,
    slot: Slot,
    key: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let (user_id, movie_id) = slot.owner();
    let reserved = sqlx::query_scalar::<_, i64>(RESERVE)
        .bind(key)
        .bind(slot.name())
        .bind(user_id)
        .bind(movie_id)
        .bind(expires_at)
        .bind(PENDING_PER_SLOT - 1)
        .fetch_one(db)
        .await;
    match reserved {
        Ok(count) => Ok(count == 1),
        Err(sqlx::Error::Database(err)) if err.is_foreign_key_violation() => Ok(false),
        Err(err) => Err(err),
    }
}

/// Points each slot at its newest upload among `arrived_keys` (objects S3 has); keys that are
/// not pending (already promoted, superseded, unknown) are ignored, so an event delivered
/// twice changes nothing. How many slots changed.
pub async fn promote(db: &PgPool, arrived_keys: &[String]) -> Result<u64, sqlx::Error> {
    if arrived_keys.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let owners: i64 = sqlx::query_scalar(LOCK_OWNERS)
        .bind(arrived_keys)
        .fetch_one(&mut *tx)
        .await?;
    if owners == 0 {
        // Nothing pending: a repeated event or a key nobody reserved costs one read.
        return Ok(0);
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PROMOTION_LOCK)
        .execute(&mut *tx)
        .await?;
    let promoted: i64 = sqlx::query_scalar(PROMOTE)
        .bind(arrived_keys)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(promoted as u64)
}

/// Asks S3 about the pending uploads (a bounded batch, the longest unasked first, for a bounded
/// time) and promotes those that arrived. An upload S3 gave no answer about waits for the next
/// sweep.
pub async fn sweep(db: &PgPool, storage: &Storage) -> anyhow::Result<u64> {
    let pending: Vec<String> = sqlx::query_scalar(
        "SELECT key FROM pending_uploads ORDER BY checked_at NULLS FIRST, created_at LIMIT $1",
    )
    .bind(SWEEP_BATCH)
    .fetch_all(db)
    .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut answers = stream::iter(pending)
        .map(|key| async move {
            let arrived = storage.exists(&key).await;
            (key, arrived)
        })
        .buffer_unordered(SWEEP_CONCURRENCY);
    let deadline = tokio::time::Instant::now() + SWEEP_TIME;
    let (mut arrived, mut absent) = (Vec::new(), Vec::new());
    while let Ok(Some((key, answer))) = tokio::time::timeout_at(deadline, answers.next()).await {
        match answer {
            Ok(true) => arrived.push(key),
            Ok(false) => absent.push(key),
            Err(err) => tracing::warn!(key, error = ?err, "could not ask S3 about an upload"),
        }
    }
    if !absent.is_empty() {
        sqlx::query("UPDATE pending_uploads SET checked_at = now() WHERE key = ANY($1)")
            .bind(&absent)
            .execute(db)
            .await?;
    }
    Ok(promote(db, &arrived).await?)
}
