//! Reading a cart: one statement on the read pool that checks the reader, reads the lines with
//! what an order would make of each, and writes the whole [`Cart`](super::Cart) as JSON text.

use std::sync::LazyLock;

use cinema_shared::{ApiError, ApiResult, AppState, auth};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

/// Who reads the cart of `$1`, which decides what the statement checks besides the lines.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    /// Its owner, with the access token's session `$2`: the account must be active and the
    /// session live.
    Owner { session_id: Uuid },
    /// A moderator (already checked): the user must exist.
    Moderator,
}

/// The cart statement over `$1` (the cart's owner), `$2` (the reader's session, for
/// [`Reader::Owner`]) and `$3` (the currency). Genres come from the movie's stored card (the
/// same name order the catalog shows); prices and the total are two-place strings, times as
/// the API writes them.
fn cart_sql(check: &str) -> String {
    format!(
        "WITH line AS MATERIALIZED (
             SELECT ci.movie_id, ci.added_at, m.name, m.price, m.year, m.is_available, m.card,
                    order_exclusion(ci.user_id, ci.movie_id, m.is_available) AS excluded_reason
             FROM cart_items ci JOIN movies m ON m.id = ci.movie_id
             WHERE ci.user_id = $1)
         SELECT json_build_object('allowed', {check}, 'cart', json_build_object(
             'items', coalesce(json_agg(json_build_object(
                     'movie_id', movie_id, 'name', name, 'price', price::text, 'year', year,
                     'genres', (card || '}}')::json -> 'genres',
                     'added_at', api_time(added_at), 'is_available', is_available,
                     'excluded_reason', excluded_reason)
                 ORDER BY added_at, movie_id), '[]'),
             'total', coalesce(sum(price), 0)::numeric(12, 2)::text,
             'currency', $3::text))::text
         FROM line"
    )
}

/// The statements for the owner and for a moderator, written once per process.
static STATEMENTS: LazyLock<[String; 2]> = LazyLock::new(|| {
    [
        cart_sql(&auth::live_session("$1", "$2")),
        // `$2` is unused here but typed, so both statements bind alike.
        cart_sql("$2::uuid IS NULL AND EXISTS (SELECT 1 FROM users WHERE id = $1)"),
    ]
});

/// What the statement returns: whether the reader may see it, and the cart as served.
#[derive(Deserialize)]
struct Read {
    allowed: bool,
    cart: Box<RawValue>,
}

/// The cart of `owner` as the JSON of a [`Cart`](super::Cart), or the reader's refusal: an
/// ended session (owner) or no such user (moderator).
pub async fn cart_json(state: &AppState, owner: Uuid, reader: Reader) -> ApiResult<Box<RawValue>> {
    let (sql, session) = match reader {
        Reader::Owner { session_id } => (&STATEMENTS[0], Some(session_id)),
        Reader::Moderator => (&STATEMENTS[1], None),
    };
    let text: String = state
        .reads
        .fetch_optional(
            sqlx::query_scalar(sql)
                .bind(owner)
                .bind(session)
                .bind(&state.config.currency),
        )
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let read: Read =
        serde_json::from_str(&text).map_err(|err| ApiError::unreadable_json("cart", err))?;
    if !read.allowed {
        return Err(match reader {
            Reader::Owner { .. } => auth::session_ended(),
            Reader::Moderator => ApiError::NotFound("no such user".into()),
        });
    }
    Ok(read.cart)
}
