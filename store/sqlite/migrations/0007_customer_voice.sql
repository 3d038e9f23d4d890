-- What caredesk knows of the customer's side of a ticket: whether the
-- conversation is private (acknowledged) and in which zone the customer
-- lives, the number they shared for a call, and whether they blocked the
-- brand's bot (replies then fail at once).
ALTER TABLE tickets ADD COLUMN private   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN time_zone TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN phone     TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN blocked   INTEGER NOT NULL DEFAULT 0;

-- "Was this same reply sent to other customers today?": replies by text.
CREATE INDEX messages_replies ON messages (text, at) WHERE kind = 'reply';

-- "Did this customer open a ticket lately?", in any conversation, for the
-- acknowledgement's quiet time.
CREATE INDEX tickets_customer_any ON tickets (source, customer_id, id);

-- Open tickets from before this migration: Telegram private chats (whose
-- ids are positive, groups' negative) and Discord DMs (no public address)
-- are private conversations.
UPDATE tickets SET private = 1
WHERE (source = 'telegram' AND conversation NOT LIKE '-%') OR (source = 'discord' AND post_url = '');
