-- What the desk channel was last told of each source (up, or down and
-- whether for silence): replicas hand announcing over to each other, and
-- the next one announces against what the channel was told, not against
-- its own memory.
CREATE TABLE announced (
	source text    PRIMARY KEY,
	up     boolean NOT NULL,
	quiet  boolean NOT NULL
);
