-- A destination's queue is divided into lanes, one per ticket (ticket_id 0,
-- announcements, direct messages and greetings, is one lane of its own).
-- Order is kept within a lane, not across lanes: a ticket whose root fails
-- again and again waits alone, and the tickets behind it pass.
--
-- outbox_heads (0001) still lists each destination once, by its oldest
-- delivery, which orders the destinations. Its next_at now says when the
-- destination is next due: its earliest lane head, or the end of its pause
-- if that is later. The workers' poll stays one indexed read per
-- destination, however many lanes wait behind it. Nothing there is NULL
-- any more: the zero time (due at once) is the smallest integer, so that
-- "due" is one range, not a range or a NULL test.

-- The head of every lane.
CREATE TABLE outbox_lanes (
	id          INTEGER PRIMARY KEY, -- the lane head's outbox id
	destination TEXT    NOT NULL,
	ticket_id   INTEGER NOT NULL,
	next_at     INTEGER NOT NULL,
	UNIQUE (destination, ticket_id)
) STRICT;

-- "When is this destination's earliest lane due?", one probe.
CREATE INDEX outbox_lanes_due ON outbox_lanes (destination, next_at);
-- "The oldest due lane of this destination": walk its lanes oldest first.
CREATE INDEX outbox_lanes_age ON outbox_lanes (destination, id);

-- When a lane's head leaves, the next of that lane is looked up.
CREATE INDEX outbox_lane ON outbox (destination, ticket_id, id);

-- A wait for a whole destination, as when the desk answers 429 with
-- Retry-After: the rate limit is the channel's, not one ticket's.
CREATE TABLE outbox_pauses (
	destination TEXT    PRIMARY KEY,
	until       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The heads' next_at is kept by the triggers below, which replace those of
-- 0001: one trigger per change, so the steps run in the order written.
DROP TRIGGER outbox_enqueued;
DROP TRIGGER outbox_postponed;
DROP TRIGGER outbox_finished;

INSERT INTO outbox_lanes (id, destination, ticket_id, next_at)
SELECT id, destination, ticket_id, COALESCE(next_at, -9223372036854775808) FROM outbox o
WHERE id = (SELECT MIN(id) FROM outbox WHERE destination = o.destination AND ticket_id = o.ticket_id);

UPDATE outbox_heads SET next_at = (SELECT MIN(next_at) FROM outbox_lanes l WHERE l.destination = outbox_heads.destination);

-- A new delivery is the head of a lane, and of its destination, only if
-- they were empty.
CREATE TRIGGER outbox_enqueued AFTER INSERT ON outbox BEGIN
	INSERT INTO outbox_lanes (id, destination, ticket_id, next_at)
	VALUES (NEW.id, NEW.destination, NEW.ticket_id, COALESCE(NEW.next_at, -9223372036854775808))
	ON CONFLICT (destination, ticket_id) DO NOTHING;
	INSERT INTO outbox_heads (id, destination, next_at) VALUES (NEW.id, NEW.destination, 0)
	ON CONFLICT (destination) DO NOTHING;
	UPDATE outbox_heads SET next_at = MAX(
		(SELECT MIN(next_at) FROM outbox_lanes WHERE destination = NEW.destination),
		COALESCE((SELECT until FROM outbox_pauses WHERE destination = NEW.destination), -9223372036854775808))
	WHERE destination = NEW.destination;
END;

CREATE TRIGGER outbox_postponed AFTER UPDATE OF next_at ON outbox BEGIN
	UPDATE outbox_lanes SET next_at = COALESCE(NEW.next_at, -9223372036854775808) WHERE id = NEW.id;
	UPDATE outbox_heads SET next_at = MAX(
		(SELECT MIN(next_at) FROM outbox_lanes WHERE destination = NEW.destination),
		COALESCE((SELECT until FROM outbox_pauses WHERE destination = NEW.destination), -9223372036854775808))
	WHERE destination = NEW.destination;
END;

-- Lanes are kept per ticket, as heads are per destination
-- (outbox_destination_fixed).
CREATE TRIGGER outbox_ticket_fixed BEFORE UPDATE OF ticket_id ON outbox
WHEN NEW.ticket_id <> OLD.ticket_id BEGIN
	SELECT RAISE(ABORT, 'a delivery cannot change ticket');
END;

-- When a lane's head leaves, the next of its lane (if any) takes its place,
-- and likewise for the destination's head. A destination whose last
-- delivery left forgets its pause: the pause was about deliveries that are
-- gone.
CREATE TRIGGER outbox_finished AFTER DELETE ON outbox BEGIN
	DELETE FROM outbox_lanes WHERE id = OLD.id;
	INSERT INTO outbox_lanes (id, destination, ticket_id, next_at)
	SELECT id, destination, ticket_id, COALESCE(next_at, -9223372036854775808) FROM outbox
	WHERE destination = OLD.destination AND ticket_id = OLD.ticket_id ORDER BY id LIMIT 1
	ON CONFLICT (destination, ticket_id) DO NOTHING;
	DELETE FROM outbox_heads WHERE id = OLD.id;
	INSERT INTO outbox_heads (id, destination, next_at)
	SELECT id, destination, 0 FROM outbox
	WHERE destination = OLD.destination ORDER BY id LIMIT 1
	ON CONFLICT (destination) DO NOTHING;
	DELETE FROM outbox_pauses WHERE destination = OLD.destination
	AND NOT EXISTS (SELECT 1 FROM outbox_heads WHERE destination = OLD.destination);
	UPDATE outbox_heads SET next_at = MAX(
		(SELECT MIN(next_at) FROM outbox_lanes WHERE destination = OLD.destination),
		COALESCE((SELECT until FROM outbox_pauses WHERE destination = OLD.destination), -9223372036854775808))
	WHERE destination = OLD.destination;
END;

-- A pause moves its destination's due time; an upsert fires one of these.
CREATE TRIGGER outbox_paused AFTER INSERT ON outbox_pauses BEGIN
	UPDATE outbox_heads SET next_at = MAX(
		(SELECT MIN(next_at) FROM outbox_lanes WHERE destination = NEW.destination), NEW.until)
	WHERE destination = NEW.destination;
END;

CREATE TRIGGER outbox_pause_moved AFTER UPDATE OF until ON outbox_pauses BEGIN
	UPDATE outbox_heads SET next_at = MAX(
		(SELECT MIN(next_at) FROM outbox_lanes WHERE destination = NEW.destination), NEW.until)
	WHERE destination = NEW.destination;
END;
