-- Who delivers a destination's outbox: one courier (holder) at a time, so
-- that with several processes on one desk a channel's posts keep their
-- order and none is sent twice at once. A lease ends at until (unix
-- microseconds); a holder that stopped renewing it, having died or been
-- paused, is taken over after that. The row outlives its lease (it is
-- replaced, not deleted, on a takeover) until its holder releases it.
CREATE TABLE leases (
	destination TEXT    PRIMARY KEY,
	holder      TEXT    NOT NULL,
	until       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
