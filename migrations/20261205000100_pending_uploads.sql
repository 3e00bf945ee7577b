-- Uploads handed out and not yet seen in S3. A profile or a movie points at a new file only
-- once the file is there (the janitor promotes it on S3's "Object Created" event, or on its
-- minutely sweep), so a link never comes before its file and an abandoned upload changes
-- nothing.
CREATE TABLE pending_uploads (
    key text PRIMARY KEY,
    slot text NOT NULL CHECK (slot IN ('avatar', 'poster', 'video')),
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    movie_id uuid REFERENCES movies (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- When the presigned PUT stops working: no upload can start after it.
    expires_at timestamptz NOT NULL,
    -- When a sweep last asked S3 about it: each sweep takes the longest unasked first.
    checked_at timestamptz,
    -- An avatar belongs to a user, a poster or a video to a movie.
    CHECK ((slot = 'avatar') = (user_id IS NOT NULL)
           AND (slot = 'avatar') = (movie_id IS NULL))
);

CREATE INDEX pending_uploads_of_user ON pending_uploads (user_id, created_at)
    WHERE user_id IS NOT NULL;
CREATE INDEX pending_uploads_of_movie ON pending_uploads (movie_id, slot, created_at)
    WHERE movie_id IS NOT NULL;
CREATE INDEX pending_uploads_by_expiry ON pending_uploads (expires_at);
CREATE INDEX pending_uploads_by_check ON pending_uploads (checked_at NULLS FIRST, created_at);
