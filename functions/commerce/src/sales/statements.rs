//! The report's statements, one per grouping. Each splits the range into its folded middle,
//! read from the running totals at two midnights (the migration `sales_running_totals` says
//! what they are), and its edges: the payment items' events before the first and after the
//! last folded midnight of the range. Each answers the page's lines, numbered in order once
//! the page is cut (so the sort keeps only the page's rows), and a line of totals with the
//! number of groups.
//!
//! Parameters: `$1` from, `$2` to, `$3` the first midnight at or after `from`, `$4` the last at
//! or before `to`, `$5` the page's size, `$6` its offset.

use std::sync::LazyLock;

use super::SalesGroup;

/// The folded middle (`mid`: at most one row, midnights `a` to `b`) and the edges' events.
const SPAN: &str = "
    folded AS (SELECT min(day) AS first, max(day) AS last FROM sales_totals),
    span AS (
        SELECT greatest($3::date, first) AS a, least($4::date, last) AS b
        FROM folded WHERE first IS NOT NULL),
    mid AS (SELECT a, b FROM span WHERE a <= b),
    edges AS (
        SELECT * FROM sales_events($1, coalesce(
            (SELECT a FROM mid)::timestamp AT TIME ZONE 'UTC', $2))
        UNION ALL
        SELECT * FROM sales_events(coalesce(
            (SELECT b FROM mid)::timestamp AT TIME ZONE 'UTC', $2), $2))";

/// Cents summed over a group, as the two-place amount the answer shows.
const FIGURES: &str = "
    round(revenue_cents / 100.0, 2) AS revenue, round(refund_cents / 100.0, 2) AS refunds,
    round((revenue_cents - refund_cents) / 100.0, 2) AS net, units, refunded_units";

const SUMS: &str = "sum(revenue_cents)::bigint AS revenue_cents,
    sum(refund_cents)::bigint AS refund_cents, sum(units)::bigint AS units,
    sum(refunded_units)::bigint AS refunded_units";

const NIL: &str = "'00000000-0000-0000-0000-000000000000'::uuid";

/// The whole range's figures, the report's last row.
const TOTALS: &str = "
    totals AS (
        SELECT coalesce(sum(revenue_cents), 0)::bigint AS revenue_cents,
               coalesce(sum(refund_cents), 0)::bigint AS refund_cents,
               coalesce(sum(units), 0)::bigint AS units,
               coalesce(sum(refunded_units), 0)::bigint AS refunded_units
        FROM (SELECT revenue_cents, refund_cents, units, refunded_units
              FROM sales_totals WHERE day = (SELECT b FROM mid)
              UNION ALL
              SELECT -revenue_cents, -refund_cents, -units, -refunded_units
              FROM sales_totals WHERE day = (SELECT a FROM mid)
              UNION ALL
              SELECT revenue_cents, refund_cents, units, refunded_units FROM edges) changes)";

/// How movies or genres are grouped.
struct Grouping<'a> {
    /// Their running totals, keyed by `column`.
    table: &'a str,
    column: &'a str,
    /// A `FROM` over `edges e` giving each event's group as `k.key`.
    edge_keys: &'a str,
    /// The answer's key and label of a page line `p` (joined by `labels`).
    key: &'a str,
    label: &'a str,
    labels: &'a str,
}

/// Movies and genres: their running totals at the middle's two midnights and the edges' events.
fn by_key(grouping: Grouping<'_>) -> String {
    let Grouping {
        table,
        column,
        edge_keys,
        key,
        label,
        labels,
    } = grouping;
    format!(
        "WITH {SPAN}, {TOTALS},
         changes AS (
             SELECT {column} AS key, revenue_cents, refund_cents, units, refunded_units
             FROM {table} WHERE day = (SELECT b FROM mid)
             UNION ALL
             SELECT {column}, -revenue_cents, -refund_cents, -units, -refunded_units
             FROM {table} WHERE day = (SELECT a FROM mid)
             UNION ALL
             SELECT k.key, e.revenue_cents, e.refund_cents, e.units, e.refunded_units
             FROM {edge_keys}),
         lines AS (
             SELECT key, {SUMS} FROM changes GROUP BY key
             HAVING sum(units) <> 0 OR sum(refunded_units) <> 0),
         page AS (
             SELECT *, row_number() OVER (ORDER BY revenue_cents DESC, key) AS position
             FROM (SELECT * FROM lines ORDER BY revenue_cents DESC, key LIMIT $5 OFFSET $6) top)
         SELECT false AS is_total, p.position, {key} AS key, {label} AS label,
                {FIGURES}, 0::bigint AS groups
         FROM page p {labels}
         UNION ALL
         SELECT true, 0, 'all', 'all', {FIGURES}, (SELECT count(*) FROM lines) FROM totals"
    )
}

/// Days: each folded day is the difference of its midnight and the next (the `all` row), each
/// edge event counts on its own day (UTC).
fn by_day() -> String {
    format!(
        "WITH {SPAN}, {TOTALS},
         days AS (
             SELECT day, lead(revenue_cents) OVER w - revenue_cents AS revenue_cents,
                    lead(refund_cents) OVER w - refund_cents AS refund_cents,
                    lead(units) OVER w - units AS units,
                    lead(refunded_units) OVER w - refunded_units AS refunded_units
             FROM sales_totals
             WHERE day BETWEEN (SELECT a FROM mid) AND (SELECT b FROM mid)
             WINDOW w AS (ORDER BY day)),
         changes AS (
             SELECT day, revenue_cents, refund_cents, units, refunded_units
             FROM days WHERE day < (SELECT b FROM mid)
             UNION ALL
             SELECT (happened_at AT TIME ZONE 'UTC')::date, revenue_cents, refund_cents, units,
                    refunded_units
             FROM edges),
         lines AS (
             SELECT day, {SUMS} FROM changes GROUP BY day
             HAVING sum(units) <> 0 OR sum(refunded_units) <> 0),
         page AS (
             SELECT *, row_number() OVER (ORDER BY day) AS position
             FROM (SELECT * FROM lines ORDER BY day LIMIT $5 OFFSET $6) top)
         SELECT false AS is_total, position, to_char(day, 'YYYY-MM-DD') AS key,
                to_char(day, 'YYYY-MM-DD') AS label, {FIGURES},
                0::bigint AS groups
         FROM page
         UNION ALL
         SELECT true, 0, 'all', 'all', {FIGURES}, (SELECT count(*) FROM lines) FROM totals"
    )
}

static BY_DAY: LazyLock<String> = LazyLock::new(by_day);

/// A movie's line is keyed by its id, or by `deleted` for the movies deleted before their day
/// was folded (their items no longer say which movie they were).
static BY_MOVIE: LazyLock<String> = LazyLock::new(|| {
    by_key(Grouping {
        table: "sales_movie_totals",
        column: "movie_id",
        edge_keys: &format!("edges e, LATERAL (SELECT coalesce(e.movie_id, {NIL}) AS key) k"),
        key: &format!("CASE WHEN p.key = {NIL} THEN 'deleted' ELSE p.key::text END"),
        label: &format!(
            "CASE WHEN p.key = {NIL} THEN 'Deleted movies' ELSE coalesce(m.name, n.name) END"
        ),
        labels: "LEFT JOIN movies m ON m.id = p.key
                 LEFT JOIN sold_movie_names n ON n.movie_id = p.key",
    })
});

/// A movie of two genres counts in both; a deleted genre keeps its line.
static BY_GENRE: LazyLock<String> = LazyLock::new(|| {
    by_key(Grouping {
        table: "sales_genre_totals",
        column: "genre_id",
        edge_keys: "edges e JOIN LATERAL (
                        SELECT mg.genre_id AS key FROM movie_genres mg
                        WHERE mg.movie_id = e.movie_id) k ON true",
        key: "p.key::text",
        label: "coalesce(g.name, 'Deleted genre')",
        labels: "LEFT JOIN genres g ON g.id = p.key",
    })
});

/// The statement of a grouping.
pub fn of(group: SalesGroup) -> &'static str {
    match group {
        SalesGroup::Day => &BY_DAY,
        SalesGroup::Movie => &BY_MOVIE,
        SalesGroup::Genre => &BY_GENRE,
    }
}
