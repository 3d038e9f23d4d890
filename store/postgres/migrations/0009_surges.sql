-- Surges of complaints (issue 14): the spike watch records each surge it
-- told the desk channel of, and ends it when it calls it calming down, so
-- that the weekly and monthly digests can say what the period's surges
-- were. ended_at is NULL while a surge lasts; usual is the median of the
-- same window in past weeks, which need not be a whole number; about is
-- what the alert said the surge was about, caredesk's sentence around the
-- customers' words, which it quoted.
CREATE TABLE surges (
	id         bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source     text             NOT NULL,
	started_at timestamptz      NOT NULL,
	ended_at   timestamptz,
	peak       integer          NOT NULL,
	usual      double precision NOT NULL,
	about      text             NOT NULL
);

-- A period's surges are those that started before it ends and had not
-- ended before it began (or are still on). They are found by their end:
-- those ended since the period began and those still on (NULL, which a
-- btree index keeps and finds) are few however long the desk's history,
-- and started_at is then checked on them; an index on started_at would
-- walk every surge before the period. The same index finds a source's
-- surge still on, which EndSurge ends.
CREATE INDEX surges_ended ON surges (ended_at);
