-- Reports read tickets by the time they were opened, resolved ones
-- included (tickets_open leaves those out), and credit the first answer to
-- whoever wrote it. Satisfaction is asked once per ticket and answered once.
ALTER TABLE tickets ADD COLUMN first_reply_by      TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN first_reply_by_name TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN rating_asked_at     INTEGER;
ALTER TABLE tickets ADD COLUMN rating              INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN rated_at            INTEGER;

CREATE INDEX tickets_opened ON tickets (opened_at, id);

-- Tickets answered before this migration: the "replied" event names who.
UPDATE tickets SET first_reply_by = COALESCE(
	(SELECT actor FROM events WHERE events.ticket_id = tickets.id AND kind = 'replied' ORDER BY id LIMIT 1), '')
WHERE first_reply_at IS NOT NULL;
UPDATE tickets SET first_reply_by_name = COALESCE(
	(SELECT author_name FROM messages WHERE messages.ticket_id = tickets.id AND kind = 'reply'
	 AND author = tickets.first_reply_by ORDER BY id LIMIT 1), '')
WHERE first_reply_by <> '';
