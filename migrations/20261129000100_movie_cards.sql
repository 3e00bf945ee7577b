-- Each movie's list card: what a list shows of it, with its certification and genres, except
-- the counters every like and rating changes (a list appends them at read time), the currency
-- (the deployment's) and the poster link (signed by the API). A list of 50 then reads one column per movie instead of
-- building 50 objects, joining 50 certifications and aggregating 50 genre lists per request.
--
-- Kept by triggers in the writing transaction (a movie's own columns, its genre links, a genre
-- or certification renamed), so no reader ever sees a card older than the data it came from.
-- Stored as the JSON object's text without its closing brace, so the read appends the
-- counters with plain string concatenation.
--
-- The genre ids are stored on the movie as well, and every sort index carries them and the
-- year: a genre page or a year range then walks its sort index and checks each entry in the
-- index itself (no lookup of a link per movie, no heap fetch per skipped movie).
ALTER TABLE movies
    ADD COLUMN card text,
    ADD COLUMN genre_ids bigint[] NOT NULL DEFAULT '{}';

CREATE FUNCTION movie_genre_ids(movie uuid) RETURNS bigint[] LANGUAGE sql STABLE AS $$
    SELECT ARRAY(SELECT genre_id FROM movie_genres WHERE movie_id = movie ORDER BY genre_id)
$$;

-- A time as the API spells it everywhere else (RFC 3339 in UTC with a Z, and only as many
-- fraction digits as it needs: none, milliseconds or microseconds), so a list's times read
-- exactly like the detail's.
CREATE FUNCTION api_time(at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN micros = '000000' THEN ''
                WHEN right(micros, 3) = '000' THEN '.' || left(micros, 3)
                ELSE '.' || micros END
        || 'Z'
    FROM (SELECT at AT TIME ZONE 'UTC' AS utc) t,
         LATERAL (SELECT to_char(t.utc, 'US') AS micros) f
$$;

CREATE FUNCTION movie_card(m movies) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT left(json_build_object(
        'id', m.id, 'name', m.name, 'year', m.year, 'time', m.time, 'imdb', m.imdb,
        'votes', m.votes, 'price', m.price::text, 'is_available', m.is_available,
        'certification', (SELECT json_build_object('id', c.id, 'name', c.name)
                          FROM certifications c WHERE c.id = m.certification_id),
        'genres', coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name)
                                            ORDER BY g.name, g.id)
                            FROM movie_genres l JOIN genres g ON g.id = l.genre_id
                            WHERE l.movie_id = m.id), '[]'::json),
        'created_at', api_time(m.created_at))::text, -1)
$$;

UPDATE movies m SET card = movie_card(m), genre_ids = movie_genre_ids(m.id);
ALTER TABLE movies ALTER COLUMN card SET NOT NULL;

DROP INDEX movies_created_at_idx, movies_price_idx, movies_year_idx, movies_imdb_idx,
    movies_votes_idx, movies_name_idx, movies_popularity_idx, movies_rating_asc_idx,
    movies_rating_desc_idx;
CREATE INDEX movies_created_at_idx ON movies (created_at, id) INCLUDE (year, genre_ids);
CREATE INDEX movies_price_idx ON movies (price, id) INCLUDE (year, genre_ids);
CREATE INDEX movies_year_idx ON movies (year, id) INCLUDE (genre_ids);
CREATE INDEX movies_imdb_idx ON movies (imdb, id) INCLUDE (year, genre_ids);
CREATE INDEX movies_votes_idx ON movies (votes, id) INCLUDE (year, genre_ids);
CREATE INDEX movies_name_idx ON movies (name, id) INCLUDE (year, genre_ids);
CREATE INDEX movies_popularity_idx ON movies (popularity, id) INCLUDE (year, genre_ids);
CREATE INDEX movies_rating_asc_idx ON movies (average_rating ASC NULLS LAST, id ASC)
    INCLUDE (year, genre_ids);
CREATE INDEX movies_rating_desc_idx ON movies (average_rating DESC NULLS LAST, id DESC)
    INCLUDE (year, genre_ids);

-- A movie written: its card from the new row. Only the card's columns fire it, so the counter
-- updates of reactions and ratings pay nothing.
-- Card writes and renames take turns: every card write holds this lock shared until its
-- transaction ends, a rename holds it exclusively. Without it a rename misses a card written at
-- the same moment with the old name (neither sees the other's uncommitted row), and two renames
-- at once each rewrite a shared card with the other's old name. Each statement after the lock
-- reads what committed before it. Likes and ratings write no card and never take it.
CREATE FUNCTION lock_movie_cards(exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(7320211129);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7320211129);
    END IF;
END $$;

CREATE FUNCTION movies_write_card() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_movie_cards(false);
    NEW.card := movie_card(NEW);
    RETURN NEW;
END $$;

CREATE TRIGGER movies_card
    BEFORE INSERT OR UPDATE OF name, year, time, imdb, votes, price, is_available,
                               certification_id, created_at ON movies
    FOR EACH ROW EXECUTE FUNCTION movies_write_card();

-- Genre links added or removed: the cards and genre ids of the movies they belong to, once
-- per statement. (A movie being deleted is already gone when its links cascade, so it is not
-- rewritten.)
CREATE FUNCTION movie_cards_on_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_movie_cards(false);
    UPDATE movies m SET card = movie_card(m), genre_ids = movie_genre_ids(m.id)
    WHERE m.id IN (SELECT movie_id FROM changed_links);
    RETURN NULL;
END $$;

CREATE TRIGGER movie_genres_cards_added AFTER INSERT ON movie_genres
    REFERENCING NEW TABLE AS changed_links FOR EACH STATEMENT
    EXECUTE FUNCTION movie_cards_on_links();
CREATE TRIGGER movie_genres_cards_removed AFTER DELETE ON movie_genres
    REFERENCING OLD TABLE AS changed_links FOR EACH STATEMENT
    EXECUTE FUNCTION movie_cards_on_links();

-- A genre or certification renamed: the cards that show its name.
CREATE FUNCTION movie_cards_on_genre_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_movie_cards(true);
    UPDATE movies m SET card = movie_card(m)
    WHERE m.id IN (SELECT movie_id FROM movie_genres WHERE genre_id = NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER genres_cards AFTER UPDATE OF name ON genres
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION movie_cards_on_genre_rename();

CREATE FUNCTION movie_cards_on_certification_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_movie_cards(true);
    UPDATE movies m SET card = movie_card(m) WHERE m.certification_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER certifications_cards AFTER UPDATE OF name ON certifications
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION movie_cards_on_certification_rename();

-- A favorites page in its default order (newest movies first) walks the user's favorites in
-- that order instead of looking up every favorite movie to sort them: each favorite carries
-- its movie's created_at. The API never changes a movie's created_at; a trigger follows a
-- change made by hand. (Null only for a row whose movie is missing, which its foreign key
-- refuses anyway.)
ALTER TABLE favorites ADD COLUMN movie_created_at timestamptz;
UPDATE favorites f SET movie_created_at = m.created_at FROM movies m WHERE m.id = f.movie_id;
CREATE INDEX favorites_newest_idx ON favorites (user_id, movie_created_at, movie_id);

CREATE FUNCTION favorites_copy_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.movie_created_at := (SELECT created_at FROM movies WHERE id = NEW.movie_id);
    RETURN NEW;
END $$;

CREATE TRIGGER favorites_created_at BEFORE INSERT OR UPDATE OF movie_id ON favorites
    FOR EACH ROW EXECUTE FUNCTION favorites_copy_created_at();

CREATE FUNCTION movies_created_at_to_favorites() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE favorites SET movie_created_at = NEW.created_at WHERE movie_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER movies_created_at_favorites AFTER UPDATE OF created_at ON movies
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION movies_created_at_to_favorites();
