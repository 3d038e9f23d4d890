-- caredesk's schema on PostgreSQL: what the SQLite store's migrations
-- 0001–0008 built, in one file. Later changes are new files, as there.
--
-- Times are timestamptz, which keeps microseconds; NULL is the zero
-- time.Time ("not yet"). Ids are identities: a sequence never hands a number
-- out twice, even after the newest row was deleted, so ticket #N stays the
-- ticket people quote and an outbox id stays a delivery's idempotency key.
-- (A transaction that rolls back still uses up the numbers it took: ticket
-- numbers may skip one, never repeat one.)

CREATE TABLE tickets (
	id                   bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source               text    NOT NULL,
	conversation         text    NOT NULL,
	customer_id          text    NOT NULL,
	customer_name        text    NOT NULL,
	customer_handle      text    NOT NULL,
	customer_profile_url text    NOT NULL,
	customer_followers   bigint  NOT NULL,
	network              text    NOT NULL,
	post_url             text    NOT NULL,
	language             text    NOT NULL,
	text                 text    NOT NULL,
	state                text    NOT NULL,
	owner_id             text    NOT NULL,
	owner_name           text    NOT NULL,
	handovers            integer NOT NULL,
	reopens              integer NOT NULL,
	desk_thread          text    NOT NULL,
	last_inbound         text    NOT NULL,
	opened_at            timestamptz,
	deadline             timestamptz,
	first_reply_at       timestamptz,
	first_reply_by       text    NOT NULL,
	first_reply_by_name  text    NOT NULL,
	resolved_at          timestamptz,
	updated_at           timestamptz,
	rating_asked_at      timestamptz,
	rating               integer NOT NULL,
	rated_at             timestamptz,
	private              boolean NOT NULL,
	time_zone            text    NOT NULL,
	phone                text    NOT NULL,
	blocked              boolean NOT NULL
);

-- Every agent action in a thread looks its ticket up by thread. "" means
-- "not posted yet" and is shared by many tickets, so it stays out.
CREATE UNIQUE INDEX tickets_desk_thread ON tickets (desk_thread) WHERE desk_thread <> '';

-- Every inbound message asks for the customer's newest ticket, in the
-- conversation or, for the acknowledgement's quiet time, in any.
CREATE INDEX tickets_customer     ON tickets (source, conversation, customer_id, id);
CREATE INDEX tickets_customer_any ON tickets (source, customer_id, id);

-- The open list and SLA sweeps; resolved tickets, the bulk over time, stay
-- out. NULLS FIRST: a ticket of no opening time is older than any, as on
-- SQLite, where NULL sorts first.
CREATE INDEX tickets_open ON tickets (opened_at NULLS FIRST, id) WHERE state <> 'resolved';

-- Reports read tickets by the time they were opened, resolved ones included.
CREATE INDEX tickets_opened ON tickets (opened_at, id);

CREATE TABLE messages (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id   bigint NOT NULL REFERENCES tickets (id),
	kind        text   NOT NULL,
	author      text   NOT NULL,
	author_name text   NOT NULL,
	text        text   NOT NULL,
	source_ref  text   NOT NULL,
	desk_ref    text   NOT NULL,
	status      text   NOT NULL,
	reason      text   NOT NULL,
	at          timestamptz,
	-- Edits: the first wording when the author changed it, and when the
	-- author deleted it.
	original    text   NOT NULL,
	edited_at   timestamptz,
	deleted_at  timestamptz
);

CREATE INDEX messages_ticket ON messages (ticket_id, id);

-- "Was this same reply sent to other customers today?": replies by text.
-- By the text's digest, not the text: a B-tree entry holds at most about
-- 2.7 kB, and a reply may be longer (SameReplies compares the text too).
CREATE INDEX messages_replies ON messages (md5(text), at) WHERE kind = 'reply';

-- A customer's edit names the message by the network's id of it; an
-- owner's edit by the desk's.
CREATE INDEX messages_source_ref ON messages (source_ref) WHERE source_ref <> '';
CREATE INDEX messages_desk_ref   ON messages (desk_ref)   WHERE desk_ref <> '';

CREATE TABLE events (
	id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id bigint NOT NULL REFERENCES tickets (id),
	kind      text   NOT NULL,
	actor     text   NOT NULL,
	detail    text   NOT NULL,
	at        timestamptz
);

CREATE INDEX events_ticket ON events (ticket_id, id);

-- Network event ids already handled. Pruned by age (ForgetSeen).
CREATE TABLE seen (
	key text PRIMARY KEY,
	at  timestamptz
);

CREATE INDEX seen_at ON seen (at);

-- Files on messages: the bytes live in the blob store, under the id.
CREATE TABLE attachments (
	id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	message_id bigint  NOT NULL REFERENCES messages (id),
	ticket_id  bigint  NOT NULL REFERENCES tickets (id),
	kind       text    NOT NULL,
	name       text    NOT NULL,
	mime       text    NOT NULL,
	size       bigint  NOT NULL,
	origin_by  text    NOT NULL,
	origin     text    NOT NULL,
	stored     boolean NOT NULL,
	ref        text    NOT NULL,
	state      text    NOT NULL,
	reason     text    NOT NULL,
	done_at    timestamptz
);

CREATE INDEX attachments_ticket ON attachments (ticket_id, id);

-- The sweep of bytes kept past their retention.
CREATE INDEX attachments_kept ON attachments (done_at, id) WHERE stored;

-- Timers of tickets (SLA reminders, escalations, breaches) live here rather
-- than in goroutines, so they survive restarts and fire once: firing deletes
-- the row in the transaction that queues the messages.
CREATE TABLE timers (
	id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id bigint      NOT NULL REFERENCES tickets (id),
	alarm     text        NOT NULL,
	share     integer     NOT NULL,
	due_at    timestamptz NOT NULL
);

-- The scheduler asks for what is due, earliest first, every tick.
CREATE INDEX timers_due ON timers (due_at, id);
-- Claims, replies and resolutions cancel a ticket's timers.
CREATE INDEX timers_ticket ON timers (ticket_id, alarm);

-- Overrides and swaps made from the desk (/desk rota override, swap). They
-- are kept, not only applied, so the team can see them and undo them.
CREATE TABLE rota_changes (
	id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind      text        NOT NULL,
	by_agent  text        NOT NULL,
	at        timestamptz NOT NULL,
	summary   text        NOT NULL,
	-- [{"layer","agent","from","until","note"}], times in unix
	-- microseconds: the SQLite store's JSON, so that rows move between the
	-- stores as they are.
	overrides jsonb       NOT NULL,
	undone_at timestamptz
);

-- The durable outbox. No foreign key to tickets: greetings have no ticket
-- (ticket_id 0).
CREATE TABLE outbox (
	id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	destination  text    NOT NULL,
	job          text    NOT NULL,
	ticket_id    bigint  NOT NULL,
	message_id   bigint  NOT NULL,
	agent        text    NOT NULL,
	source       text    NOT NULL,
	conversation text    NOT NULL,
	text         text    NOT NULL,
	attempts     integer NOT NULL,
	next_at      timestamptz,
	created_at   timestamptz,
	last_error   text    NOT NULL
);

-- When a destination's head leaves, the next of the destination is looked
-- up; when a lane's head leaves, the next of that lane.
CREATE INDEX outbox_destination ON outbox (destination, id);
CREATE INDEX outbox_lane        ON outbox (destination, ticket_id, id);

-- A post of files waits for their download, which makes it due when done.
CREATE INDEX outbox_message ON outbox (message_id) WHERE message_id <> 0;

-- A destination's queue is divided into lanes, one per ticket (ticket_id 0,
-- announcements, direct messages and greetings, is one lane of its own).
-- Order is kept within a lane, not across lanes: a ticket whose root fails
-- again and again waits alone, and the tickets behind it pass.
--
-- The tables below are kept by the triggers further down, so that the
-- delivery workers' poll reads one row per destination, and the choice of a
-- destination's next delivery one lane head, however large the backlog:
-- the poll stays cheap exactly when a network is down and deliveries pile
-- up. Their next_at is never NULL: the zero time (due at once) is
-- -infinity, so that "due" is one range, not a range or a NULL test.
--
-- The triggers read and then write these tables. That is safe because
-- every Update holds the store's write lock (see Update in postgres.go);
-- writers that did not would need a lock per destination in the triggers.

-- The head of every lane.
CREATE TABLE outbox_lanes (
	id          bigint      PRIMARY KEY, -- the lane head's outbox id
	destination text        NOT NULL,
	ticket_id   bigint      NOT NULL,
	next_at     timestamptz NOT NULL,
	UNIQUE (destination, ticket_id)
);

-- "When is this destination's earliest lane due?" and "which of its lanes
-- are due?", one range each.
CREATE INDEX outbox_lanes_due ON outbox_lanes (destination, next_at) INCLUDE (id);
-- "The oldest due lane of this destination": walk its lanes oldest first.
CREATE INDEX outbox_lanes_age ON outbox_lanes (destination, id) INCLUDE (next_at);

-- The head of every destination: its oldest delivery, which orders the
-- destinations, and when it is next due: its earliest lane head, or the end
-- of its pause if that is later.
CREATE TABLE outbox_heads (
	id          bigint      PRIMARY KEY, -- the destination's oldest outbox id
	destination text        NOT NULL UNIQUE,
	next_at     timestamptz NOT NULL
);

-- A wait for a whole destination, as when the desk answers 429 with
-- Retry-After: the rate limit is the channel's, not one ticket's.
CREATE TABLE outbox_pauses (
	destination text        PRIMARY KEY,
	until       timestamptz NOT NULL
);

-- outbox_reckon sets when dest is next due. GREATEST ignores NULL: a
-- destination without a pause is due when its earliest lane is.
CREATE FUNCTION outbox_reckon(dest text) RETURNS void LANGUAGE sql AS $$
	UPDATE outbox_heads SET next_at = GREATEST(
		(SELECT min(next_at) FROM outbox_lanes WHERE destination = dest),
		(SELECT until FROM outbox_pauses WHERE destination = dest))
	WHERE destination = dest;
$$;

-- A new delivery is the head of a lane, and of its destination, only if
-- they were empty. Behind the head of its lane it changes nothing else.
CREATE FUNCTION outbox_enqueued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO outbox_lanes (id, destination, ticket_id, next_at)
	VALUES (NEW.id, NEW.destination, NEW.ticket_id, COALESCE(NEW.next_at, '-infinity'))
	ON CONFLICT (destination, ticket_id) DO NOTHING;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	INSERT INTO outbox_heads (id, destination, next_at)
	VALUES (NEW.id, NEW.destination, '-infinity')
	ON CONFLICT (destination) DO NOTHING;
	PERFORM outbox_reckon(NEW.destination);
	RETURN NULL;
END
$$;

CREATE TRIGGER outbox_enqueued AFTER INSERT ON outbox
FOR EACH ROW EXECUTE FUNCTION outbox_enqueued();

-- A new time matters only to a lane's head; one behind it is read when it
-- becomes the head.
CREATE FUNCTION outbox_postponed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE outbox_lanes SET next_at = COALESCE(NEW.next_at, '-infinity') WHERE id = NEW.id;
	IF FOUND THEN
		PERFORM outbox_reckon(NEW.destination);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER outbox_postponed AFTER UPDATE OF next_at ON outbox
FOR EACH ROW WHEN (OLD.next_at IS DISTINCT FROM NEW.next_at)
EXECUTE FUNCTION outbox_postponed();

-- Heads are kept per destination and lanes per ticket: a delivery that
-- moved would corrupt them, and nothing has reason to move one.
CREATE FUNCTION outbox_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'delivery % cannot change destination or ticket', OLD.id;
END
$$;

CREATE TRIGGER outbox_fixed BEFORE UPDATE OF destination, ticket_id ON outbox
FOR EACH ROW WHEN (NEW.destination <> OLD.destination OR NEW.ticket_id <> OLD.ticket_id)
EXECUTE FUNCTION outbox_fixed();

-- When a lane's head leaves, the next of its lane (if any) takes its place,
-- and likewise for the destination's head. A destination whose last
-- delivery left forgets its pause: the pause was about deliveries that are
-- gone. (Row triggers run after their whole statement, so a DELETE of many
-- rows finds the next ones among those that stay.)
CREATE FUNCTION outbox_finished() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	moved boolean := false;
BEGIN
	DELETE FROM outbox_lanes WHERE id = OLD.id;
	IF FOUND THEN
		INSERT INTO outbox_lanes (id, destination, ticket_id, next_at)
		SELECT id, destination, ticket_id, COALESCE(next_at, '-infinity') FROM outbox
		WHERE destination = OLD.destination AND ticket_id = OLD.ticket_id ORDER BY id LIMIT 1;
		moved := true;
	END IF;
	DELETE FROM outbox_heads WHERE id = OLD.id;
	IF FOUND THEN
		INSERT INTO outbox_heads (id, destination, next_at)
		SELECT id, destination, '-infinity' FROM outbox
		WHERE destination = OLD.destination ORDER BY id LIMIT 1;
		IF NOT FOUND THEN
			DELETE FROM outbox_pauses WHERE destination = OLD.destination;
			RETURN NULL;
		END IF;
		moved := true;
	END IF;
	IF moved THEN
		PERFORM outbox_reckon(OLD.destination);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER outbox_finished AFTER DELETE ON outbox
FOR EACH ROW EXECUTE FUNCTION outbox_finished();

-- An operator who empties the outbox by hand empties what the triggers keep.
CREATE FUNCTION outbox_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE outbox_lanes, outbox_heads, outbox_pauses;
	RETURN NULL;
END
$$;

CREATE TRIGGER outbox_emptied AFTER TRUNCATE ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION outbox_emptied();

-- A pause moves its destination's due time, and so does its end (an upsert
-- fires INSERT or UPDATE; an operator may DELETE one).
CREATE FUNCTION outbox_paused() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM outbox_reckon(OLD.destination);
	ELSE
		PERFORM outbox_reckon(NEW.destination);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER outbox_paused AFTER INSERT OR DELETE OR UPDATE OF until ON outbox_pauses
FOR EACH ROW EXECUTE FUNCTION outbox_paused();

-- One row that Writable rewrites to find out whether the database takes
-- writes (a full disk, a standby after a failover).
CREATE TABLE write_probe (
	one boolean     PRIMARY KEY DEFAULT true CHECK (one),
	at  timestamptz NOT NULL
);

INSERT INTO write_probe (at) VALUES (now());
