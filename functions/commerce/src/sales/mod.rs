//! `GET /admin/sales`: revenue, refunds, net and units per day, movie or genre over a range,
//! from the payment items, so price snapshots and refunds count exactly as they were: a sale
//! on the day it was paid, a refund on the day it was paid back. The days that are over are
//! read from running totals the janitor keeps ([`statements`] says how).

pub(crate) mod statements;

use axum::{Json, extract::State};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::Moderator,
    extract::ApiQuery,
    openapi::{ModeratorsOnly, ProblemSchema},
    pagination::{Page, PageRequest},
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
    /// Per calendar day (UTC): a sale on the day it was paid, a refund on the day it was paid
    /// back.
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
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// One group's figures. Money is two-place decimal strings in the store's currency.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct SalesLine {
    /// The day (`2026-11-27`), movie id or genre id.
    pub key: String,
    /// The day, or the movie's or genre's name.
    pub label: String,
    /// Everything paid in the range (refunded or not).
    #[schema(value_type = String, example = "199.80")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub revenue: Decimal,
    /// What was paid back in the range (of sales in it or before it).
    #[schema(value_type = String, example = "9.99")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub refunds: Decimal,
    /// Revenue less refunds (below zero when refunds outweigh the day's sales).
    #[schema(value_type = String, example = "189.81")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub net: Decimal,
    /// Movies sold in the range.
    pub units: i64,
    /// Movies refunded in the range.
    pub refunded_units: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SalesReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: SalesGroup,
    #[schema(example = "USD")]
    pub currency: String,
    /// A page of the groups: the busiest first for movies and genres, in date order for days.
    /// A group with no sale and no refund in the range has no line.
    pub groups: Page<SalesLine>,
    /// The whole range (genres counted once per movie, not per genre).
    pub totals: SalesLine,
}

/// A row of a report's statement: a line of the page, or the totals.
#[derive(sqlx::FromRow)]
struct ReportRow {
    is_total: bool,
    /// A line's place on the page.
    position: i64,
    /// On the totals line: how many groups the report has.
    groups: i64,
    complete: bool,
    #[sqlx(flatten)]
    line: SalesLine,
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
    let page = PageRequest::from_query(query.page, query.per_page)?;
    let rows = report_rows(&state, from, to, group_by, page).await?;
    let mut total_groups = 0;
    let mut totals = None;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        if row.is_total {
            total_groups = row.groups;
            totals = Some(row.line);
        } else {
            lines.push((row.position, row.line));
        }
    }
    lines.sort_by_key(|(position, _)| *position);
    let groups = Page::new(
        lines.into_iter().map(|(_, line)| line).collect(),
        page,
        total_groups,
    );
    // The statement always answers its totals line.
    let totals = totals.ok_or(sqlx::Error::RowNotFound)?;
    Ok(Json(SalesReport {
        from,
        to,
        group_by,
        currency: state.config.currency.clone(),
        groups,
        totals,
    }))
}

/// How many spans of the report by movie the database keeps (about ten thousand rows each).
const KEPT_MOVIE_SPANS: i32 = 32;

/// What the range reads besides its edges' events (`sales_report_span`): the folded midnights,
/// where the last edge starts, and by movie its span's number of lines.
#[derive(sqlx::FromRow)]
struct Span {
    a: Option<NaiveDate>,
    b: Option<NaiveDate>,
    until: Option<DateTime<Utc>>,
    movie_lines: Option<i64>,
}

/// The report's rows: its span first (a tail or a span kept first when needed), then the
/// statement of its grouping. A report whose tail or span a newer one pushed out meanwhile
/// reads again.
///
/// Both run in one transaction that plans them generically and without parallel workers. A
/// report's statement takes milliseconds to plan, and Postgres would plan it afresh on every
/// call (a plan for its parameters looks cheaper than the generic one, which does not know how
/// short the edges are), so each connection plans it once. The generic plan then reads the
/// edges with parallel workers, and starting them (processes, per statement) took 5 ms of a
/// statement that reads a few hundred rows in under one.
async fn report_rows(
    state: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group_by: SalesGroup,
    page: PageRequest,
) -> ApiResult<Vec<ReportRow>> {
    let by_movie = matches!(group_by, SalesGroup::Movie);
    for _ in 0..3 {
        let mut tx = state.db.begin().await?;
        let span: Span = sqlx::query_as(
            "SELECT span.*
             FROM set_config('plan_cache_mode', 'force_generic_plan', true) plans,
                  set_config('max_parallel_workers_per_gather', '0', true) workers,
                  sales_report_span($1, $2, $3, $4) span",
        )
        .bind(first_midnight_from(from))
        .bind(to)
        .bind(by_movie)
        .bind(KEPT_MOVIE_SPANS)
        .fetch_one(&mut *tx)
        .await?;
        let mut statement = sqlx::query_as::<_, ReportRow>(statements::of(group_by))
            .bind(from)
            .bind(to)
            .bind(span.a)
            .bind(span.b)
            .bind(page.limit())
            .bind(page.offset())
            .bind(span.until);
        if by_movie {
            statement = statement.bind(span.movie_lines);
        }
        let rows = statement.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        if rows.iter().all(|row| row.complete) {
            return Ok(rows);
        }
    }
    Err(ApiError::ServiceUnavailable(
        "the sales report is busy; try again".into(),
    ))
}

/// The first midnight (UTC) at or after `instant`.
fn first_midnight_from(instant: DateTime<Utc>) -> NaiveDate {
    let day = instant.date_naive();
    if instant.time() == NaiveTime::MIN {
        day
    } else {
        day + Duration::days(1)
    }
}
