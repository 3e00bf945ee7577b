//! The report's statements, one per grouping. Each splits the range into its folded middle,
//! read from the running totals at two midnights (the migration `sales_running_totals` says
//! what they are), and its edges: the payment items' events before the first and after the
//! last folded midnight of the range. Each answers the page's lines, numbered in order once
//! the page is cut (so the sort keeps only the page's rows), and a line of totals with the
//! number of groups and whether the middle it read was whole (`complete`: a report by movie
//! reads a kept span or tail, which a newer one can push out; see `sales_report_span`).
//!
//! Parameters: `$1` from, `$2` to, `$3` and `$4` the first and last folded midnight of the
//! range (null, both, when none is), `$5` the page's size, `$6` its offset, `$7` where the last
//! edge starts (`$4`'s midnight, or the minute of the tail or span read; null with `$3`); by
//! movie, `$8` the number of the span's lines.

use std::sync::LazyLock;

use super::SalesGroup;

/// The events of the edges: from `from` to the first folded midnight and from the last (or the
/// tail's minute) to `to` (the whole range when none is folded). Bounds are parameters, so the
/// planner inlines `sales_events` and reads the payment items' indexes over the edges alone.
const EDGES: &str = "
    edges AS (
        SELECT * FROM sales_events($1, coalesce($3::date::timestamp AT TIME ZONE 'UTC', $2))
        UNION ALL
        SELECT * FROM sales_events(coalesce($7, $2), $2))";

/// The tail read from `$4` to `$7`, per day (none when `$7` is `$4`'s midnight).
const TAIL_DAYS: &str = "sales_tail_days WHERE since = $4 AND until = $7";

/// Whether the tail read was still kept (or none was read).
const TAIL_KEPT: &str = "$7 IS NULL OR $7 = $4::date::timestamp AT TIME ZONE 'UTC'
    OR EXISTS (SELECT 1 FROM sales_tails WHERE since = $4 AND until = $7)";

/// Cents summed over a group, as the two-place amount the answer shows.
const FIGURES: &str = "
    round(revenue_cents / 100.0, 2) AS revenue, round(refund_cents / 100.0, 2) AS refunds,
    round((revenue_cents - refund_cents) / 100.0, 2) AS net, units, refunded_units";

const SUMS: &str = "sum(revenue_cents)::bigint AS revenue_cents,
    sum(refund_cents)::bigint AS refund_cents, sum(units)::bigint AS units,
    sum(refunded_units)::bigint AS refunded_units";

const NIL: &str = "'00000000-0000-0000-0000-000000000000'::uuid";

/// The whole range's figures, the report's last row (by day and by genre).
static TOTALS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
    totals AS (
        SELECT coalesce(sum(revenue_cents), 0)::bigint AS revenue_cents,
               coalesce(sum(refund_cents), 0)::bigint AS refund_cents,
               coalesce(sum(units), 0)::bigint AS units,
               coalesce(sum(refunded_units), 0)::bigint AS refunded_units
        FROM (SELECT revenue_cents, refund_cents, units, refunded_units
              FROM sales_totals WHERE day = $4
              UNION ALL
              SELECT -revenue_cents, -refund_cents, -units, -refunded_units
              FROM sales_totals WHERE day = $3
              UNION ALL
              SELECT revenue_cents, refund_cents, units, refunded_units FROM {TAIL_DAYS}
              UNION ALL
              SELECT revenue_cents, refund_cents, units, refunded_units FROM edges) changes)"
    )
});

/// Genres: their running totals at the middle's two midnights and the edges' events (a movie
/// of two genres counts in both; a deleted genre keeps its line).
fn by_genre() -> String {
    let totals = TOTALS.as_str();
    format!(
        "WITH {EDGES}, {totals},
         changes AS (
             SELECT genre_id AS key, revenue_cents, refund_cents, units, refunded_units
             FROM sales_genre_totals WHERE day = $4
             UNION ALL
             SELECT genre_id, -revenue_cents, -refund_cents, -units, -refunded_units
             FROM sales_genre_totals WHERE day = $3
             UNION ALL
             SELECT genre_id, revenue_cents, refund_cents, units, refunded_units
             FROM sales_tail_genres WHERE since = $4 AND until = $7
             UNION ALL
             SELECT mg.genre_id, e.revenue_cents, e.refund_cents, e.units, e.refunded_units
             FROM edges e JOIN movie_genres mg ON mg.movie_id = e.movie_id),
         lines AS (
             SELECT key, {SUMS} FROM changes GROUP BY key
             HAVING sum(units) <> 0 OR sum(refunded_units) <> 0),
         page AS (
             SELECT *, row_number() OVER (ORDER BY revenue_cents DESC, key) AS position
             FROM (SELECT * FROM lines ORDER BY revenue_cents DESC, key LIMIT $5 OFFSET $6) top)
         SELECT false AS is_total, p.position, p.key::text AS key,
                coalesce(g.name, 'Deleted genre') AS label, {FIGURES}, 0::bigint AS groups,
                true AS complete
         FROM page p LEFT JOIN genres g ON g.id = p.key
         UNION ALL
         SELECT true, 0, 'all', 'all', {FIGURES}, (SELECT count(*) FROM lines), {TAIL_KEPT}
         FROM totals"
    )
}

/// Movies: the span's lines kept by `sales_report_span` (from `$3` to `$7`) and the edges'
/// events. A page needs only the span's busiest `offset + limit` movies and the movies of the
/// edges: edges only add revenue (the order), so no other movie can pass those. A movie's line
/// is keyed by its id, or by `deleted` for the movies deleted before their day was folded
/// (their items no longer say which movie they were). The totals are the span's, kept with it.
fn by_movie() -> String {
    format!(
        "WITH {EDGES},
         span AS (SELECT * FROM sales_movie_spans_kept WHERE a = $3 AND until = $7),
         totals AS (
             SELECT coalesce(sum(revenue_cents), 0)::bigint AS revenue_cents,
                    coalesce(sum(refund_cents), 0)::bigint AS refund_cents,
                    coalesce(sum(units), 0)::bigint AS units,
                    coalesce(sum(refunded_units), 0)::bigint AS refunded_units
             FROM (SELECT revenue_cents, refund_cents, units, refunded_units FROM span
                   UNION ALL
                   SELECT revenue_cents, refund_cents, units, refunded_units FROM edges) changes),
         edge_lines AS (
             SELECT coalesce(movie_id, {NIL}) AS key, {SUMS} FROM edges GROUP BY 1),
         candidates AS (
             SELECT movie_id AS key
             FROM (SELECT movie_id FROM sales_movie_spans WHERE a = $3 AND until = $7
                   ORDER BY revenue_cents DESC, movie_id
                   LIMIT $5 + least($6, 1000000000)) busiest
             UNION
             SELECT key FROM edge_lines),
         lines AS (
             SELECT c.key, s.movie_id IS NOT NULL AS in_span,
                    coalesce(s.revenue_cents, 0) + coalesce(e.revenue_cents, 0) AS revenue_cents,
                    coalesce(s.refund_cents, 0) + coalesce(e.refund_cents, 0) AS refund_cents,
                    coalesce(s.units, 0) + coalesce(e.units, 0) AS units,
                    coalesce(s.refunded_units, 0) + coalesce(e.refunded_units, 0)
                        AS refunded_units
             FROM candidates c
             -- A lookup per candidate: the plan is generic, and a join would hash the span.
             LEFT JOIN LATERAL (
                 SELECT movie_id, revenue_cents, refund_cents, units, refunded_units
                 FROM sales_movie_spans WHERE a = $3 AND until = $7 AND movie_id = c.key
                 LIMIT 1) s ON true
             LEFT JOIN edge_lines e ON e.key = c.key),
         page AS (
             SELECT *, row_number() OVER (ORDER BY revenue_cents DESC, key) AS position
             FROM (SELECT * FROM lines ORDER BY revenue_cents DESC, key LIMIT $5 OFFSET $6) top)
         SELECT false AS is_total, p.position,
                CASE WHEN p.key = {NIL} THEN 'deleted' ELSE p.key::text END AS key,
                CASE WHEN p.key = {NIL} THEN 'Deleted movies'
                     ELSE coalesce(m.name, n.name) END AS label,
                {FIGURES}, 0::bigint AS groups, true AS complete
         FROM page p
         -- Lookups, not joins: the generic plan would hash every sold movie's name.
         LEFT JOIN LATERAL (SELECT name FROM movies WHERE id = p.key LIMIT 1) m ON true
         LEFT JOIN LATERAL (
             SELECT name FROM sold_movie_names WHERE movie_id = p.key LIMIT 1) n ON true
         UNION ALL
         SELECT true, 0, 'all', 'all', {FIGURES},
                coalesce($8, 0) + (SELECT count(*) FROM lines WHERE NOT in_span),
                -- `$4` is not read by movie; named so every grouping takes the same parameters.
                $3 IS NULL OR $7 = coalesce($3, $4)::date::timestamp AT TIME ZONE 'UTC'
                    OR EXISTS (SELECT 1 FROM span)
         FROM totals"
    )
}

/// Days: each folded day is the difference of its midnight and the next (the `all` row), each
/// edge event counts on its own day (UTC).
fn by_day() -> String {
    let totals = TOTALS.as_str();
    format!(
        "WITH {EDGES}, {totals},
         days AS (
             SELECT day, lead(revenue_cents) OVER w - revenue_cents AS revenue_cents,
                    lead(refund_cents) OVER w - refund_cents AS refund_cents,
                    lead(units) OVER w - units AS units,
                    lead(refunded_units) OVER w - refunded_units AS refunded_units
             FROM sales_totals
             WHERE day BETWEEN $3 AND $4
             WINDOW w AS (ORDER BY day)),
         changes AS (
             SELECT day, revenue_cents, refund_cents, units, refunded_units
             FROM days WHERE day < $4
             UNION ALL
             SELECT day, revenue_cents, refund_cents, units, refunded_units FROM {TAIL_DAYS}
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
                0::bigint AS groups, true AS complete
         FROM page
         UNION ALL
         SELECT true, 0, 'all', 'all', {FIGURES}, (SELECT count(*) FROM lines), {TAIL_KEPT}
         FROM totals"
    )
}

static BY_DAY: LazyLock<String> = LazyLock::new(by_day);
static BY_MOVIE: LazyLock<String> = LazyLock::new(by_movie);
static BY_GENRE: LazyLock<String> = LazyLock::new(by_genre);

/// The statement of a grouping.
pub fn of(group: SalesGroup) -> &'static str {
    match group {
        SalesGroup::Day => &BY_DAY,
        SalesGroup::Movie => &BY_MOVIE,
        SalesGroup::Genre => &BY_GENRE,
    }
}
