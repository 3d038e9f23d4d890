package telegram_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/adapters/telegram"
	"caredesk/health/healthtest"
	"caredesk/sim/telegramsim"
)

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
			st := make(healthtest.Reports, 1000)
			// Long polls far longer than the test may wait: the return of
			// Telegram must be heard without waiting one out.
			c, _ := newClient(t, s, telegram.Options{OnState: st.Report, PollTimeout: time.Minute})
			rec := newRecorder()
			poll(t, c, rec)
			waitSim(t, s, "the long poll", func() bool { return s.Polling() == 1 })

			mend := tt.fault(s)
			s.CustomerWrites(42, jane, "is anyone there?") // ends the long poll in flight
			down := st.Next(testContext(t), t, false)
			for _, w := range tt.want {
				if !strings.Contains(down.Reason, w) {
					t.Errorf("reason %q does not say %q", down.Reason, w)
				}
			}
			if strings.Contains(down.Reason, token) {
				t.Errorf("the reason shows the token: %q", down.Reason)
			}
			mend()
			st.Next(testContext(t), t, true)
			rec.waitStored(t, 1)
		})
	}
}
