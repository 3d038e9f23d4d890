-- When each source last brought a complaint, as any replica stored it: a
-- replica behind a load balancer hears only its share of a bridge's posts,
-- and a source's silence alarm must mean that none of them heard it.
CREATE TABLE heard (
	source text        PRIMARY KEY,
	at     timestamptz NOT NULL
);
