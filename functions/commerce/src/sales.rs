//! `GET /admin/sales`: revenue, refunds, net and units per day, movie or genre over a range,
//! summed from the payment items, so price snapshots and refunds count exactly as they were.

use axum::{Json, extract::State};
use chrono::{DateTime, Duration, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::Moderator,
    extract::ApiQuery,
    openapi::{ModeratorsOnly, ProblemSchema},
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest range one report covers.
const MAX_RANGE_DAYS: i64 = 366 * 5;
/// The range when none is given: the last 30 days.
const DEFAULT_RANGE_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SalesGroup {
    /// Per calendar day (UTC) of the payment.
    #[default]
    Day,
    Movie,
    /// Per genre: a movie of two genres counts in both.
    Genre,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// Paid at or after this instant (RFC 3339); default 30 days before `to`.
    from: Option<DateTime<Utc>>,
    /// Paid before this instant (RFC 3339); default now.
    to: Option<DateTime<Utc>>,
    #[param(inline)]
    group_by: Option<SalesGroup>,
}

/// One group's figures. Money is two-place decimal strings in the store's currency.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct SalesLine {
    /// The day (`2026-11-27`), movie id or genre id.
    pub key: String,
    /// The day, or the movie's or genre's name.
    pub label: String,
    /// Everything paid (refunded payments included).
    #[schema(value_type = String, example = "199.80")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub revenue: Decimal,
    /// What was paid back.
    #[schema(value_type = String, example = "9.99")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub refunds: Decimal,
    /// Revenue less refunds.
    #[schema(value_type = String, example = "189.81")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub net: Decimal,
    /// Movies sold.
    pub units: i64,
    /// Of those, refunded.
    pub refunded_units: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SalesReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: SalesGroup,
    #[schema(example = "USD")]
    pub currency: String,
    /// Busiest first for movies and genres; in date order for days.
    pub groups: Vec<SalesLine>,
    /// The whole range (genres counted once per movie, not per genre).
    pub totals: SalesLine,
}

/// The figures of a group of payment items `i`.
const FIGURES: &str = "sum(i.price) AS revenue,
    coalesce(sum(i.price) FILTER (WHERE i.refunded), 0) AS refunds,
    sum(i.price) - coalesce(sum(i.price) FILTER (WHERE i.refunded), 0) AS net,
    count(*) AS units, count(*) FILTER (WHERE i.refunded) AS refunded_units";

fn grouped_sql(group: SalesGroup) -> String {
    let range = "i.paid_at >= $1 AND i.paid_at < $2";
    match group {
        SalesGroup::Day => format!(
            "SELECT to_char(d, 'YYYY-MM-DD') AS key, to_char(d, 'YYYY-MM-DD') AS label, {FIGURES}
             FROM payment_items i, LATERAL (SELECT (i.paid_at AT TIME ZONE 'UTC')::date AS d) day
             WHERE {range} GROUP BY d ORDER BY d"
        ),
        SalesGroup::Movie => format!(
            "SELECT coalesce(i.movie_id::text, 'deleted') AS key,
                    coalesce(m.name, min(i.name)) AS label, {FIGURES}
             FROM payment_items i LEFT JOIN movies m ON m.id = i.movie_id
             WHERE {range} GROUP BY i.movie_id, m.name ORDER BY revenue DESC, key"
        ),
        SalesGroup::Genre => format!(
            "SELECT g.id::text AS key, g.name AS label, {FIGURES}
             FROM payment_items i JOIN movie_genres mg ON mg.movie_id = i.movie_id
             JOIN genres g ON g.id = mg.genre_id
             WHERE {range} GROUP BY g.id, g.name ORDER BY revenue DESC, key"
        ),
    }
}

/// Sales over a range, grouped (moderators).
#[utoipa::path(
    get,
    path = "/api/v1/admin/sales",
    tag = "admin",
    security(("bearer" = [])),
    params(SalesQuery),
    responses(
        (status = 200, description = "The figures per group and in all", body = SalesReport),
        (status = 422, description = "A bad range or group (named)", body = ProblemSchema, content_type = "application/problem+json"),
        ModeratorsOnly,
    )
)]
pub async fn sales(
    State(state): State<AppState>,
    _moderator: Moderator,
    ApiQuery(query): ApiQuery<SalesQuery>,
) -> ApiResult<Json<SalesReport>> {
    let to = query.to.unwrap_or_else(Utc::now);
    let from = query
        .from
        .unwrap_or_else(|| to - Duration::days(DEFAULT_RANGE_DAYS));
    if from >= to {
        return Err(ApiError::invalid("to", "must be after `from`"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ApiError::invalid(
            "from",
            format!("a report covers at most {MAX_RANGE_DAYS} days"),
        ));
    }
    let group_by = query.group_by.unwrap_or_default();
    let groups: Vec<SalesLine> = sqlx::query_as(&grouped_sql(group_by))
        .bind(from)
        .bind(to)
        .fetch_all(&state.db)
        .await?;
    let totals: SalesLine = sqlx::query_as(
        "SELECT 'all' AS key, 'all' AS label,
                coalesce(sum(i.price), 0) AS revenue,
                coalesce(sum(i.price) FILTER (WHERE i.refunded), 0) AS refunds,
                coalesce(sum(i.price), 0)
                    - coalesce(sum(i.price) FILTER (WHERE i.refunded), 0) AS net,
                count(*) AS units, count(*) FILTER (WHERE i.refunded) AS refunded_units
         FROM payment_items i WHERE i.paid_at >= $1 AND i.paid_at < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_one(&state.db)
    .await?;
    Ok(Json(SalesReport {
        from,
        to,
        group_by,
        currency: state.config.currency.clone(),
        groups,
        totals,
    }))
}
