-- Overrides and swaps made from the desk (/desk rota override, swap). They
-- are kept, not only applied, so the team can see them and undo them.
CREATE TABLE rota_changes (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	kind      TEXT    NOT NULL,
	by_agent  TEXT    NOT NULL,
	at        INTEGER NOT NULL,
	summary   TEXT    NOT NULL,
	overrides TEXT    NOT NULL, -- JSON: [{"layer","agent","from","until","note"}], times in unix microseconds
	undone_at INTEGER
) STRICT;
