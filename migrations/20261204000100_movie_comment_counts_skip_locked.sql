-- A movie's comment counts: a writer adds to a shard of the movie that no other transaction
-- holds (SKIP LOCKED), as notification counts do, instead of one picked at random, which made
-- two of ten concurrent comments on a busy movie wait for each other's commit more often than
-- not. Only when every shard the movie has is held does a writer take a random one (opening it
-- if new), so shards still grow only as far as a movie's concurrent writers need, to eight.
-- PL/pgSQL, not SQL: the trigger calls this for every comment, and a SQL function that cannot be
-- inlined is parsed and planned on every call, while PL/pgSQL keeps its plans.
CREATE OR REPLACE FUNCTION add_movie_comment_counts(movie uuid, comments integer, threads integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    free smallint;
BEGIN
    SELECT c.shard INTO free FROM movie_comment_counts c WHERE c.movie_id = $1
        LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE movie_comment_counts c SET comments = c.comments + $2, threads = c.threads + $3
        WHERE c.movie_id = $1 AND c.shard = free;
    ELSE
        INSERT INTO movie_comment_counts AS c (movie_id, shard, comments, threads)
        VALUES ($1, floor(random() * 8)::smallint, $2, $3)
        ON CONFLICT (movie_id, shard) DO UPDATE
            SET comments = c.comments + EXCLUDED.comments, threads = c.threads + EXCLUDED.threads;
    END IF;
END $$;
