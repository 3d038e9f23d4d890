package report_test

import (
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
			q, err := report.Parse(tt.args, now, bucharest, sources)
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
