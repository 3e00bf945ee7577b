-- A search ranks in tiers: movies whose title matches, shortest title first; then the other
-- matches by full-text rank (people weighted above description). A broad word matches
-- thousands of movies; ranking or even counting them through the GIN index visits a table page
-- per match. So every word of every movie's search document is also listed in a table of its
-- own, where a one-word search counts its matches and finds its page of titles within an index,
-- without visiting a movie. Other searches tell a title match by the stored title words.
ALTER TABLE movies
    ADD COLUMN title_search tsvector GENERATED ALWAYS AS (to_tsvector('english', name)) STORED,
    ADD COLUMN title_length integer GENERATED ALWAYS AS (char_length(name)) STORED;

-- One row per word (lexeme) of a movie's search document, kept by the triggers below in the
-- transaction that changes the document. No foreign key: its cascade would need an index on
-- movie_id for nothing else; the delete trigger removes a movie's words instead.
CREATE TABLE movie_search_words (
    lexeme text NOT NULL,
    movie_id uuid NOT NULL,
    -- The word is in the title, and how long the title is (the title tier's order).
    in_title boolean NOT NULL,
    title_length integer NOT NULL,
    PRIMARY KEY (lexeme, movie_id)
);
CREATE INDEX movie_search_words_titles_idx
    ON movie_search_words (lexeme, title_length, movie_id) WHERE in_title;

CREATE FUNCTION sync_movie_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM movie_search_words
        WHERE lexeme = ANY (tsvector_to_array(OLD.search)) AND movie_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO movie_search_words (lexeme, movie_id, in_title, title_length)
        SELECT w, NEW.id, w = ANY (tsvector_to_array(NEW.title_search)), NEW.title_length
        FROM unnest(tsvector_to_array(NEW.search)) w;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER movies_search_words_insert AFTER INSERT ON movies
    FOR EACH ROW EXECUTE FUNCTION sync_movie_search_words();
-- Counter updates (likes, ratings) touch neither column and fire nothing.
CREATE TRIGGER movies_search_words_update AFTER UPDATE OF search, name ON movies
    FOR EACH ROW
    WHEN (OLD.search IS DISTINCT FROM NEW.search OR OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION sync_movie_search_words();
CREATE TRIGGER movies_search_words_delete AFTER DELETE ON movies
    FOR EACH ROW EXECUTE FUNCTION sync_movie_search_words();

INSERT INTO movie_search_words (lexeme, movie_id, in_title, title_length)
SELECT w, m.id, w = ANY (tsvector_to_array(m.title_search)), m.title_length
FROM movies m, unnest(tsvector_to_array(m.search)) w;
