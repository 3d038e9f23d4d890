package e2e_test

import (
	"bytes"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// TestSocketMode: the same story with Slack over Socket Mode, where
// caredesk needs no public URL.
func TestSocketMode(t *testing.T) {
	r := newRig(t, rigOptions{socketMode: true})
	r.start()
	r.wait("the Socket Mode connection", func() bool { return r.slack.SocketConnections() == 1 })
	jane := customer(55, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "The app crashes when I pay")
	r.wait("the thread", func() bool { return len(r.roots()) == 1 })
	root := r.root(1)
	if got := r.command("UALICE", "alice", "claim 1"); !strings.HasPrefix(got, "You own #1 now.") {
		t.Errorf("claim over Socket Mode answered %q", got)
	}
	r.post("UALICE", root.TS, "Which phone do you use?")
	r.wait("the answer in Telegram", func() bool { return len(r.sentTo(jane.ID)) == 1 })
	if err := r.slack.ClickButton("UALICE", "alice", root.TS, "caredesk:resolve", "1"); err != nil {
		t.Fatal(err)
	}
	r.wait("the ticket resolved", func() bool {
		m, _ := r.slack.Message(root.TS)
		return strings.Contains(m.Rendered(), "Resolved by <@UALICE>.")
	})
	if err := r.stop(); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}

// TestTelegramWebhook: with TELEGRAM_WEBHOOK_URL set, caredesk registers
// its webhook with the secret, Telegram pushes updates to it, and requests
// without the right secret are refused.
func TestTelegramWebhook(t *testing.T) {
	r := newRig(t, rigOptions{webhook: true})
	r.start()
	r.wait("the webhook registered", func() bool { return r.tg.WebhookURL() == r.env["TELEGRAM_WEBHOOK_URL"] })
	jane := customer(66, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "Charged twice for one order")
	r.wait("the pushed complaint's thread", func() bool { return len(r.roots()) == 1 })

	forged := `{"update_id":999,"message":{"message_id":1,"date":1700000000,"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":false,"first_name":"Mallory"},"text":"forged"}}`
	for name, secret := range map[string]string{"no secret": "", "wrong secret": "guess"} {
		req, _ := http.NewRequest(http.MethodPost, r.env["TELEGRAM_WEBHOOK_URL"], strings.NewReader(forged))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}
	r.command("UALICE", "alice", "claim 1")
	r.command("UALICE", "alice", "reply 1 We refunded the second charge.")
	r.wait("the answer", func() bool { return len(r.sentTo(jane.ID)) == 1 })
	if n := len(r.roots()); n != 1 {
		t.Errorf("%d threads; the forged updates must not open any", n)
	}
}

// TestStartupErrors: a missing or wrong setting stops caredesk at once with
// a sentence that names it, and never prints a token.
func TestStartupErrors(t *testing.T) {
	r := newRig(t, rigOptions{})
	tests := []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"no desk", map[string]string{"SLACK_BOT_TOKEN": ""}, "caredesk has no desk for the team: set SLACK_BOT_TOKEN"},
		{"bad channel", map[string]string{"SLACK_CHANNEL_ID": "general"}, "SLACK_CHANNEL_ID does not look right"},
		{"Slack refuses the token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-revoked-000"}, "SLACK_BOT_TOKEN"},
		{"Telegram refuses the token", map[string]string{"TELEGRAM_BOT_TOKEN": "111:AAAAAAAAAAAAAAAAAAAAAAAA"}, "TELEGRAM_BOT_TOKEN"},
		{"bad address", map[string]string{"CAREDESK_ADDR": "localhost"}, "CAREDESK_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary)
			for k, v := range r.env {
				if c, ok := tt.change[k]; ok {
					v = c
				}
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if err == nil {
				t.Fatalf("caredesk started; output:\n%s", out.String())
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output does not name %q:\n%s", tt.want, out.String())
			}
			for _, v := range tt.change {
				if len(v) > 12 && strings.Contains(out.String(), v) {
					t.Errorf("output repeats the secret %q:\n%s", v, out.String())
				}
			}
		})
	}
}
