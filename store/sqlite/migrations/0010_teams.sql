-- Teams (issue 13): a desk may split its tickets among teams, each with its
-- own channel and rota. A ticket keeps the team that owns it, the routing
-- rule that sent it there (so an agent can see why), the desk channel its
-- thread is in ("" for the desk's own) and how often it moved between
-- teams. A desk without teams leaves them all empty, which is what the
-- tickets from before this migration get.
ALTER TABLE tickets ADD COLUMN team    TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN routed  TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN channel TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN moves   INTEGER NOT NULL DEFAULT 0;

-- Each team's open list: its own tickets, oldest first, without walking the
-- other teams' in tickets_open. tickets_desk_thread (0001) stays as it is:
-- a ticket moved to another team is posted anew, in a new thread.
CREATE INDEX tickets_team_open ON tickets (team, opened_at, id) WHERE state <> 'resolved';

-- A change of the rota is a change of one team's rota, and an undo takes
-- back that team's newest, not another team's. The few changes a desk
-- makes need no index.
ALTER TABLE rota_changes ADD COLUMN team TEXT NOT NULL DEFAULT '';
