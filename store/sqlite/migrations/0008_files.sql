-- Edits: a message keeps its first wording when the customer or the owner
-- changes it (/desk show shows both), and when its author deleted it.
ALTER TABLE messages ADD COLUMN original   TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN edited_at  INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;

-- A customer's edit names the message by the network's id of it; an
-- owner's edit by the desk's.
CREATE INDEX messages_source_ref ON messages (source_ref) WHERE source_ref <> '';
CREATE INDEX messages_desk_ref   ON messages (desk_ref)   WHERE desk_ref <> '';

-- Files on messages: the bytes live in the blob directory, under the id.
CREATE TABLE attachments (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id INTEGER NOT NULL REFERENCES messages (id),
	ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
	kind       TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	mime       TEXT    NOT NULL,
	size       INTEGER NOT NULL,
	origin_by  TEXT    NOT NULL,
	origin     TEXT    NOT NULL,
	stored     INTEGER NOT NULL,
	ref        TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	done_at    INTEGER
) STRICT;

CREATE INDEX attachments_ticket ON attachments (ticket_id, id);

-- The sweep of bytes kept past their retention.
CREATE INDEX attachments_kept ON attachments (done_at) WHERE stored = 1;

-- A post of files waits for their download, which makes it due when done.
CREATE INDEX outbox_message ON outbox (message_id) WHERE message_id <> 0;
