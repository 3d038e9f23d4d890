-- Times are unix microseconds (UTC); NULL is the zero time.Time ("not yet").
-- Ids use AUTOINCREMENT so a number is never handed out twice: ticket #N is
-- what people quote, and an outbox id is a delivery's idempotency key.

CREATE TABLE tickets (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	source          TEXT    NOT NULL,
	conversation    TEXT    NOT NULL,
	customer_id     TEXT    NOT NULL,
	customer_name   TEXT    NOT NULL,
	customer_handle TEXT    NOT NULL,
	text            TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	owner_id        TEXT    NOT NULL,
	owner_name      TEXT    NOT NULL,
	handovers       INTEGER NOT NULL,
	reopens         INTEGER NOT NULL,
	desk_thread     TEXT    NOT NULL,
	last_inbound    TEXT    NOT NULL,
	opened_at       INTEGER,
	deadline        INTEGER,
	first_reply_at  INTEGER,
	resolved_at     INTEGER,
	updated_at      INTEGER
) STRICT;

-- Every agent action in a thread looks its ticket up by thread. "" means
-- "not posted yet" and is shared by many tickets, so it stays out.
CREATE UNIQUE INDEX tickets_desk_thread ON tickets (desk_thread) WHERE desk_thread <> '';

-- Every inbound message asks for the customer's newest ticket.
CREATE INDEX tickets_customer ON tickets (source, conversation, customer_id, id);

-- The open list and SLA sweeps; resolved tickets, the bulk over time, stay out.
CREATE INDEX tickets_open ON tickets (opened_at, id) WHERE state <> 'resolved';

CREATE TABLE messages (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
	kind        TEXT    NOT NULL,
	author      TEXT    NOT NULL,
	author_name TEXT    NOT NULL,
	text        TEXT    NOT NULL,
	source_ref  TEXT    NOT NULL,
	desk_ref    TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	at          INTEGER
) STRICT;

CREATE INDEX messages_ticket ON messages (ticket_id, id);

CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	ticket_id INTEGER NOT NULL REFERENCES tickets (id),
	kind      TEXT    NOT NULL,
	actor     TEXT    NOT NULL,
	detail    TEXT    NOT NULL,
	at        INTEGER
) STRICT;

CREATE INDEX events_ticket ON events (ticket_id, id);

-- Network event ids already handled. Pruned by age (ForgetSeen).
CREATE TABLE seen (
	key TEXT PRIMARY KEY,
	at  INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX seen_at ON seen (at);

-- No foreign key to tickets: greetings have no ticket (ticket_id 0).
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	destination  TEXT    NOT NULL,
	job          TEXT    NOT NULL,
	ticket_id    INTEGER NOT NULL,
	message_id   INTEGER NOT NULL,
	agent        TEXT    NOT NULL,
	source       TEXT    NOT NULL,
	conversation TEXT    NOT NULL,
	text         TEXT    NOT NULL,
	attempts     INTEGER NOT NULL,
	next_at      INTEGER,
	created_at   INTEGER,
	last_error   TEXT    NOT NULL
) STRICT;

-- Per-destination FIFO: the head of each queue is its lowest id.
CREATE INDEX outbox_destination ON outbox (destination, id);

-- The head of every destination's queue, kept by the triggers below, so
-- that the delivery workers' poll reads one row per queue in id order
-- instead of searching the whole backlog for heads: the poll stays cheap
-- exactly when a network is down and deliveries pile up.
CREATE TABLE outbox_heads (
	id          INTEGER PRIMARY KEY, -- the head's outbox id
	destination TEXT    NOT NULL UNIQUE,
	next_at     INTEGER
) STRICT;

-- A new delivery is the head only of a queue that was empty.
CREATE TRIGGER outbox_enqueued AFTER INSERT ON outbox BEGIN
	INSERT INTO outbox_heads (id, destination, next_at)
	VALUES (NEW.id, NEW.destination, NEW.next_at)
	ON CONFLICT (destination) DO NOTHING;
END;

CREATE TRIGGER outbox_postponed AFTER UPDATE OF next_at ON outbox BEGIN
	UPDATE outbox_heads SET next_at = NEW.next_at WHERE id = NEW.id;
END;

-- The heads are kept per destination; a delivery that moved would corrupt
-- them, and nothing has reason to move one.
CREATE TRIGGER outbox_destination_fixed BEFORE UPDATE OF destination ON outbox
WHEN NEW.destination <> OLD.destination BEGIN
	SELECT RAISE(ABORT, 'a delivery cannot change destination');
END;

-- When the head leaves, the next in its queue (if any) takes its place; when
-- another item leaves, the head stays.
CREATE TRIGGER outbox_finished AFTER DELETE ON outbox BEGIN
	DELETE FROM outbox_heads WHERE id = OLD.id;
	INSERT INTO outbox_heads (id, destination, next_at)
	SELECT id, destination, next_at FROM outbox
	WHERE destination = OLD.destination ORDER BY id LIMIT 1
	ON CONFLICT (destination) DO NOTHING;
END;
