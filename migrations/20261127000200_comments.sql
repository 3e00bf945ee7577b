-- Comments, replies (threads of any depth), comment likes, and the notifications they cause.
-- Triggers keep every counter (a comment's replies and likes, a movie's comments and threads)
-- exact inside the writing transaction, whoever writes.

ALTER TABLE movies
    -- Top-level comments, placeholders included: the total of a movie's comment pages.
    ADD COLUMN thread_count integer NOT NULL DEFAULT 0 CHECK (thread_count >= 0);

CREATE TABLE comments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    movie_id uuid NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    -- A reply's parent, on the same movie (the composite key makes that a constraint).
    parent_id uuid,
    author_id uuid REFERENCES users (id) ON DELETE SET NULL,
    -- NULL once deleted: a comment with replies stays as a placeholder so the thread reads on.
    text text CHECK (char_length(text) BETWEEN 1 AND 2000),
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Direct replies, placeholders included: what its reply pages list.
    reply_count integer NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    like_count integer NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    CONSTRAINT comments_deleted_has_no_text CHECK ((deleted_at IS NULL) = (text IS NOT NULL)),
    CONSTRAINT comments_id_movie_key UNIQUE (id, movie_id),
    CONSTRAINT comments_parent_fkey FOREIGN KEY (parent_id, movie_id)
        REFERENCES comments (id, movie_id) ON DELETE CASCADE
);

-- A movie's threads, newest first (and oldest first, backwards); a comment's replies in order.
CREATE INDEX comments_threads_idx ON comments (movie_id, created_at, id) WHERE parent_id IS NULL;
CREATE INDEX comments_replies_idx ON comments (parent_id, created_at, id) WHERE parent_id IS NOT NULL;
CREATE INDEX comments_author_idx ON comments (author_id);

CREATE TABLE comment_likes (
    comment_id uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_likes_user_idx ON comment_likes (user_id);

-- How a person is shown to others: their name if they gave one, else a stable pseudonym (never
-- their email).
CREATE FUNCTION display_name(first_name text, last_name text, user_id uuid) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(nullif(btrim(concat_ws(' ', first_name, last_name)), ''),
                    'Member ' || left(user_id::text, 8))
$$;

CREATE FUNCTION comments_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE movies
        SET comments_count = comments_count + 1,
            thread_count = thread_count + (NEW.parent_id IS NULL)::int
        WHERE id = NEW.movie_id;
        IF NEW.parent_id IS NOT NULL THEN
            UPDATE comments SET reply_count = reply_count + 1 WHERE id = NEW.parent_id;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Turned into a placeholder: no longer a comment anyone reads.
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
            UPDATE movies SET comments_count = comments_count - 1 WHERE id = NEW.movie_id;
        END IF;
    ELSE
        UPDATE movies
        SET comments_count = comments_count - (OLD.deleted_at IS NULL)::int,
            thread_count = thread_count - (OLD.parent_id IS NULL)::int
        WHERE id = OLD.movie_id;
        IF OLD.parent_id IS NOT NULL THEN
            -- A placeholder whose last reply goes has nothing left to hold together: it goes
            -- too (and so on up the thread, through this same trigger).
            DELETE FROM comments
            WHERE id = OLD.parent_id AND deleted_at IS NOT NULL AND reply_count = 1;
            UPDATE comments SET reply_count = reply_count - 1 WHERE id = OLD.parent_id;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER comments_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_count();

CREATE FUNCTION comment_likes_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE comments SET like_count = like_count + 1 WHERE id = NEW.comment_id;
    ELSE
        UPDATE comments SET like_count = like_count - 1 WHERE id = OLD.comment_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER comment_likes_count AFTER INSERT OR DELETE ON comment_likes
    FOR EACH ROW EXECUTE FUNCTION comment_likes_count();

-- Notifications name who caused them and the comment they are about, so a like can be noticed
-- once a day per liker, and a deleted comment takes its notifications with it.
ALTER TABLE notifications
    ADD COLUMN actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    -- Deferred: a reply writes its notification before the reply itself, so the reply's
    -- insert (which locks the movie's and the parent's counters) comes last, just before commit.
    ADD COLUMN comment_id uuid REFERENCES comments (id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT notifications_kind_check
        CHECK (kind IN ('comment_reply', 'comment_liked', 'movie_removed_from_cart'));

CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at DESC, id DESC)
    WHERE read_at IS NULL;
CREATE INDEX notifications_comment_idx ON notifications (comment_id) WHERE comment_id IS NOT NULL;
