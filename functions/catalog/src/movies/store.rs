//! Reading and writing one movie. Every write is one transaction; the search document is
//! rewritten in it.

use cinema_shared::{
    ApiError, ApiResult, AppState,
    db::Reads,
    email::{Email, EmailMessage},
    error::{FieldError, ResultExt},
    outbox,
    storage::Storage,
};
use serde_json::{Map, json};
use sqlx::{PgPool, Postgres, Transaction, postgres::PgArguments, query::QueryScalar, types::Json};
use uuid::Uuid;

use super::model::{Changes, MovieDetail};
use crate::taxonomy;

/// Takes the list cards' lock for the transaction, before any movie row (see the movie_cards
/// migration): shared to write cards, exclusive to rename what they show. Taken first, so a
/// rename and a movie write never hold one lock each while waiting for the other's.
pub(crate) async fn lock_cards(
    tx: &mut Transaction<'_, Postgres>,
    exclusive: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT lock_movie_cards($1)")
        .bind(exclusive)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such movie".into())
}

fn duplicate() -> ApiError {
    ApiError::conflict("a movie with this name, year and time already exists")
}

/// The detail of a movie as one JSON value, priced in `currency`; with `viewer`, that user's
/// own state too.
pub async fn detail(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    viewer: Option<Uuid>,
    currency: &str,
) -> ApiResult<MovieDetail> {
    let found = detail_query(id, viewer, currency)
        .fetch_optional(db)
        .await?;
    found.map(|Json(movie)| movie).ok_or_else(not_found)
}

/// `movie` with a link to its poster, when it has one.
pub async fn with_poster(storage: &Storage, mut movie: MovieDetail) -> ApiResult<MovieDetail> {
    if let Some(key) = movie.poster_key.take() {
        movie.poster_url = Some(storage.poster_url(&key).await?);
    }
    Ok(movie)
}

/// [`detail`] for the public route, on the read connections.
pub async fn published_detail(
    reads: &Reads,
    id: Uuid,
    viewer: Option<Uuid>,
    currency: &str,
) -> ApiResult<MovieDetail> {
    let found = reads
        .fetch_optional(detail_query(id, viewer, currency))
        .await?;
    found.map(|Json(movie)| movie).ok_or_else(not_found)
}

fn detail_query(
    id: Uuid,
    viewer: Option<Uuid>,
    currency: &str,
) -> QueryScalar<'_, Postgres, Json<MovieDetail>, PgArguments> {
    match viewer {
        None => sqlx::query_scalar(DETAIL).bind(id).bind(currency),
        Some(viewer) => sqlx::query_scalar(DETAIL_FOR_VIEWER)
            .bind(id)
            .bind(currency)
            .bind(viewer),
    }
}

/// The detail statement, one per kind of caller. Each has a fixed shape, so Postgres settles on
/// one cached plan; a `CASE` on an optional viewer parameter made it plan the whole statement
/// again on every call (about three times the work of running it).
macro_rules! detail_sql {
    ($viewer_fields:literal) => {
        concat!(
            "SELECT jsonb_build_object(
    'id', m.id, 'name', m.name, 'year', m.year, 'time', m.time, 'imdb', m.imdb,
    'votes', m.votes, 'meta_score', m.meta_score, 'gross', m.gross::text,
    'description', m.description, 'price', m.price::text, 'currency', $2::text,
    'is_available', m.is_available,
    'certification', jsonb_build_object('id', c.id, 'name', c.name),
    'genres', coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name)
        ORDER BY t.name, t.id) FROM movie_genres l JOIN genres t ON t.id = l.genre_id
        WHERE l.movie_id = m.id), '[]'::jsonb),
    'directors', coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name)
        ORDER BY t.name, t.id) FROM movie_directors l JOIN directors t ON t.id = l.director_id
        WHERE l.movie_id = m.id), '[]'::jsonb),
    'stars', coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name)
        ORDER BY t.name, t.id) FROM movie_stars l JOIN stars t ON t.id = l.star_id
        WHERE l.movie_id = m.id), '[]'::jsonb),
    'likes', m.likes, 'dislikes', m.dislikes, 'average_rating', m.average_rating,
    'ratings_count', m.ratings_count, 'comments_count', (SELECT coalesce(sum(n.comments), 0) FROM movie_comment_counts n WHERE n.movie_id = m.id),
    'created_at', m.created_at, 'updated_at', m.updated_at, 'poster_key', m.poster_key
) ",
            $viewer_fields,
            "\nFROM movies m JOIN certifications c ON c.id = m.certification_id\nWHERE m.id = $1"
        )
    };
}

/// The detail for an anonymous caller: `$1` the movie, `$2` the currency (public so the
/// benchmark can run the very same text).
pub const DETAIL: &str = detail_sql!("");

/// The detail for a signed-in caller `$3`, with their own reaction, rating, favorite, cart and
/// purchase state.
pub const DETAIL_FOR_VIEWER: &str = detail_sql!(
    "|| jsonb_build_object(
    'my_reaction', (SELECT r.value FROM reactions r WHERE r.user_id = $3 AND r.movie_id = m.id),
    'my_rating', (SELECT r.score FROM ratings r WHERE r.user_id = $3 AND r.movie_id = m.id),
    'is_favorite', EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = $3 AND f.movie_id = m.id),
    'in_cart', EXISTS (SELECT 1 FROM cart_items i WHERE i.user_id = $3 AND i.movie_id = m.id),
    'is_purchased', EXISTS (SELECT 1 FROM purchases p WHERE p.user_id = $3 AND p.movie_id = m.id)
)"
);

/// 422 naming each link field whose ids name nothing.
async fn check_links(tx: &mut Transaction<'_, Postgres>, changes: &Changes) -> ApiResult<()> {
    let empty = Vec::new();
    let certification: Vec<i64> = changes.certification_id.into_iter().collect();
    let missing = taxonomy::missing_ids(
        &mut **tx,
        [
            changes.genre_ids.as_ref().unwrap_or(&empty),
            changes.director_ids.as_ref().unwrap_or(&empty),
            changes.star_ids.as_ref().unwrap_or(&empty),
            &certification,
        ],
    )
    .await?;
    let errors: Vec<FieldError> = ["genre_ids", "director_ids", "star_ids", "certification_id"]
        .into_iter()
        .zip(missing)
        .filter(|(_, missing)| !missing.is_empty())
        .map(|(field, missing)| {
            let ids: Vec<String> = missing.iter().map(i64::to_string).collect();
            FieldError::new(field, format!("no such id: {}", ids.join(", ")))
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Replaces the movie's links of each kind whose ids are given, then rewrites its search
/// document (title, description or people may have changed).
async fn write_links(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    changes: &Changes,
) -> ApiResult<()> {
    for (table, column, names, ids) in [
        ("movie_genres", "genre_id", "genres", &changes.genre_ids),
        (
            "movie_directors",
            "director_id",
            "directors",
            &changes.director_ids,
        ),
        ("movie_stars", "star_id", "stars", &changes.star_ids),
    ] {
        let Some(ids) = ids else { continue };
        // The link triggers update each name's movie_count: lock every name this change
        // touches (old links and new) at once and in id order, so two movies relinked at the
        // same time queue instead of deadlocking.
        sqlx::query(&format!(
            "SELECT 1 FROM {names} WHERE id IN \
                (SELECT {column} FROM {table} WHERE movie_id = $1 UNION SELECT unnest($2::bigint[])) \
             ORDER BY id FOR NO KEY UPDATE"
        ))
        .bind(id)
        .bind(ids)
        .execute(&mut **tx)
        .await?;
        sqlx::query(&format!("DELETE FROM {table} WHERE movie_id = $1"))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO {table} (movie_id, {column}) SELECT $1, unnest($2::bigint[])"
        ))
        .bind(id)
        .bind(ids)
        .execute(&mut **tx)
        .await
        // A link deleted between the check and here.
        .on_constraint(&format!("{table}_{column}_fkey"), || {
            ApiError::invalid(format!("{}_ids", &column[..column.len() - 3]), "no such id")
        })?;
    }
    sqlx::query("SELECT refresh_movie_search(ARRAY[$1::uuid])")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn create(
    db: &PgPool,
    changes: Changes,
    viewer: Uuid,
    currency: &str,
) -> ApiResult<MovieDetail> {
    let mut tx = db.begin().await?;
    lock_cards(&mut tx, false).await?;
    check_links(&mut tx, &changes).await?;
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO movies (name, year, time, imdb, votes, meta_score, gross, description, \
                             price, certification_id, is_available) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&changes.name)
    .bind(changes.year)
    .bind(changes.time)
    .bind(changes.imdb)
    .bind(changes.votes)
    .bind(changes.meta_score.flatten())
    .bind(changes.gross.flatten())
    .bind(&changes.description)
    .bind(changes.price)
    .bind(changes.certification_id)
    .bind(changes.is_available.unwrap_or(true))
    .fetch_one(&mut *tx)
    .await
    .on_constraint("movies_name_year_time_key", duplicate)
    .on_constraint("movies_certification_id_fkey", || {
        ApiError::invalid("certification_id", "no such id")
    })?;
    write_links(&mut tx, id, &changes).await?;
    let movie = detail(&mut *tx, id, Some(viewer), currency).await?;
    tx.commit().await?;
    Ok(movie)
}

pub async fn update(
    db: &PgPool,
    id: Uuid,
    changes: Changes,
    viewer: Uuid,
    currency: &str,
) -> ApiResult<MovieDetail> {
    let mut tx = db.begin().await?;
    lock_cards(&mut tx, false).await?;
    // A missing movie is a 404 whatever else the body gets wrong.
    sqlx::query("SELECT 1 FROM movies WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(not_found)?;
    check_links(&mut tx, &changes).await?;
    let updated = sqlx::query(
        "UPDATE movies SET \
            name = coalesce($2, name), year = coalesce($3, year), time = coalesce($4, time), \
            imdb = coalesce($5, imdb), votes = coalesce($6, votes), \
            meta_score = CASE WHEN $7 THEN $8 ELSE meta_score END, \
            gross = CASE WHEN $9 THEN $10 ELSE gross END, \
            description = coalesce($11, description), price = coalesce($12, price), \
            certification_id = coalesce($13, certification_id), \
            is_available = coalesce($14, is_available), updated_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(&changes.name)
    .bind(changes.year)
    .bind(changes.time)
    .bind(changes.imdb)
    .bind(changes.votes)
    .bind(changes.meta_score.is_some())
    .bind(changes.meta_score.flatten())
    .bind(changes.gross.is_some())
    .bind(changes.gross.flatten())
    .bind(&changes.description)
    .bind(changes.price)
    .bind(changes.certification_id)
    .bind(changes.is_available)
    .execute(&mut *tx)
    .await
    .on_constraint("movies_name_year_time_key", duplicate)
    .on_constraint("movies_certification_id_fkey", || {
        ApiError::invalid("certification_id", "no such id")
    })?;
    if updated.rows_affected() == 0 {
        return Err(not_found());
    }
    write_links(&mut tx, id, &changes).await?;
    let movie = detail(&mut *tx, id, Some(viewer), currency).await?;
    tx.commit().await?;
    Ok(movie)
}

/// The notification kind (in-app and email) for a movie taken out of a cart.
pub const REMOVED_FROM_CART: &str = "movie_removed_from_cart";

/// Deletes a movie under the rules: never once bought; out of carts only with `force`, whose
/// owners are then notified in-app and by email (staged in the outbox with the delete, queued
/// after commit).
pub async fn delete(state: &AppState, id: Uuid, force: bool) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    lock_cards(&mut tx, false).await?;
    // The row lock makes concurrent cart adds and orders (their foreign keys take a share lock
    // on the movie) wait for this transaction, so the checks below stay true; a payment under
    // way is waited for by the delete itself (the movies_deleted_keep_sales trigger).
    let name: String = sqlx::query_scalar("SELECT name FROM movies WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(not_found)?;
    let bought: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM purchases WHERE movie_id = $1)")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if bought {
        return Err(ApiError::conflict(
            "someone bought this movie, so it cannot be deleted; mark it unavailable instead",
        ));
    }
    let owners: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT c.user_id, u.email FROM cart_items c JOIN users u ON u.id = c.user_id \
         WHERE c.movie_id = $1 ORDER BY c.user_id",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    if !owners.is_empty() && !force {
        let mut extra = Map::new();
        extra.insert("carts".into(), owners.len().into());
        return Err(ApiError::Conflict {
            detail: format!(
                "this movie is in {} cart(s); repeat with force=true to remove it from them",
                owners.len()
            ),
            extra,
        });
    }
    let mut staged = outbox::Staged::default();
    if !owners.is_empty() {
        let user_ids: Vec<Uuid> = owners.iter().map(|(user, _)| *user).collect();
        sqlx::query("DELETE FROM cart_items WHERE movie_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO notifications (user_id, kind, data) SELECT unnest($1::uuid[]), $2, $3",
        )
        .bind(&user_ids)
        .bind(REMOVED_FROM_CART)
        .bind(json!({ "movie_id": id, "movie_name": name }))
        .execute(&mut *tx)
        .await?;
        let emails: Vec<EmailMessage> = owners
            .iter()
            .map(|(_, email)| {
                EmailMessage::new(
                    email,
                    Email::MovieRemovedFromCart {
                        movie_name: name.clone(),
                    },
                )
            })
            .collect();
        staged = outbox::stage(&mut tx, &emails).await?;
    }
    sqlx::query("DELETE FROM movies WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .on_constraint("purchases_movie_bought", || {
            ApiError::conflict("someone bought this movie, so it cannot be deleted")
        })?;
    tx.commit().await?;
    // The delete stands either way; what the queue refuses, the janitor relays later.
    state.relay.after_commit(staged);
    Ok(())
}
