//! A page of the caller's own orders or payments: one statement on the read pool that checks
//! the caller's session, counts their rows, and writes the page with each row's lines as JSON.

use std::sync::LazyLock;

use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{self, TokenHolder},
    pagination::{Page, PageRequest},
};
use serde::Deserialize;
use serde_json::value::RawValue;

/// One of the caller's histories: its name (for the log when its JSON does not read) and its
/// statement, written once per process.
pub struct History {
    name: &'static str,
    sql: LazyLock<String>,
}

/// The caller's orders, each as [`crate::orders::Order`] writes one.
pub static ORDERS: History = History {
    name: "orders",
    sql: LazyLock::new(|| {
        statement(
            "orders",
            "json_build_object('id', r.id, 'status', r.status,
                'items', coalesce((SELECT json_agg(json_build_object('movie_id', l.movie_id,
                                       'name', l.name, 'price_at_order', l.price_at_order::text)
                                       ORDER BY l.position)
                                   FROM order_items l WHERE l.order_id = r.id), '[]'),
                'total', r.total::text, 'currency', r.currency,
                'created_at', api_time(r.created_at))",
        )
    }),
};

/// The caller's payments, each as [`crate::payments::Payment`] writes one.
pub static PAYMENTS: History = History {
    name: "payments",
    sql: LazyLock::new(|| {
        statement(
            "payments",
            "json_build_object('id', r.id, 'order_id', r.order_id, 'status', r.status,
                'amount', r.amount::text, 'currency', r.currency,
                'items', coalesce((SELECT json_agg(json_build_object('movie_id', l.movie_id,
                                       'name', l.name, 'price', l.price::text)
                                       ORDER BY l.position)
                                   FROM payment_items l WHERE l.payment_id = r.id), '[]'),
                'created_at', api_time(r.created_at))",
        )
    }),
};

/// The statement over `$1`/`$2` (the caller's account and session) and `$3`/`$4` (limit and
/// offset) for a `table` of rows with `user_id` and `created_at`, each row `r` written by
/// `row_json` exactly as the API's schema names its members.
fn statement(table: &str, row_json: &str) -> String {
    format!(
        "WITH page AS MATERIALIZED (
             SELECT * FROM {table} WHERE user_id = $1
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4)
         SELECT json_build_object('caller', {caller},
             'total', (SELECT count(*) FROM {table} WHERE user_id = $1),
             'items', coalesce((SELECT json_agg({row_json} ORDER BY r.created_at DESC, r.id DESC)
                                FROM page r), '[]'))::text",
        caller = auth::live_session("$1", "$2"),
    )
}

/// What the statement returns.
#[derive(Deserialize)]
struct Listed {
    /// Whether the caller's account is active and session live.
    caller: bool,
    total: i64,
    items: Vec<Box<RawValue>>,
}

/// A page of the caller's rows of `history`.
pub async fn page(
    state: &AppState,
    caller: TokenHolder,
    history: &History,
    page: PageRequest,
) -> ApiResult<Page<Box<RawValue>>> {
    let text: String = state
        .reads
        .fetch_optional(
            sqlx::query_scalar(history.sql.as_str())
                .bind(caller.user_id)
                .bind(caller.session_id)
                .bind(page.limit())
                .bind(page.offset()),
        )
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let listed: Listed =
        serde_json::from_str(&text).map_err(|err| ApiError::unreadable_json(history.name, err))?;
    if !listed.caller {
        return Err(auth::session_ended());
    }
    Ok(Page::new(listed.items, page, listed.total))
}
