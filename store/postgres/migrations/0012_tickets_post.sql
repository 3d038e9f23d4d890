-- A listener that hears a post another source already opened a ticket
-- for asks for that ticket by the post's public address (TicketByPost):
-- a feed's ticket, which cannot be answered, goes over to the account
-- that can answer it. Only tickets with an address are indexed.
CREATE INDEX tickets_post ON tickets (post_url, id) WHERE post_url <> '';
