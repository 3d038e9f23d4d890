package telegram_test

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"

	"caredesk/adapters/telegram"
	"caredesk/sim/telegramsim"
)

func TestNewKnowsTheBot(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{})
	if c.Username() != telegramsim.BotUsername {
		t.Errorf("Username = %q, want %q", c.Username(), telegramsim.BotUsername)
	}
	if s.Calls("getMe") != 1 {
		t.Errorf("getMe called %d times, want 1", s.Calls("getMe"))
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestNewSaysWhatToFix(t *testing.T) {
	s := startSim(t)
	other, err := telegramsim.New("123:another-token")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	tests := []struct {
		name string
		o    telegram.Options
		says []string
	}{
		{"no token", telegram.Options{APIURL: s.URL()}, []string{"TELEGRAM_BOT_TOKEN is empty", "@BotFather"}},
		{"token rejected", telegram.Options{Token: token, APIURL: other.URL()}, []string{"TELEGRAM_BOT_TOKEN was rejected", "401 Unauthorized", "@BotFather"}},
		{"unreachable", telegram.Options{Token: token, APIURL: "http://" + closedPort(t)}, []string{"could not reach the Telegram Bot API at http://127.0.0.1:", "TELEGRAM_API_URL", "<token>"}},
		{"not the Bot API", telegram.Options{Token: token, APIURL: s.URL()}, []string{"502 Bad Gateway", "TELEGRAM_API_URL"}},
		{"webhook without a secret", telegram.Options{Token: token, APIURL: s.URL(), WebhookURL: "https://caredesk.test/telegram/webhook"}, []string{"TELEGRAM_WEBHOOK_SECRET"}},
		{"webhook URL not absolute", telegram.Options{Token: token, APIURL: s.URL(), WebhookURL: "/telegram/webhook", WebhookSecret: secret}, []string{"TELEGRAM_WEBHOOK_URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "not the Bot API" {
				s.SetDown(true)
				defer s.SetDown(false)
			}
			var logs bytes.Buffer
			tc.o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			c, err := telegram.New(testContext(t), tc.o)
			if err == nil {
				c.Close()
				t.Fatal("New succeeded")
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			assertNoToken(t, err)
			if strings.Contains(logs.String(), token) {
				t.Errorf("token in the log: %s", logs.String())
			}
		})
	}
}
