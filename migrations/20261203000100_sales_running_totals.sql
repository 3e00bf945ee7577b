-- The sales report reads running totals kept at each day's midnight (UTC) instead of summing a
-- year of payment items on every call. A sale counts on the day it was paid and a refund on the
-- day it was paid back, so a day's figures never change once the day is over: the janitor
-- writes each midnight's totals once, from the midnight before and the day's events, and the
-- report reads two midnights plus the events of the range's unfolded edges.

ALTER TABLE payment_items ADD COLUMN refunded_at timestamptz;
UPDATE payment_items i SET refunded_at = coalesce(r.completed_at, r.created_at)
FROM refunds r WHERE r.payment_id = i.payment_id AND i.refunded;
UPDATE payment_items SET refunded_at = paid_at WHERE refunded AND refunded_at IS NULL;
ALTER TABLE payment_items
    ADD CONSTRAINT payment_items_refunded_at CHECK (refunded = (refunded_at IS NOT NULL));
CREATE INDEX payment_items_refunded_idx ON payment_items (refunded_at)
    WHERE refunded_at IS NOT NULL;

-- Every sale and every refund of a payment item in [lo, hi): the one definition of what the
-- report counts, read by the fold and by the report's edges. Money in cents: sums of bigint
-- are several times cheaper than of numeric over a year's items. Inlined by the planner.
CREATE FUNCTION sales_events(lo timestamptz, hi timestamptz)
RETURNS TABLE (
    movie_id uuid, name text, happened_at timestamptz,
    revenue_cents bigint, refund_cents bigint, units bigint, refunded_units bigint
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT movie_id, name, paid_at, (price * 100)::bigint, 0::bigint, 1::bigint, 0::bigint
    FROM payment_items WHERE paid_at >= lo AND paid_at < hi
    UNION ALL
    SELECT movie_id, name, refunded_at, 0, (price * 100)::bigint, 0, 1
    FROM payment_items WHERE refunded_at >= lo AND refunded_at < hi
$$;

-- The totals of everything sold or refunded before `day`'s midnight: in all (a row for every
-- folded midnight, even when nothing was sold, so it marks the midnight as folded), per movie
-- and per genre sold by then. Midnights are folded in order, without gaps.
CREATE TABLE sales_totals (
    day date PRIMARY KEY,
    revenue_cents bigint NOT NULL,
    refund_cents bigint NOT NULL,
    units bigint NOT NULL,
    refunded_units bigint NOT NULL
);

-- The nil uuid stands for the movies deleted before their day was folded (their items no
-- longer say which movie they were).
CREATE TABLE sales_movie_totals (
    day date NOT NULL,
    movie_id uuid NOT NULL,
    revenue_cents bigint NOT NULL,
    refund_cents bigint NOT NULL,
    units bigint NOT NULL,
    refunded_units bigint NOT NULL,
    PRIMARY KEY (day, movie_id) INCLUDE (revenue_cents, refund_cents, units, refunded_units)
);

-- A movie of two genres counts in both, with the genres it had when its day was folded.
CREATE TABLE sales_genre_totals (
    day date NOT NULL,
    genre_id bigint NOT NULL,
    revenue_cents bigint NOT NULL,
    refund_cents bigint NOT NULL,
    units bigint NOT NULL,
    refunded_units bigint NOT NULL,
    PRIMARY KEY (day, genre_id) INCLUDE (revenue_cents, refund_cents, units, refunded_units)
);

-- The name each movie was last sold under, so a deleted movie's line keeps its label.
CREATE TABLE sold_movie_names (
    movie_id uuid PRIMARY KEY,
    name text NOT NULL
);

-- Writes the totals at the midnight after day `d` from those at the midnight before it and the
-- day's events. A second call for the same day changes nothing.
CREATE FUNCTION fold_sales_day(d date) RETURNS void LANGUAGE sql AS $$
    WITH events AS MATERIALIZED (
        SELECT * FROM sales_events(d::timestamp AT TIME ZONE 'UTC',
                                   (d + 1)::timestamp AT TIME ZONE 'UTC')),
    names AS (
        INSERT INTO sold_movie_names (movie_id, name)
        SELECT DISTINCT ON (movie_id) movie_id, name FROM events
        WHERE movie_id IS NOT NULL ORDER BY movie_id
        ON CONFLICT (movie_id) DO UPDATE SET name = excluded.name
        WHERE sold_movie_names.name <> excluded.name),
    movies AS (
        INSERT INTO sales_movie_totals
            (day, movie_id, revenue_cents, refund_cents, units, refunded_units)
        SELECT d + 1, movie_id, sum(revenue_cents), sum(refund_cents), sum(units),
               sum(refunded_units)
        FROM (SELECT movie_id, revenue_cents, refund_cents, units, refunded_units
              FROM sales_movie_totals WHERE day = d
              UNION ALL
              SELECT coalesce(movie_id, '00000000-0000-0000-0000-000000000000'::uuid), revenue_cents, refund_cents, units,
                     refunded_units
              FROM events) changes
        GROUP BY movie_id
        ON CONFLICT DO NOTHING),
    genres AS (
        INSERT INTO sales_genre_totals
            (day, genre_id, revenue_cents, refund_cents, units, refunded_units)
        SELECT d + 1, genre_id, sum(revenue_cents), sum(refund_cents), sum(units),
               sum(refunded_units)
        FROM (SELECT genre_id, revenue_cents, refund_cents, units, refunded_units
              FROM sales_genre_totals WHERE day = d
              UNION ALL
              SELECT mg.genre_id, e.revenue_cents, e.refund_cents, e.units, e.refunded_units
              FROM events e JOIN movie_genres mg ON mg.movie_id = e.movie_id) changes
        GROUP BY genre_id
        ON CONFLICT DO NOTHING)
    -- One row even when nothing happened: it marks the midnight as folded.
    INSERT INTO sales_totals (day, revenue_cents, refund_cents, units, refunded_units)
    SELECT d + 1, coalesce(sum(revenue_cents), 0), coalesce(sum(refund_cents), 0),
           coalesce(sum(units), 0), coalesce(sum(refunded_units), 0)
    FROM (SELECT revenue_cents, refund_cents, units, refunded_units
          FROM sales_totals WHERE day = d
          UNION ALL
          SELECT revenue_cents, refund_cents, units, refunded_units FROM events) changes
    ON CONFLICT DO NOTHING
$$;

-- Folds the days after the last folded midnight that are over (at most `max_days` of them) and
-- answers how many. The first fold starts at the first sale's day. A day is over an hour after
-- its midnight: a transaction writing its sales or refunds (each statement is cut at a few
-- seconds) has committed by then, so none lands after its day's fold.
CREATE FUNCTION fold_sales_days(max_days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    closed_before date := ((now() - interval '1 hour') AT TIME ZONE 'UTC')::date;
    next_day date;
    folded integer := 0;
BEGIN
    -- One folder at a time: a second one waits, then finds the days folded.
    PERFORM pg_advisory_xact_lock(20261203, 0);
    SELECT max(day) INTO next_day FROM sales_totals;
    IF next_day IS NULL THEN
        SELECT (min(paid_at) AT TIME ZONE 'UTC')::date INTO next_day FROM payment_items;
        IF next_day IS NULL THEN
            RETURN 0;
        END IF;
        INSERT INTO sales_totals VALUES (next_day, 0, 0, 0, 0);
    END IF;
    WHILE next_day < closed_before AND folded < max_days LOOP
        PERFORM fold_sales_day(next_day);
        next_day := next_day + 1;
        folded := folded + 1;
    END LOOP;
    RETURN folded;
END
$$;
