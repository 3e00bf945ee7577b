-- How many movies use each genre, director, star and certification, kept in the writing
-- transaction by statement triggers (one UPDATE per statement, however many links it writes).
-- Lists show it as `movie_count`, and a list filtered by one of them alone reads its total from
-- here instead of counting thousands of links per request.

ALTER TABLE genres ADD COLUMN movie_count integer NOT NULL DEFAULT 0;
ALTER TABLE directors ADD COLUMN movie_count integer NOT NULL DEFAULT 0;
ALTER TABLE stars ADD COLUMN movie_count integer NOT NULL DEFAULT 0;
ALTER TABLE certifications ADD COLUMN movie_count integer NOT NULL DEFAULT 0;

UPDATE genres t SET movie_count = (SELECT count(*) FROM movie_genres l WHERE l.genre_id = t.id);
UPDATE directors t
SET movie_count = (SELECT count(*) FROM movie_directors l WHERE l.director_id = t.id);
UPDATE stars t SET movie_count = (SELECT count(*) FROM movie_stars l WHERE l.star_id = t.id);
UPDATE certifications t
SET movie_count = (SELECT count(*) FROM movies l WHERE l.certification_id = t.id);

-- TG_ARGV: the counted table and the link column. Reads the statement's transition tables.
CREATE FUNCTION count_links_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'UPDATE %I t SET movie_count = t.movie_count + n.count
         FROM (SELECT %I AS id, count(*) AS count FROM new_links GROUP BY 1) n
         WHERE t.id = n.id', TG_ARGV[0], TG_ARGV[1]);
    RETURN NULL;
END $$;

CREATE FUNCTION count_links_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'UPDATE %I t SET movie_count = t.movie_count - n.count
         FROM (SELECT %I AS id, count(*) AS count FROM old_links GROUP BY 1) n
         WHERE t.id = n.id', TG_ARGV[0], TG_ARGV[1]);
    RETURN NULL;
END $$;

CREATE TRIGGER movie_genres_added AFTER INSERT ON movie_genres
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT
    EXECUTE FUNCTION count_links_added('genres', 'genre_id');
CREATE TRIGGER movie_genres_removed AFTER DELETE ON movie_genres
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT
    EXECUTE FUNCTION count_links_removed('genres', 'genre_id');
CREATE TRIGGER movie_directors_added AFTER INSERT ON movie_directors
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT
    EXECUTE FUNCTION count_links_added('directors', 'director_id');
CREATE TRIGGER movie_directors_removed AFTER DELETE ON movie_directors
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT
    EXECUTE FUNCTION count_links_removed('directors', 'director_id');
CREATE TRIGGER movie_stars_added AFTER INSERT ON movie_stars
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT
    EXECUTE FUNCTION count_links_added('stars', 'star_id');
CREATE TRIGGER movie_stars_removed AFTER DELETE ON movie_stars
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT
    EXECUTE FUNCTION count_links_removed('stars', 'star_id');
CREATE TRIGGER movies_certification_added AFTER INSERT ON movies
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT
    EXECUTE FUNCTION count_links_added('certifications', 'certification_id');
CREATE TRIGGER movies_certification_removed AFTER DELETE ON movies
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT
    EXECUTE FUNCTION count_links_removed('certifications', 'certification_id');

-- A movie moving to another certification: a row trigger that fires only for that column, so
-- the counter updates of reactions and ratings (which also update movies) pay nothing.
CREATE FUNCTION certification_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE certifications SET movie_count = movie_count - 1 WHERE id = OLD.certification_id;
    UPDATE certifications SET movie_count = movie_count + 1 WHERE id = NEW.certification_id;
    RETURN NULL;
END $$;

CREATE TRIGGER movies_certification_changed AFTER UPDATE OF certification_id ON movies
    FOR EACH ROW WHEN (OLD.certification_id IS DISTINCT FROM NEW.certification_id)
    EXECUTE FUNCTION certification_changed();
