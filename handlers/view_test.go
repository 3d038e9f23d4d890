package handlers_test

import (
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/handlers"
)

func TestViewStatus(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	alice := bot.Agent{ID: "UALICE"}
	tests := []struct {
		name   string
		ticket bot.Ticket
		want   string
	}{
		{"open", bot.Ticket{State: bot.Open}, "Open: nobody has claimed it yet."},
		{"claimed and reopened", bot.Ticket{State: bot.Claimed, Owner: alice, Reopens: 1}, "Claimed by <@UALICE>. Reopened: the customer wrote again."},
		{"resolved, asked", bot.Ticket{State: bot.Resolved, Owner: alice, RatingAskedAt: now}, "Resolved by <@UALICE>. Asked how it went; no answer yet."},
		{"resolved, rated", bot.Ticket{State: bot.Resolved, Owner: alice, RatingAskedAt: now, Rating: 4}, "Resolved by <@UALICE>. Customer's rating: ★★★★☆ 4/5."},
		{"reopened after a low score", bot.Ticket{State: bot.Claimed, Owner: alice, Reopens: 1, RatingAskedAt: now, Rating: 1},
			"Claimed by <@UALICE>. Reopened: the customer wrote again. Customer's rating: ★☆☆☆☆ 1/5."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handlers.NewView(tt.ticket, now).Status; got != tt.want {
				t.Errorf("status %q, want %q", got, tt.want)
			}
		})
	}
}

// TestViewSaysWhichTeam: with teams, the root says whose the ticket is and
// which rule sent it there, so a wrong rule is seen and mended.
func TestViewSaysWhichTeam(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, team, routed, want string
	}{
		{"routed", "ro-care", "by language ro, rule 1", "Team ro-care: by language ro, rule 1. Open: nobody has claimed it yet."},
		{"moved", "billing", "moved from tr-care by <@UBOB>", "Team billing: moved from tr-care by <@UBOB>. Open: nobody has claimed it yet."},
		{"no teams", "", "", "Open: nobody has claimed it yet."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := handlers.NewView(bot.Ticket{ID: 3, State: bot.Open, OpenedAt: at, Deadline: at.Add(time.Hour), Team: tt.team, Routed: tt.routed}, at)
			if v.Status != tt.want {
				t.Errorf("status %q, want %q", v.Status, tt.want)
			}
		})
	}
	left := handlers.NewView(bot.Ticket{ID: 3, State: bot.Open, OpenedAt: at, Deadline: at.Add(time.Hour), Team: "billing", Left: true}, at)
	if left.Status != "➡️ Moved to team billing: it goes on in its thread there." || len(left.Buttons) != 0 || !left.Deadline.IsZero() {
		t.Errorf("a root the ticket left shows %+v, want where it went, with no buttons and no deadline", left)
	}
}
