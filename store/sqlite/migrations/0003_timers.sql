-- Timers of tickets (SLA reminders, escalations, breaches) live here rather
-- than in goroutines, so they survive restarts and fire once: firing deletes
-- the row in the transaction that queues the messages.
CREATE TABLE timers (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket_id INTEGER NOT NULL REFERENCES tickets (id),
	alarm     TEXT    NOT NULL,
	share     INTEGER NOT NULL,
	due_at    INTEGER NOT NULL
) STRICT;

-- The scheduler asks for what is due, earliest first, every tick.
CREATE INDEX timers_due ON timers (due_at, id);
-- Claims, replies and resolutions cancel a ticket's timers.
CREATE INDEX timers_ticket ON timers (ticket_id, alarm);
