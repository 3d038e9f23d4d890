package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"caredesk/config"
)

// TestLogScrubsEverySecret: a secret that reaches a log line, in a message
// attribute or inside an error, leaves it as [redacted], whichever secret
// it is.
func TestLogScrubsEverySecret(t *testing.T) {
	var cfg config.Config
	cfg.Telegram.Token = "123456789:AAH-telegram-token-value"
	cfg.Telegram.WebhookSecret = "telegram-webhook-secret-value"
	cfg.Slack.BotToken = "xoxb-slack-bot-token-value"
	cfg.Slack.AppToken = "xapp-slack-app-token-value"
	cfg.Slack.SigningSecret = "slack-signing-secret-value"
	cfg.Discord.Token = "discord-bot-token-value.abc.def"
	cfg.ICSToken = "calendar-feed-token-value"
	cfg.File.Webhooks = []config.Webhook{{Name: "twitter", Secret: "twitter-hook-secret-value"}}
	secrets := []string{cfg.Telegram.Token, cfg.Telegram.WebhookSecret, cfg.Slack.BotToken, cfg.Slack.AppToken,
		cfg.Slack.SigningSecret, cfg.Discord.Token, cfg.ICSToken, cfg.File.Webhooks[0].Secret}

	for _, format := range []bool{false, true} {
		cfg.LogJSON = format
		var out bytes.Buffer
		log := newLogger(cfg, &out)
		for _, s := range secrets {
			log.Error("call failed", "url", "https://api.example/bot"+s+"/getMe", "err", errors.New("auth "+s+" refused"))
		}
		if got := strings.Count(out.String(), "[redacted]"); got != 2*len(secrets) {
			t.Errorf("json=%v: %d redactions, want %d:\n%s", format, got, 2*len(secrets), out.String())
		}
		for _, s := range secrets {
			if strings.Contains(out.String(), s) {
				t.Errorf("json=%v: the log shows the secret %q:\n%s", format, s, out.String())
			}
		}
	}
}
