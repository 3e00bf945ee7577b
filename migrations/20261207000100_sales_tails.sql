-- A report whose range reaches the present used to read the whole current day's payment items
-- on every call (the events after the last folded midnight): thousands of rows per report on a
-- busy day. Now the first report of each minute keeps that day's sales up to a whole minute a
-- couple of minutes old (a tail), and the reports of that minute read the tail and only the
-- events after it. A tail is made from the payment items alone, so it is never stale for
-- long: the next minute's tail is made afresh. The report by movie keeps its span up to the
-- same minute (a span now runs from a folded midnight to a point in time, `until`).
--
-- Why two minutes: an item counts from its transaction's start (`now()`), and a transaction
-- writing items commits within seconds (statements are cut at 5 s, the functions at 30 s).
-- One that took longer is missed by the tails made meanwhile and counted by the next ones.

DROP FUNCTION sales_report_span(date, date, boolean, integer);
DROP TABLE sales_movie_spans;
DROP TABLE sales_movie_spans_kept;

-- The sales since the folded midnight `since` and before `until`, per day and per genre (a
-- movie of two genres counts in both, with the genres it has when the tail is made).
CREATE TABLE sales_tails (
    since date NOT NULL,
    until timestamptz NOT NULL,
    kept_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (since, until)
);

CREATE TABLE sales_tail_days (
    since date NOT NULL,
    until timestamptz NOT NULL,
    day date NOT NULL,
    revenue_cents bigint NOT NULL,
    refund_cents bigint NOT NULL,
    units bigint NOT NULL,
    refunded_units bigint NOT NULL,
    PRIMARY KEY (since, until, day),
    FOREIGN KEY (since, until) REFERENCES sales_tails ON DELETE CASCADE
);

CREATE TABLE sales_tail_genres (
    since date NOT NULL,
    until timestamptz NOT NULL,
    genre_id bigint NOT NULL,
    revenue_cents bigint NOT NULL,
    refund_cents bigint NOT NULL,
    units bigint NOT NULL,
    refunded_units bigint NOT NULL,
    PRIMARY KEY (since, until, genre_id),
    FOREIGN KEY (since, until) REFERENCES sales_tails ON DELETE CASCADE
);

-- A span of the report by movie: every movie whose figures moved from midnight `a` to `until`
-- (a later folded midnight, or a tail's minute), busiest first in an index.
CREATE TABLE sales_movie_spans (
    a date NOT NULL,
    until timestamptz NOT NULL,
    movie_id uuid NOT NULL,
    revenue_cents bigint NOT NULL,
    refund_cents bigint NOT NULL,
    units bigint NOT NULL,
    refunded_units bigint NOT NULL,
    PRIMARY KEY (a, until, movie_id) INCLUDE (revenue_cents, refund_cents, units, refunded_units)
);

CREATE INDEX sales_movie_spans_busiest
    ON sales_movie_spans (a, until, revenue_cents DESC, movie_id);

-- The spans kept, with their number of lines and their totals (the report's `all` line).
CREATE TABLE sales_movie_spans_kept (
    a date NOT NULL,
    until timestamptz NOT NULL,
    lines bigint NOT NULL,
    revenue_cents bigint NOT NULL,
    refund_cents bigint NOT NULL,
    units bigint NOT NULL,
    refunded_units bigint NOT NULL,
    kept_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (a, until)
);

-- What a report from midnight `lo` to the instant `hi` reads besides the events of its edges:
-- the folded midnights `a` and `b` (nulls when it can read none), and `until`, where its last
-- edge starts (`b`'s midnight, or the minute of a tail from `b`, or by movie of its span from
-- `a`); by movie, the span's number of lines. What it needs is made first when it is not kept.
-- A report that finds someone else making the newest tail or span reads the newest kept one
-- its range covers instead of waiting. At most `keep` spans are kept (tails for ten minutes),
-- so a report checks that what it was told to read is still kept when it reads it.
CREATE FUNCTION sales_report_span(lo date, hi timestamptz, by_movie boolean, keep integer)
RETURNS TABLE (a date, b date, until timestamptz, movie_lines bigint)
LANGUAGE plpgsql AS $$
DECLARE
    first_folded date;
    last_folded date;
    b_at timestamptz;
    wanted timestamptz;
BEGIN
    IF keep IS NULL OR keep < 1 THEN
        RAISE EXCEPTION 'keep at least one span, not %', keep;
    END IF;
    SELECT min(t.day), max(t.day) INTO first_folded, last_folded FROM sales_totals t;
    a := greatest(lo, first_folded);
    b := least((hi AT TIME ZONE 'UTC')::date, last_folded);
    IF first_folded IS NULL OR a > b THEN
        a := NULL;
        b := NULL;
        RETURN NEXT;
        RETURN;
    END IF;
    b_at := b::timestamp AT TIME ZONE 'UTC';
    -- A tail only after the last folded midnight, only when the range reaches its minute, and
    -- never to a midnight (that is the fold's, an hour later: a span to it is the fold's span).
    wanted := date_trunc('minute', now() - interval '2 minutes');
    IF b <> last_folded OR wanted <= b_at OR wanted > hi
        OR wanted = date_trunc('day', wanted AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' THEN
        wanted := b_at;
    END IF;
    until := b_at;

    IF NOT by_movie THEN
        IF wanted = b_at THEN
            RETURN NEXT;
            RETURN;
        END IF;
        IF EXISTS (SELECT 1 FROM sales_tails t WHERE t.since = b AND t.until = wanted) THEN
            until := wanted;
        ELSIF pg_try_advisory_xact_lock(20261207, 0) THEN
            -- Checked again: the tail may have been made since (this statement sees it).
            IF NOT EXISTS (SELECT 1 FROM sales_tails t WHERE t.since = b AND t.until = wanted)
            THEN
                DELETE FROM sales_tails t WHERE t.kept_at < clock_timestamp() - interval '10 minutes';
                INSERT INTO sales_tails (since, until) VALUES (b, wanted);
                WITH events AS MATERIALIZED (SELECT * FROM sales_events(b_at, wanted)),
                days AS (
                    INSERT INTO sales_tail_days
                        (since, until, day, revenue_cents, refund_cents, units, refunded_units)
                    SELECT b, wanted, (e.happened_at AT TIME ZONE 'UTC')::date,
                           sum(e.revenue_cents), sum(e.refund_cents), sum(e.units),
                           sum(e.refunded_units)
                    FROM events e GROUP BY 3)
                INSERT INTO sales_tail_genres
                    (since, until, genre_id, revenue_cents, refund_cents, units, refunded_units)
                SELECT b, wanted, mg.genre_id, sum(e.revenue_cents), sum(e.refund_cents),
                       sum(e.units), sum(e.refunded_units)
                FROM events e JOIN movie_genres mg ON mg.movie_id = e.movie_id
                GROUP BY mg.genre_id;
            END IF;
            until := wanted;
        ELSE
            -- Being made by another report: the newest tail from `b` the range covers.
            SELECT coalesce(max(t.until), b_at) INTO until FROM sales_tails t
            WHERE t.since = b AND t.until <= hi;
        END IF;
        RETURN NEXT;
        RETURN;
    END IF;

    IF wanted = a::timestamp AT TIME ZONE 'UTC' THEN
        -- One midnight and no tail: nothing between, no line.
        until := wanted;
        movie_lines := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    until := wanted;
    SELECT k.lines INTO movie_lines FROM sales_movie_spans_kept k
    WHERE k.a = sales_report_span.a AND k.until = wanted;
    IF movie_lines IS NOT NULL THEN
        RETURN NEXT;
        RETURN;
    END IF;
    IF NOT pg_try_advisory_xact_lock(20261206, 0) THEN
        -- Being made by another report: the newest span from `a` the range covers, if any.
        SELECT k.until, k.lines INTO until, movie_lines FROM sales_movie_spans_kept k
        WHERE k.a = sales_report_span.a AND k.until <= hi
        ORDER BY k.until DESC LIMIT 1;
        IF movie_lines IS NOT NULL THEN
            RETURN NEXT;
            RETURN;
        END IF;
        -- None: wait for the keeper.
        PERFORM pg_advisory_xact_lock(20261206, 0);
    END IF;
    -- Checked again under the lock: the span may have been kept since (this statement sees it).
    until := wanted;
    SELECT k.lines INTO movie_lines FROM sales_movie_spans_kept k
    WHERE k.a = sales_report_span.a AND k.until = wanted;
    IF movie_lines IS NULL THEN
        -- Room for this one: the oldest spans beyond `keep` go, and the spans from `a` to
        -- an older minute of the same day (this one replaces them).
        WITH dropped AS (
            DELETE FROM sales_movie_spans_kept k
            WHERE (k.a, k.until) IN (SELECT o.a, o.until FROM sales_movie_spans_kept o
                                     ORDER BY o.kept_at DESC OFFSET keep - 1)
               OR (k.a = sales_report_span.a AND k.until > b_at AND k.until < wanted)
            RETURNING k.a, k.until)
        DELETE FROM sales_movie_spans s USING dropped d WHERE s.a = d.a AND s.until = d.until;
        INSERT INTO sales_movie_spans
            (a, until, movie_id, revenue_cents, refund_cents, units, refunded_units)
        SELECT sales_report_span.a, wanted, t.movie_id, sum(t.revenue_cents),
               sum(t.refund_cents), sum(t.units), sum(t.refunded_units)
        FROM (SELECT m.movie_id, m.revenue_cents, m.refund_cents, m.units, m.refunded_units
              FROM sales_movie_totals m WHERE m.day = sales_report_span.b
              UNION ALL
              SELECT m.movie_id, -m.revenue_cents, -m.refund_cents, -m.units, -m.refunded_units
              FROM sales_movie_totals m WHERE m.day = sales_report_span.a
              UNION ALL
              SELECT coalesce(e.movie_id, '00000000-0000-0000-0000-000000000000'::uuid),
                     e.revenue_cents, e.refund_cents, e.units, e.refunded_units
              FROM sales_events(b_at, wanted) e) t
        GROUP BY t.movie_id
        HAVING sum(t.units) <> 0 OR sum(t.refunded_units) <> 0;
        GET DIAGNOSTICS movie_lines = ROW_COUNT;
        INSERT INTO sales_movie_spans_kept
            (a, until, lines, revenue_cents, refund_cents, units, refunded_units)
        SELECT sales_report_span.a, wanted, movie_lines, coalesce(sum(s.revenue_cents), 0),
               coalesce(sum(s.refund_cents), 0), coalesce(sum(s.units), 0),
               coalesce(sum(s.refunded_units), 0)
        FROM sales_movie_spans s WHERE s.a = sales_report_span.a AND s.until = wanted;
        -- Never analyzed (new, or emptied), the table looks like a row per span to the
        -- planner, which then looks a page's movies up through the busiest index (a scan
        -- of the span per movie) instead of the primary key.
        IF (SELECT c.reltuples < 0 FROM pg_class c
            WHERE c.oid = 'sales_movie_spans'::regclass) THEN
            ANALYZE sales_movie_spans;
        END IF;
    END IF;
    RETURN NEXT;
END
$$;
