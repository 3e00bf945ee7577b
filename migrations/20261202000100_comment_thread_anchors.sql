-- Every 1,000th top-level comment of a movie with many, in the default order (newest first,
-- ties by id), so a deep page of a movie's threads seeks to the nearest anchor and walks fewer
-- than 1,000 index entries instead of every one before it (page 250 of 500 walked 5,000).
--
-- A thread added to or removed from a movie (or moved, or re-dated, by hand) drops that movie's
-- anchors in its own transaction, so a reader (one statement, one snapshot) never sees anchors
-- that disagree with the threads; without anchors a page walks from the top as before. The
-- janitor rebuilds them. Replies, edits, deletions that leave a placeholder and counters never
-- touch them.
CREATE TABLE comment_thread_anchors (
    movie_id uuid NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    -- How many of the movie's threads come before this one, newest first.
    position integer NOT NULL CHECK (position > 0),
    created_at timestamptz NOT NULL,
    id uuid NOT NULL,
    PRIMARY KEY (movie_id, position)
);

-- Keeps a movie's rebuild and its thread writers apart: writers share the lock until they
-- commit, a rebuild holds it alone, so it neither reads around a writer still open nor commits
-- anchors a writer started after it cannot see. (The two-key form: its own key space, apart
-- from the movie cards' lock.)
CREATE FUNCTION lock_comment_thread_anchors(movie uuid, exclusive boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(20261202, hashtext(movie::text));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(20261202, hashtext(movie::text));
    END IF;
END $$;

CREATE FUNCTION drop_comment_thread_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    movie uuid;
BEGIN
    FOR movie IN
        SELECT DISTINCT m FROM unnest(ARRAY[
            CASE WHEN TG_OP <> 'INSERT' AND OLD.parent_id IS NULL THEN OLD.movie_id END,
            CASE WHEN TG_OP <> 'DELETE' AND NEW.parent_id IS NULL THEN NEW.movie_id END]) m
        WHERE m IS NOT NULL
    LOOP
        PERFORM lock_comment_thread_anchors(movie, false);
        DELETE FROM comment_thread_anchors WHERE movie_id = movie;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER comments_thread_added_drops_anchors AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.parent_id IS NULL) EXECUTE FUNCTION drop_comment_thread_anchors();
CREATE TRIGGER comments_thread_removed_drops_anchors AFTER DELETE ON comments
    FOR EACH ROW WHEN (OLD.parent_id IS NULL) EXECUTE FUNCTION drop_comment_thread_anchors();
CREATE TRIGGER comments_thread_moved_drops_anchors
    AFTER UPDATE OF movie_id, parent_id, created_at ON comments
    FOR EACH ROW WHEN (OLD.parent_id IS NULL OR NEW.parent_id IS NULL)
    EXECUTE FUNCTION drop_comment_thread_anchors();

-- Builds a movie's anchors when it has none; returns how many it built (0: nothing to do, or a
-- movie with fewer threads than `step`).
CREATE FUNCTION rebuild_comment_thread_anchors(movie uuid, step integer DEFAULT 1000)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    built bigint;
BEGIN
    PERFORM lock_comment_thread_anchors(movie, true);
    -- Each statement from here reads what committed before the lock was granted.
    IF EXISTS (SELECT 1 FROM comment_thread_anchors WHERE movie_id = movie) THEN
        RETURN 0;
    END IF;
    INSERT INTO comment_thread_anchors (movie_id, position, created_at, id)
    SELECT movie, position, created_at, id
    FROM (SELECT row_number() OVER (ORDER BY created_at DESC, id DESC) - 1 AS position,
                 created_at, id
          FROM comments WHERE movie_id = movie AND parent_id IS NULL) ordered
    WHERE position > 0 AND position % step = 0;
    GET DIAGNOSTICS built = ROW_COUNT;
    RETURN built;
END $$;
