-- One definition of a movie's search words (see 20261130000100_search_tiers.sql): the trigger
-- that keeps them and the generator's bulk fill both read it here.
CREATE FUNCTION movie_search_words_of(movie movies)
RETURNS TABLE (lexeme text, movie_id uuid, in_title boolean, title_length integer)
LANGUAGE sql STABLE AS $$
    SELECT w, movie.id, w = ANY (tsvector_to_array(movie.title_search)), movie.title_length
    FROM unnest(tsvector_to_array(movie.search)) w
$$;

CREATE OR REPLACE FUNCTION sync_movie_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM movie_search_words
        WHERE lexeme = ANY (tsvector_to_array(OLD.search)) AND movie_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO movie_search_words (lexeme, movie_id, in_title, title_length)
        SELECT * FROM movie_search_words_of(NEW);
    END IF;
    RETURN NULL;
END $$;
