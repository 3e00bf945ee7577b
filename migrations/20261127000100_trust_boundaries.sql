-- Trust boundaries: deactivation that sticks, login sessions that revocation and rotation
-- serialise on, rate-limit buckets of a fixed width, and outbox claims instead of a
-- transaction held across a queue call.

-- An administrator's deactivation is not "never activated": activation cannot undo it.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz,
    ADD CONSTRAINT users_deactivated_is_inactive CHECK (deactivated_at IS NULL OR NOT is_active);

-- One row per login session (refresh token family). Rotation locks it; revocation updates it,
-- so a refresh in flight and a revocation cannot both win.
CREATE TABLE login_sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

INSERT INTO login_sessions (id, user_id, created_at, revoked_at)
SELECT family_id, (array_agg(user_id))[1], min(created_at),
       CASE WHEN bool_or(revoked_at IS NOT NULL) THEN max(revoked_at) END
FROM refresh_tokens GROUP BY family_id;

CREATE INDEX login_sessions_user_idx ON login_sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX login_sessions_created_at_idx ON login_sessions (created_at);

ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_family_fkey
        FOREIGN KEY (family_id) REFERENCES login_sessions (id) ON DELETE CASCADE,
    DROP COLUMN revoked_at;

-- Buckets are SHA-256 digests of their names: any email, however long, fits the index.
ALTER TABLE rate_limit_hits ALTER COLUMN bucket TYPE bytea
    USING sha256(convert_to(bucket, 'UTF8'));

-- A relay claims a batch for a while instead of holding a transaction across the queue call.
-- `attempts` counts the claims: an email tried many times is one an operator should look at.
ALTER TABLE email_outbox ADD COLUMN claimed_until timestamptz,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0;
