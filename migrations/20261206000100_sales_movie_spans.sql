-- The sales report by movie reads, for a range, the movies' running totals at two folded
-- midnights (every movie sold by then: ten thousand rows) and the events at the range's edges.
-- What lies between two folded midnights never changes, so the first report of a span keeps
-- its lines here (the movies whose figures moved within it, busiest first in an index); a
-- later report of the same span reads only the page's candidates and the edges' movies.
-- Anything that rewrites the running totals (the bench generator's refold) clears them too.
CREATE TABLE sales_movie_spans (
    a date NOT NULL,
    b date NOT NULL,
    movie_id uuid NOT NULL,
    revenue_cents bigint NOT NULL,
    refund_cents bigint NOT NULL,
    units bigint NOT NULL,
    refunded_units bigint NOT NULL,
    PRIMARY KEY (a, b, movie_id) INCLUDE (revenue_cents, refund_cents, units, refunded_units)
);

CREATE INDEX sales_movie_spans_busiest
    ON sales_movie_spans (a, b, revenue_cents DESC, movie_id);

-- The spans kept, with their number of lines; the oldest go when more are asked for.
CREATE TABLE sales_movie_spans_kept (
    a date NOT NULL,
    b date NOT NULL,
    lines bigint NOT NULL,
    kept_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (a, b)
);

-- The folded midnights a report from midnight `lo` to midnight `hi` can read (`a` to `b`;
-- nulls when it can read none) and, for a report by movie (`by_movie`), the number of
-- lines of that span, kept first if it was not. At most `keep` spans are kept: the oldest go,
-- so a report must check that its span is still kept when it reads it (a span goes whole,
-- with its row in `sales_movie_spans_kept`, in one statement).
CREATE FUNCTION sales_report_span(lo date, hi date, by_movie boolean, keep integer)
RETURNS TABLE (a date, b date, movie_lines bigint)
LANGUAGE plpgsql AS $$
DECLARE
    first_folded date;
    last_folded date;
BEGIN
    IF keep IS NULL OR keep < 1 THEN
        RAISE EXCEPTION 'keep at least one span, not %', keep;
    END IF;
    SELECT min(t.day), max(t.day) INTO first_folded, last_folded FROM sales_totals t;
    a := greatest(lo, first_folded);
    b := least(hi, last_folded);
    IF first_folded IS NULL OR a > b THEN
        a := NULL;
        b := NULL;
        RETURN NEXT;
        RETURN;
    END IF;
    IF NOT by_movie THEN
        RETURN NEXT;
        RETURN;
    END IF;
    IF a = b THEN
        -- One midnight: no day between, no line.
        movie_lines := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT k.lines INTO movie_lines FROM sales_movie_spans_kept k
    WHERE k.a = sales_report_span.a AND k.b = sales_report_span.b;
    IF movie_lines IS NULL THEN
        -- One keeper at a time: a second one waits, then finds the span kept.
        PERFORM pg_advisory_xact_lock(20261206, 0);
        SELECT k.lines INTO movie_lines FROM sales_movie_spans_kept k
        WHERE k.a = sales_report_span.a AND k.b = sales_report_span.b;
    END IF;
    IF movie_lines IS NULL THEN
        WITH dropped AS (
            DELETE FROM sales_movie_spans_kept k
            WHERE (k.a, k.b) IN (SELECT o.a, o.b FROM sales_movie_spans_kept o
                                 ORDER BY o.kept_at DESC OFFSET keep - 1)
            RETURNING k.a, k.b)
        DELETE FROM sales_movie_spans s USING dropped d WHERE s.a = d.a AND s.b = d.b;
        INSERT INTO sales_movie_spans
            (a, b, movie_id, revenue_cents, refund_cents, units, refunded_units)
        SELECT sales_report_span.a, sales_report_span.b, t.movie_id, sum(t.revenue_cents),
               sum(t.refund_cents), sum(t.units), sum(t.refunded_units)
        FROM (SELECT m.movie_id, m.revenue_cents, m.refund_cents, m.units, m.refunded_units
              FROM sales_movie_totals m WHERE m.day = sales_report_span.b
              UNION ALL
              SELECT m.movie_id, -m.revenue_cents, -m.refund_cents, -m.units, -m.refunded_units
              FROM sales_movie_totals m WHERE m.day = sales_report_span.a) t
        GROUP BY t.movie_id
        HAVING sum(t.units) <> 0 OR sum(t.refunded_units) <> 0;
        GET DIAGNOSTICS movie_lines = ROW_COUNT;
        INSERT INTO sales_movie_spans_kept (a, b, lines)
        VALUES (sales_report_span.a, sales_report_span.b, movie_lines);
    END IF;
    RETURN NEXT;
END
$$;
