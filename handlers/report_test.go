package handlers_test

import (
	"context"
	"errors"
	"testing"

	"caredesk/bot"
	"caredesk/handlers"
)

// reports records what the report commands were asked.
type reports struct {
	verb, args, event string
	err               error
}

func (r *reports) Report(_ context.Context, a bot.Agent, args, eventID string) (string, error) {
	r.verb, r.args, r.event = "report", args, eventID
	return "figures for " + a.ID, r.err
}

func (r *reports) Export(_ context.Context, a bot.Agent, args, eventID string) (string, error) {
	r.verb, r.args, r.event = "export", args, eventID
	return "export for " + a.ID, r.err
}

func TestReportCommands(t *testing.T) {
	alice := bot.Agent{ID: "UALICE"}
	tests := []struct {
		line, verb, args, want string
		err                    error
	}{
		{"report", "report", "", "figures for UALICE", nil},
		{"report week telegram <@U2|bob>", "report", "week telegram <@U2|bob>", "figures for UALICE", nil},
		{"REPORT 2026-11-01..2026-11-30", "report", "2026-11-01..2026-11-30", "figures for UALICE", nil},
		{"export last-month", "export", "last-month", "export for UALICE", nil},
		{"report fortnight", "report", "fortnight", "I don't know that.", bot.Errorf(bot.EINVALID, "I don't know that.")},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			r := &reports{err: tt.err}
			got := handlers.Runner{Reports: r}.Command(context.Background(), alice, tt.line, "", "", "ev1")
			if got != tt.want || r.verb != tt.verb || r.args != tt.args || r.event != "ev1" {
				t.Errorf("%q: answered %q after %s(%q, %q)", tt.line, got, r.verb, r.args, r.event)
			}
		})
	}
	if got := (handlers.Runner{}).Command(context.Background(), alice, "report", "", "", "ev"); got != "Reports are not set up in this caredesk." {
		t.Errorf("without reports: %q", got)
	}
	failing := &reports{err: errors.New("disk I/O error")}
	if got := (handlers.Runner{Reports: failing}).Command(context.Background(), alice, "report", "", "", "ev"); got == "" || got == "figures for UALICE" {
		t.Errorf("a failure answered %q", got)
	}
}
