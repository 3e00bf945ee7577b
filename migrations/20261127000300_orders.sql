-- Orders: a cart's orderable movies with their prices snapshotted. A user never holds a movie in
-- two live (pending or paid) orders: a partial unique index on the order items, kept in step
-- with the order's status by a trigger, is the guarantee whatever code path writes.

CREATE TYPE order_status AS ENUM ('pending', 'paid', 'canceled', 'refunded');

CREATE TABLE orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Money records outlive nothing they point at: an account with orders is not deleted.
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    status order_status NOT NULL DEFAULT 'pending',
    total numeric(10, 2) NOT NULL CHECK (total >= 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_id_user_key UNIQUE (id, user_id)
);

CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_pending_idx ON orders (created_at) WHERE status = 'pending';

CREATE TABLE order_items (
    order_id uuid NOT NULL,
    user_id uuid NOT NULL,
    -- A movie deleted later leaves the line as it was sold (name and price kept below).
    movie_id uuid REFERENCES movies (id) ON DELETE SET NULL,
    name text NOT NULL,
    price_at_order numeric(10, 2) NOT NULL CHECK (price_at_order >= 0),
    -- The order is pending or paid: the movie is spoken for.
    active boolean NOT NULL DEFAULT true,
    position smallint NOT NULL,
    PRIMARY KEY (order_id, position),
    CONSTRAINT order_items_order_fkey FOREIGN KEY (order_id, user_id)
        REFERENCES orders (id, user_id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX order_items_one_live_order ON order_items (user_id, movie_id) WHERE active;
CREATE INDEX order_items_movie_idx ON order_items (movie_id);

CREATE FUNCTION order_items_follow_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_items SET active = NEW.status IN ('pending', 'paid')
    WHERE order_id = NEW.id AND active IS DISTINCT FROM (NEW.status IN ('pending', 'paid'));
    RETURN NULL;
END $$;

CREATE TRIGGER order_items_follow_status AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION order_items_follow_status();

-- Why an order would leave a movie of the cart out, if it would: the one definition the cart's
-- page and order creation share (an SQL function Postgres inlines into either statement).
CREATE FUNCTION order_exclusion(buyer uuid, movie uuid, available boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM purchases p WHERE p.user_id = buyer AND p.movie_id = movie)
            THEN 'already_purchased'
        WHEN NOT available THEN 'unavailable'
        WHEN EXISTS (SELECT 1 FROM order_items oi
                     WHERE oi.user_id = buyer AND oi.movie_id = movie AND oi.active)
            THEN 'in_pending_order'
    END
$$;

-- The cart lists newest additions last; a user's cart is read by its key.
CREATE INDEX cart_items_user_added_idx ON cart_items (user_id, added_at, movie_id);
