-- Each user's notification counts (all, unread), so a page of notifications reads two numbers
-- instead of counting the user's notifications on every request. Statement triggers keep them
-- exact in the writing transaction, whoever writes.
--
-- In shards: a writer adds to any shard of the user that no other transaction holds (SKIP
-- LOCKED), or opens a new one when all are held. Writers never wait on each other's counts
-- (twenty likes of one comment at once), so the counts add no lock to any lock order and can
-- deadlock nothing. A shard may go negative (a read or a delete subtracts wherever it lands);
-- the sums are exact. Shards multiply only as far as a user's concurrent writers do.
CREATE TABLE notification_counts (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shard integer NOT NULL,
    total bigint NOT NULL DEFAULT 0,
    unread bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, shard)
);

INSERT INTO notification_counts (user_id, shard, total, unread)
SELECT user_id, 0, count(*), count(*) FILTER (WHERE read_at IS NULL)
FROM notifications GROUP BY user_id;

CREATE FUNCTION add_notification_counts(target uuid, total_change bigint, unread_change bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    free integer;
BEGIN
    -- A user deleted in this transaction took their counts with them.
    IF (total_change = 0 AND unread_change = 0)
       OR NOT EXISTS (SELECT 1 FROM users WHERE id = target) THEN
        RETURN;
    END IF;
    SELECT shard INTO free FROM notification_counts WHERE user_id = target
        LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE notification_counts
        SET total = total + total_change, unread = unread + unread_change
        WHERE user_id = target AND shard = free;
    ELSE
        INSERT INTO notification_counts AS c (user_id, shard, total, unread)
        VALUES (target, floor(random() * 2147483647)::integer, total_change, unread_change)
        ON CONFLICT (user_id, shard) DO UPDATE
            SET total = c.total + EXCLUDED.total, unread = c.unread + EXCLUDED.unread;
    END IF;
END $$;

-- One call per user the statement touched (a read-all of 10,000 is one call, not 10,000).
CREATE FUNCTION notification_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM add_notification_counts(user_id, count(*), count(*) FILTER (WHERE read_at IS NULL))
        FROM new_rows GROUP BY user_id;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM add_notification_counts(user_id, -count(*),
                                        -count(*) FILTER (WHERE read_at IS NULL))
        FROM old_rows GROUP BY user_id;
    ELSE
        PERFORM add_notification_counts(user_id, sum(total), sum(unread))
        FROM (SELECT user_id, 1 AS total, (read_at IS NULL)::int AS unread FROM new_rows
              UNION ALL
              SELECT user_id, -1, -(read_at IS NULL)::int FROM old_rows) changes
        GROUP BY user_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER notification_counts_insert AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_counts();
CREATE TRIGGER notification_counts_update AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notification_counts();
CREATE TRIGGER notification_counts_delete AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_counts();
