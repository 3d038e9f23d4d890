package report_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/report"
)

func TestParse(t *testing.T) {
	sources := []string{"telegram", "discord", "webhook:twitter"}
	// Monday 2 November 2026, 10:00 in Bucharest.
	tests := []struct {
		args        string
		from, until time.Time
		source      string
		agent       string
		err         string // a part of the sentence
	}{
		{"", now.Add(-7 * 24 * time.Hour), now, "", "", ""},
		{"today", at(11, 2, 0, 0), now, "", "", ""},
		{"yesterday", at(11, 1, 0, 0), at(11, 2, 0, 0), "", "", ""},
		{"week", at(11, 2, 0, 0), now, "", "", ""},
		{"last-week", at(10, 26, 0, 0), at(11, 2, 0, 0), "", "", ""},
		{"month telegram", at(11, 1, 0, 0), now, "telegram", "", ""},
		{"LAST-MONTH", at(10, 1, 0, 0), at(11, 1, 0, 0), "", "", ""},
		{"30d <@U42|alice> twitter", now.Add(-30 * 24 * time.Hour), now, "webhook:twitter", "U42", ""},
		{"2026-10-24..2026-10-25", at(10, 24, 0, 0), at(10, 26, 0, 0), "", "", ""}, // 49 hours: the clocks went back
		{"<@!1234> discord", now.Add(-7 * 24 * time.Hour), now, "discord", "1234", ""},
		{"fortnight", time.Time{}, time.Time{}, "", "", `I don't know "fortnight". Write a period`},
		{"week mastodon", time.Time{}, time.Time{}, "", "", `I don't know "mastodon"`},
		{"2026-10-31..2026-10-01", time.Time{}, time.Time{}, "", "", "ends before it starts"},
		{"2026-13-01..2026-12-01", time.Time{}, time.Time{}, "", "", "FROM..UNTIL with dates like"},
		{"0d", time.Time{}, time.Time{}, "", "", "1d to 400d"},
		{"999d", time.Time{}, time.Time{}, "", "", "1d to 400d"},
		{"2024-01-01..2026-01-01", time.Time{}, time.Time{}, "", "", "at most 400 days"},
		{"2026-10-01..2027-11-04", at(10, 1, 0, 0), time.Date(2027, 11, 5, 0, 0, 0, 0, bucharest), "", "", ""}, // 400 days, two changes of the clocks
		{"2026-10-01..2027-11-05", time.Time{}, time.Time{}, "", "", "at most 400 days"},
		{"week month", time.Time{}, time.Time{}, "", "", "one period"},
		{"telegram discord", time.Time{}, time.Time{}, "", "", "one source"},
		{"<@U1> <@U2>", time.Time{}, time.Time{}, "", "", "one agent"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			q, err := report.Parse(tt.args, now, bucharest, sources, report.Teams{})
			if tt.err != "" {
				if bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(bot.ErrorMessage(err), tt.err) {
					t.Fatalf("Parse(%q) = %v, want a sentence with %q", tt.args, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if !q.From.Equal(tt.from) || !q.Until.Equal(tt.until) || q.Source != tt.source || q.Agent.ID != tt.agent {
				t.Errorf("Parse(%q) = %v–%v %q %q, want %v–%v %q %q", tt.args, q.From, q.Until, q.Source, q.Agent.ID, tt.from, tt.until, tt.source, tt.agent)
			}
		})
	}
}

func TestParseTeam(t *testing.T) {
	sources := []string{"telegram", "discord"}
	tests := []struct {
		name   string
		args   string
		teams  report.Teams
		team   string
		source string
		code   string // of the refusal
		err    string // the refusal's sentence, or a part of it
	}{
		{"a team", "--team ro-care", deskTeams, "ro-care", "", "", ""},
		{"written with =", "--team=ro-care", deskTeams, "ro-care", "", "", ""},
		{"among the other words", "week --team tr-care telegram", deskTeams, "tr-care", "telegram", "", ""},
		{"in capitals", "--team TR-CARE", deskTeams, "tr-care", "", "", ""},
		{"the same team twice", "--team ro-care --team=ro-care", deskTeams, "ro-care", "", "", ""},
		{"none", "week", deskTeams, "", "", "", ""},
		{"an unknown team", "--team pl-care", deskTeams, "", "", bot.ENOTFOUND, `There is no team "pl-care". The teams are tr-care, ro-care.`},
		{"two teams", "--team tr-care --team=ro-care", deskTeams, "", "", bot.EINVALID, `A report is about one team at most; you wrote "tr-care" and "ro-care".`},
		{"no name", "week --team", deskTeams, "", "", bot.EINVALID, "Name the team after --team, like --team tr-care."},
		{"an empty name", "--team=", deskTeams, "", "", bot.EINVALID, "Name the team after --team, like --team tr-care."},
		{"a desk without teams", "--team ro-care", report.Teams{}, "", "", bot.EINVALID, "This desk has no teams: leave --team out."},
		{"a team without --team", "ro-care", deskTeams, "", "", bot.EINVALID, "or a team as --team NAME (tr-care, ro-care)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := report.Parse(tt.args, now, bucharest, sources, tt.teams)
			if tt.err != "" {
				if bot.ErrorCode(err) != tt.code || !strings.Contains(bot.ErrorMessage(err), tt.err) {
					t.Fatalf("Parse(%q) = %v (%s), want %s %q", tt.args, err, bot.ErrorCode(err), tt.code, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if q.Team != tt.team || q.Source != tt.source {
				t.Errorf("Parse(%q) = team %q, source %q; want %q, %q", tt.args, q.Team, q.Source, tt.team, tt.source)
			}
		})
	}
}

func TestTeamsOwns(t *testing.T) {
	tests := []struct {
		name   string
		ticket string // the ticket's team
		owners []string
	}{
		{"of tr-care", "tr-care", []string{"tr-care"}},
		{"of ro-care", "ro-care", []string{"ro-care"}},
		{"filed before teams", "", []string{"ro-care"}},
		{"of a team taken out of the file", "pl-care", []string{"ro-care"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, team := range deskTeams.Names {
				if got, want := deskTeams.Owns(team, bot.Ticket{Team: tt.ticket}), slices.Contains(tt.owners, team); got != want {
					t.Errorf("%s owns a ticket of team %q: %v, want %v", team, tt.ticket, got, want)
				}
			}
		})
	}
}
