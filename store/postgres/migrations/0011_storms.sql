-- Storm mode (issue 14): while the desk's queue of posts is far behind,
-- new complaints are listed in digest posts, many to a post, and their
-- roots are parked (their PostTicket waits in the outbox, next_at in year
-- 9999, which timestamptz holds) until someone claims the ticket or the
-- queue has room again. The tables and columns are the SQLite store's
-- (its 0014), so that rows move between the stores as they are.

-- Each time the desk went into storm mode; ended_at is NULL while it
-- lasts. A desk has a few storms a year at most, so CurrentStorm's look
-- for the one not ended reads the whole table and needs no index.
CREATE TABLE storms (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	started_at timestamptz NOT NULL,
	ended_at   timestamptz
);

-- One row per complaint opened in a storm: its first message (whose
-- PostTicket is the parked root), the source's id of that message (the
-- customer wrote again when the ticket's latest is another), its line once
-- listed and when its root was let go (NULL while parked). urgent is
-- Listing.First: a high-reach author or a repeat complainer, listed and
-- let go before the others. digest_id is 0 until the complaint has a line,
-- as SQLite keeps it, so it has no foreign key: 0 is no digest.
CREATE TABLE listings (
	ticket_id   bigint      PRIMARY KEY REFERENCES tickets (id),
	storm_id    bigint      NOT NULL REFERENCES storms (id),
	message_id  bigint      NOT NULL,
	channel     text        NOT NULL,
	urgent      boolean     NOT NULL,
	first_ref   text        NOT NULL,
	digest_id   bigint      NOT NULL DEFAULT 0,
	line        integer     NOT NULL DEFAULT 0,
	parked_at   timestamptz NOT NULL,
	released_at timestamptz
);

-- The parked and the unlisted are few next to all listings once a storm
-- is over, and the drain and the digest job ask for them every tick;
-- partial indexes find them without walking the rest, in the order
-- Unlisted reads them.
CREATE INDEX listings_parked   ON listings (urgent DESC, ticket_id) WHERE released_at IS NULL;
CREATE INDEX listings_unlisted ON listings (urgent DESC, ticket_id) WHERE digest_id = 0;
-- A digest's lines, in order, for each edit of its post; and a storm's
-- listings, which CurrentStorm counts.
CREATE INDEX listings_digest ON listings (digest_id, line);
CREATE INDEX listings_storm  ON listings (storm_id);

-- The digest posts: ref is '' until posted; shown is what the post showed
-- when last posted or edited, so that it is edited only when a line
-- changed; tried says a post was attempted, whose answer may have been
-- lost. number counts the storm's digests from 1: AddDigest takes the
-- count of the storm's digests so far, which no other writer changes
-- meanwhile, as every Update holds the store's write lock (postgres.go).
CREATE TABLE digests (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	storm_id   bigint      NOT NULL REFERENCES storms (id),
	number     integer     NOT NULL,
	channel    text        NOT NULL,
	ref        text        NOT NULL DEFAULT '',
	shown      text        NOT NULL DEFAULT '',
	tried      boolean     NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL
);

-- A storm's newest digest in a channel (LastDigest), and the count of a
-- storm's digests that numbers the next (its first column).
CREATE INDEX digests_storm ON digests (storm_id, channel, id);
-- The digests of the last day, which the digest job keeps up to date.
CREATE INDEX digests_created ON digests (created_at);
