-- Payments through Stripe Checkout: the sessions asked for, the payments Stripe confirmed (by
-- verified webhook only), their refunds, and every event already handled. Money is
-- numeric(10, 2) here as everywhere; Stripe's minor units are converted at the edge.

-- One Checkout Session per order and total. The row (with the exact parameters sent) commits
-- before Stripe is called, so a retry resends the same request under the same idempotency key,
-- and a webhook that overtakes the checkout request still finds its order.
CREATE TABLE checkouts (
    idempotency_key text PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    total numeric(10, 2) NOT NULL CHECK (total >= 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    expires_at timestamptz NOT NULL,
    session_id text UNIQUE,
    checkout_url text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkouts_order_idx ON checkouts (order_id, created_at DESC);

CREATE TYPE payment_status AS ENUM ('successful', 'refunded', 'flagged');

CREATE TABLE payments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    amount numeric(10, 2) NOT NULL CHECK (amount >= 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status payment_status NOT NULL,
    -- Why a payment is flagged (its amount or currency did not match the order): support
    -- refunds it by hand.
    flag_reason text,
    stripe_session_id text UNIQUE,
    stripe_payment_intent text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_order_fkey FOREIGN KEY (order_id, user_id)
        REFERENCES orders (id, user_id) ON DELETE RESTRICT,
    CONSTRAINT payments_flag_reason CHECK ((status = 'flagged') = (flag_reason IS NOT NULL))
);
-- An order is paid once: a second successful payment for it cannot be written.
CREATE UNIQUE INDEX payments_one_per_order ON payments (order_id) WHERE status <> 'flagged';
CREATE INDEX payments_user_idx ON payments (user_id, created_at DESC, id DESC);
CREATE INDEX payments_created_idx ON payments (created_at DESC, id DESC);

-- What a payment bought, at the prices paid. `paid_at` and `refunded` are the payment's, kept
-- here so the sales report reads one table.
CREATE TABLE payment_items (
    payment_id uuid NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    position smallint NOT NULL,
    movie_id uuid REFERENCES movies (id) ON DELETE SET NULL,
    name text NOT NULL,
    price numeric(10, 2) NOT NULL CHECK (price >= 0),
    paid_at timestamptz NOT NULL,
    refunded boolean NOT NULL DEFAULT false,
    PRIMARY KEY (payment_id, position)
);
CREATE INDEX payment_items_paid_idx ON payment_items (paid_at);
CREATE INDEX payment_items_movie_idx ON payment_items (movie_id);

CREATE TYPE refund_status AS ENUM ('requested', 'succeeded', 'failed');

-- A refund commits before Stripe is asked for it; its id is the idempotency key and travels
-- in the refund's metadata. Full refunds only: one per payment.
CREATE TABLE refunds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id uuid NOT NULL UNIQUE REFERENCES payments (id) ON DELETE CASCADE,
    amount numeric(10, 2) NOT NULL CHECK (amount >= 0),
    reason text,
    status refund_status NOT NULL DEFAULT 'requested',
    stripe_refund_id text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);

-- Each Stripe event handled, written in the transaction of the change it made: a redelivery
-- finds it and changes nothing.
CREATE TABLE stripe_events (
    id text PRIMARY KEY,
    type text NOT NULL,
    outcome text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Authentic (signature-checked) events that did not parse: kept for a person to look at, and
-- answered 5xx so Stripe delivers them again.
CREATE TABLE stripe_unreadable_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload text NOT NULL,
    error text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Movies: their uploaded files (keys in the media bucket; unguessable, set by moderators).
ALTER TABLE movies
    ADD COLUMN video_key text,
    ADD COLUMN poster_key text;
