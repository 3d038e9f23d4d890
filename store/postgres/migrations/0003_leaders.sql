-- Who holds what only one replica may do at a time: Telegram's long poll
-- and the Discord gateway allow one connection per bot. The holder keeps
-- its term by renewing until; another replica takes a role whose until
-- has passed, and the token goes up by one on every new term. Every
-- leader-only write checks, in its own transaction, that the role still
-- has its holder and token and has not run out (a fencing token): a leader
-- that was paused and wakes up after another took over cannot write.
CREATE TABLE leaders (
	role   text        PRIMARY KEY,
	holder text        NOT NULL,
	token  bigint      NOT NULL,
	until  timestamptz NOT NULL
);
