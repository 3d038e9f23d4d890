-- Storm mode (issue 14): while the desk's queue of posts is far behind,
-- new complaints are listed in digest posts and their roots parked.
-- storms: each time the desk went into storm mode; ended_at is NULL while
-- it lasts. listings: one row per complaint opened in a storm, with its
-- first message (whose PostTicket is the parked root), the source's id of
-- that message (the customer wrote again when the ticket's latest is
-- another), its line once listed (digest_id 0 until then) and when its
-- root was let go (NULL while parked). digests: the digest posts, ref ''
-- until posted; shown is what the post showed last, tried that a post was
-- attempted.
CREATE TABLE storms (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	started_at INTEGER NOT NULL,
	ended_at   INTEGER
) STRICT;

CREATE TABLE listings (
	ticket_id   INTEGER PRIMARY KEY REFERENCES tickets (id),
	storm_id    INTEGER NOT NULL REFERENCES storms (id),
	message_id  INTEGER NOT NULL,
	channel     TEXT    NOT NULL,
	urgent      INTEGER NOT NULL,
	first_ref   TEXT    NOT NULL,
	digest_id   INTEGER NOT NULL DEFAULT 0,
	line        INTEGER NOT NULL DEFAULT 0,
	parked_at   INTEGER NOT NULL,
	released_at INTEGER
) STRICT;

-- The parked and the unlisted are few next to all listings once a storm
-- is over; partial indexes find them without walking the rest.
CREATE INDEX listings_parked ON listings (urgent DESC, ticket_id) WHERE released_at IS NULL;
CREATE INDEX listings_unlisted ON listings (urgent DESC, ticket_id) WHERE digest_id = 0;
CREATE INDEX listings_digest ON listings (digest_id, line);
CREATE INDEX listings_storm ON listings (storm_id);

CREATE TABLE digests (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	storm_id   INTEGER NOT NULL REFERENCES storms (id),
	number     INTEGER NOT NULL,
	channel    TEXT    NOT NULL,
	ref        TEXT    NOT NULL DEFAULT '',
	shown      TEXT    NOT NULL DEFAULT '',
	tried      INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX digests_storm ON digests (storm_id, channel, id);
CREATE INDEX digests_created ON digests (created_at);
