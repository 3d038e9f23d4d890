-- Teams (issue 13): a desk may split its tickets among teams, each with its
-- own channel and rota. A ticket keeps the team that owns it, the routing
-- rule that sent it there (so an agent can see why), the desk channel its
-- thread is in ("" for the desk's own) and how often it moved between
-- teams. A desk without teams leaves them all empty, which is what the
-- tickets from before this migration get. A constant default is only
-- recorded in the catalog: no row is rewritten, however many there are.
ALTER TABLE tickets
	ADD COLUMN team    text    NOT NULL DEFAULT '',
	ADD COLUMN routed  text    NOT NULL DEFAULT '',
	ADD COLUMN channel text    NOT NULL DEFAULT '',
	ADD COLUMN moves   integer NOT NULL DEFAULT 0;

-- Each team's open list: its own tickets, oldest first, without walking the
-- other teams' in tickets_open. NULLS FIRST as in tickets_open (0001).
-- tickets_desk_thread stays as it is: a ticket moved to another team is
-- posted anew, in a new thread.
CREATE INDEX tickets_team_open ON tickets (team, opened_at NULLS FIRST, id) WHERE state <> 'resolved';

-- A change of the rota is a change of one team's rota, and an undo takes
-- back that team's newest, not another team's. The few changes a desk
-- makes need no index.
ALTER TABLE rota_changes ADD COLUMN team text NOT NULL DEFAULT '';
