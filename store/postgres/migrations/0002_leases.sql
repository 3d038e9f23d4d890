-- Who delivers a destination's outbox: one courier (holder) at a time, so
-- that with several replicas on one database a channel's posts keep their
-- order and none is sent twice at once. A lease ends at until; a holder
-- that stopped renewing it, having died or been paused, is taken over
-- after that. The row outlives its lease (it is replaced, not deleted, on a
-- takeover) until its holder releases it.
CREATE TABLE leases (
	destination text        PRIMARY KEY,
	holder      text        NOT NULL,
	until       timestamptz NOT NULL
);
