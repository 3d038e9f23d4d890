package telegram_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/adapters/telegram"
	"caredesk/sim/telegramsim"
)

// state is one OnState report.
type state struct {
	ok     bool
	reason string
}

// states collects OnState reports for a test to wait on.
type states chan state

func (s states) report(ok bool, reason string) { s <- state{ok, reason} }

// next waits for the first report whose ok is want, and returns it.
func (s states) next(t *testing.T, want bool) state {
	t.Helper()
	ctx := testContext(t)
	for {
		select {
		case st := <-s:
			if st.ok == want {
				return st
			}
		case <-ctx.Done():
			t.Fatalf("no report with ok=%v", want)
		}
	}
}

func TestPollReportsWhyTelegramGivesNoUpdates(t *testing.T) {
	tests := []struct {
		name  string
		fault func(s *telegramsim.Server) (mend func())
		want  []string // in the reason
	}{
		{
			name: "a revoked token",
			fault: func(s *telegramsim.Server) func() {
				s.RevokeToken(true)
				return func() { s.RevokeToken(false) }
			},
			want: []string{"Telegram refuses caredesk's token (401 Unauthorized)", "@BotFather", "TELEGRAM_BOT_TOKEN", "restart caredesk"},
		},
		{
			name: "another program polls with the same token",
			fault: func(s *telegramsim.Server) func() {
				undo := s.FailWhere("getUpdates", func(map[string]string) bool { return true }, 409, 0)
				return undo
			},
			want: []string{"409 Conflict", "another caredesk or program polls with the same bot token", "Stop the other one"},
		},
		{
			name: "a proxy that fails",
			fault: func(s *telegramsim.Server) func() {
				s.SetDown(true)
				return func() { s.SetDown(false) }
			},
			want: []string{"502 Bad Gateway", "not the Bot API's", "TELEGRAM_API_URL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t)
			st := make(states, 1000)
			// Long polls far longer than the test may wait: the return of
			// Telegram must be heard without waiting one out.
			c, _ := newClient(t, s, telegram.Options{OnState: st.report, PollTimeout: time.Minute})
			rec := newRecorder()
			poll(t, c, rec)
			waitSim(t, s, "the long poll", func() bool { return s.Polling() == 1 })

			mend := tt.fault(s)
			s.CustomerWrites(42, jane, "is anyone there?") // ends the long poll in flight
			down := st.next(t, false)
			for _, w := range tt.want {
				if !strings.Contains(down.reason, w) {
					t.Errorf("reason %q does not say %q", down.reason, w)
				}
			}
			if strings.Contains(down.reason, token) {
				t.Errorf("the reason shows the token: %q", down.reason)
			}
			mend()
			st.next(t, true)
			rec.waitStored(t, 1)
		})
	}
}
