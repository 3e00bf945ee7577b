-- Accounts: users, profiles, one-time tokens, refresh token families, rate-limit counters.

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Stored trimmed and lower-cased, so uniqueness is case-insensitive.
    email text NOT NULL CONSTRAINT users_email_key UNIQUE
        CONSTRAINT users_email_normalized CHECK (email = lower(btrim(email))),
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    is_active boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX users_role_idx ON users (role);
CREATE INDEX users_created_at_idx ON users (created_at, id);

CREATE TABLE profiles (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    first_name text,
    last_name text,
    gender text CHECK (gender IN ('female', 'male', 'non_binary', 'other', 'prefer_not_to_say')),
    date_of_birth date,
    info text,
    avatar_key text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Activation and password-reset tokens: one live token per user and purpose (a resend
-- replaces it), stored as a SHA-256 digest.
CREATE TABLE account_tokens (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('activation', 'password_reset')),
    token_hash bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, purpose)
);

CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at);

-- Refresh tokens, rotated on every use. A family is one login session: presenting a spent
-- token revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    spent_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

-- Fixed-window counters for rate limits, in the database so every Lambda container sees them.
CREATE TABLE rate_limit_hits (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE INDEX rate_limit_hits_window_idx ON rate_limit_hits (window_start);
