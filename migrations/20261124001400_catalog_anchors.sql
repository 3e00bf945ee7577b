-- Every 1,000th movie of the catalog's default order (newest first, ties by id), so a deep page
-- of the unfiltered catalog seeks to the nearest anchor and walks fewer than 1,000 index entries
-- instead of every one before it (page 2,500 of 20 walked 50,000).
--
-- Any statement that adds, removes or re-dates movies drops the anchors in its own transaction,
-- so a reader (one statement, one snapshot) never sees anchors that disagree with the movies;
-- without anchors a page walks as before. The janitor rebuilds them.
CREATE TABLE catalog_anchors (
    -- How many movies come before this one in the default order.
    position bigint PRIMARY KEY CHECK (position > 0),
    created_at timestamptz NOT NULL,
    id uuid NOT NULL
);

CREATE FUNCTION drop_catalog_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM catalog_anchors;
    RETURN NULL;
END $$;

CREATE TRIGGER movies_drop_anchors
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF created_at ON movies
    FOR EACH STATEMENT EXECUTE FUNCTION drop_catalog_anchors();

-- Builds the anchors when there are none and the catalog is long enough to need them; returns
-- how many it built (0: nothing to do).
CREATE FUNCTION rebuild_catalog_anchors(step integer DEFAULT 1000) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    built bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM catalog_anchors)
       OR (SELECT movies FROM catalog_counters) <= step THEN
        RETURN 0;
    END IF;
    -- Waits for the writers of movies and keeps new ones out until commit, so the anchors
    -- match the movies they are computed from; self-conflicting, so rebuilds take turns.
    LOCK TABLE movies IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM catalog_anchors) THEN
        RETURN 0;
    END IF;
    INSERT INTO catalog_anchors (position, created_at, id)
    SELECT position, created_at, id
    FROM (SELECT row_number() OVER (ORDER BY created_at DESC, id DESC) - 1 AS position,
                 created_at, id
          FROM movies) ordered
    WHERE position > 0 AND position % step = 0;
    GET DIAGNOSTICS built = ROW_COUNT;
    RETURN built;
END $$;
