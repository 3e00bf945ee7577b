-- How many movies each release year has, kept in the writing transaction: a list filtered by
-- years alone (the 1990s shelf) reads its total here instead of counting thousands of movies on
-- every request.

CREATE TABLE movie_year_counts (
    year integer PRIMARY KEY,
    -- No CHECK (>= 0): INSERT ... ON CONFLICT checks the proposed row, and a removal proposes
    -- a negative one.
    movie_count bigint NOT NULL DEFAULT 0
);
INSERT INTO movie_year_counts (year, movie_count)
SELECT year, count(*) FROM movies GROUP BY year;

-- Adds `change` movies to each year of `years` (one UPDATE or INSERT per year).
CREATE FUNCTION count_movie_years(years integer[], change bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO movie_year_counts AS t (year, movie_count)
    SELECT y, count(*) * change FROM unnest(years) y GROUP BY y
    ON CONFLICT (year) DO UPDATE SET movie_count = t.movie_count + excluded.movie_count;
$$;

-- Statement triggers on inserts and deletes, like catalog_counters (a bulk load costs one
-- statement); a row trigger for the rare year change, so rating and reaction counter updates
-- of movies never call a function.
CREATE FUNCTION movie_years_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count_movie_years(ARRAY(SELECT year FROM new_movies), 1);
    RETURN NULL;
END $$;

CREATE FUNCTION movie_years_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count_movie_years(ARRAY(SELECT year FROM old_movies), -1);
    RETURN NULL;
END $$;

CREATE FUNCTION movie_year_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count_movie_years(ARRAY[OLD.year], -1);
    PERFORM count_movie_years(ARRAY[NEW.year], 1);
    RETURN NULL;
END $$;

CREATE TRIGGER movies_years_insert AFTER INSERT ON movies
    REFERENCING NEW TABLE AS new_movies FOR EACH STATEMENT
    EXECUTE FUNCTION movie_years_added();
CREATE TRIGGER movies_years_delete AFTER DELETE ON movies
    REFERENCING OLD TABLE AS old_movies FOR EACH STATEMENT
    EXECUTE FUNCTION movie_years_removed();
CREATE TRIGGER movies_year_update AFTER UPDATE OF year ON movies
    FOR EACH ROW WHEN (OLD.year IS DISTINCT FROM NEW.year)
    EXECUTE FUNCTION movie_year_changed();
