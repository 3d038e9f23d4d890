-- The threads tickets left (issue 13): a ticket moved to another team is
-- posted anew in that team's channel, and its desk_thread names the new
-- thread only. An agent who writes in the old one must be told where the
-- ticket went rather than be ignored, so each thread a ticket leaves is
-- kept here, its ticket found by it. A thread is a ticket's root once:
-- recording it again changes nothing (INSERT … ON CONFLICT DO NOTHING).
-- Tickets are never deleted, and a ticket's former threads are only ever
-- looked up by thread, so ticket_id needs no index.
CREATE TABLE former_threads (
	thread    TEXT    PRIMARY KEY,
	ticket_id INTEGER NOT NULL REFERENCES tickets (id)
) STRICT, WITHOUT ROWID;
