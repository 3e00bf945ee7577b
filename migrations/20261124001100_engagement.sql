-- Reactions, ratings and favorites. Row triggers keep the movie's counters (likes, dislikes,
-- ratings_count, ratings_sum) in step inside the writing transaction, whoever writes.

CREATE TABLE reactions (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id uuid NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    value text NOT NULL CHECK (value IN ('like', 'dislike')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, movie_id)
);
CREATE INDEX reactions_movie_idx ON reactions (movie_id);

CREATE TABLE ratings (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id uuid NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    score smallint NOT NULL CHECK (score BETWEEN 1 AND 10),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, movie_id)
);
CREATE INDEX ratings_movie_idx ON ratings (movie_id);

CREATE TABLE favorites (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id uuid NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, movie_id)
);
CREATE INDEX favorites_movie_idx ON favorites (movie_id);

CREATE FUNCTION reactions_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE movies
        SET likes = likes - (OLD.value = 'like')::int,
            dislikes = dislikes - (OLD.value = 'dislike')::int
        WHERE id = OLD.movie_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE movies
        SET likes = likes + (NEW.value = 'like')::int,
            dislikes = dislikes + (NEW.value = 'dislike')::int
        WHERE id = NEW.movie_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER reactions_count AFTER INSERT OR DELETE OR UPDATE OF value, movie_id ON reactions
    FOR EACH ROW EXECUTE FUNCTION reactions_count();

CREATE FUNCTION ratings_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE movies
        SET ratings_count = ratings_count - 1, ratings_sum = ratings_sum - OLD.score
        WHERE id = OLD.movie_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE movies
        SET ratings_count = ratings_count + 1, ratings_sum = ratings_sum + NEW.score
        WHERE id = NEW.movie_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ratings_count AFTER INSERT OR DELETE OR UPDATE OF score, movie_id ON ratings
    FOR EACH ROW EXECUTE FUNCTION ratings_count();
