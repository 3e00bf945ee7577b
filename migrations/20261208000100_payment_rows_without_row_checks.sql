-- Paying for an order checked 21 foreign keys besides writing its rows: each of its ten
-- purchases its buyer and its movie, each payment item its movie, the payment its buyer.
-- Postgres runs every such check as a query of its own, and each movie check writes a row lock
-- onto the movie's page: together a fifth of the database's time per payment
-- (bench/COMMERCE.md). One statement writes those rows (the fulfilment), from the locked order
-- and its lines, whose keys are checked when the order is made; what the foreign keys did when
-- a movie or an account is deleted, the triggers below do on that side, where deletes are rare.
ALTER TABLE purchases
    DROP CONSTRAINT purchases_user_id_fkey,
    DROP CONSTRAINT purchases_movie_id_fkey;
ALTER TABLE payment_items DROP CONSTRAINT payment_items_movie_id_fkey;
-- Implied: a payment's (order_id, user_id) is its order's, and the order's user_id is checked.
ALTER TABLE payments DROP CONSTRAINT payments_user_id_fkey;

-- A bought movie is never deleted; one whose purchases were all refunded leaves its sales
-- lines, which keep their name and price. Each step is a statement of its own, so each sees
-- what committed before it.
CREATE FUNCTION movie_deleted_keeps_sales() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A payment of a pending order with this movie may be under way, holding the order's
    -- lock: wait for it, so that its purchase is seen below. A payment that starts after this
    -- waits for the delete, and then reads the order's lines without the movie.
    PERFORM 1 FROM orders o JOIN order_items oi ON oi.order_id = o.id
    WHERE oi.movie_id = OLD.id AND o.status = 'pending'
    FOR SHARE OF o;
    IF EXISTS (SELECT 1 FROM purchases WHERE movie_id = OLD.id) THEN
        RAISE EXCEPTION 'movie % has been bought', OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'purchases_movie_bought';
    END IF;
    UPDATE payment_items SET movie_id = NULL WHERE movie_id = OLD.id;
    RETURN OLD;
END $$;

CREATE TRIGGER movies_deleted_keep_sales BEFORE DELETE ON movies
    FOR EACH ROW EXECUTE FUNCTION movie_deleted_keeps_sales();

-- An account deleted takes its library with it (an account with orders is never deleted).
CREATE FUNCTION account_deleted_drops_purchases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM purchases WHERE user_id = OLD.id;
    RETURN OLD;
END $$;

CREATE TRIGGER users_deleted_drop_purchases BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION account_deleted_drops_purchases();

-- An order's lines follow whether it is live (pending or paid), not its every status: the
-- trigger also fired on pending -> paid, once per payment, to find no line to change.
DROP TRIGGER order_items_follow_status ON orders;
CREATE TRIGGER order_items_follow_status AFTER UPDATE OF status ON orders
    FOR EACH ROW
    WHEN ((OLD.status IN ('pending', 'paid')) IS DISTINCT FROM (NEW.status IN ('pending', 'paid')))
    EXECUTE FUNCTION order_items_follow_status();
