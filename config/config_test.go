package config_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/config"
)

const (
	tgToken    = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	slackToken = "xoxb-1111-2222-abcdefghij"
)

// valid is the smallest environment that starts caredesk: Telegram in, Slack
// in HTTP mode out.
func valid() map[string]string {
	return map[string]string{
		"TELEGRAM_BOT_TOKEN":   tgToken,
		"SLACK_BOT_TOKEN":      slackToken,
		"SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
		"SLACK_CHANNEL_ID":     "C0123ABCD",
	}
}

func load(t *testing.T, change map[string]string) (config.Config, error) {
	t.Helper()
	env := valid()
	for k, v := range change {
		env[k] = v
	}
	return config.Load(func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatalf("valid environment refused: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"addr", c.Addr, ":8080"},
		{"db", c.DB, "caredesk.db"},
		{"sla", c.SLA, time.Hour},
		{"reopen", c.ReopenWindow, 7 * 24 * time.Hour},
		{"telegram url", c.Telegram.APIURL, "https://api.telegram.org"},
		{"slack url", c.Slack.APIURL, "https://slack.com/api/"},
		{"claim emoji", c.Slack.ClaimEmoji, "raising_hand"},
		{"resolve emoji", c.Slack.ResolveEmoji, "white_check_mark"},
		{"socket mode", c.Slack.SocketMode(), false},
		{"polling", c.Telegram.WebhookURL, ""},
		{"metrics on the main address", c.MetricsAddr, ""},
		{"replica picks its own name", c.Replica, ""},
		{"leader takeover", c.LeaderTakeover, 15 * time.Second},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestSettings(t *testing.T) {
	c, err := load(t, map[string]string{
		"SLACK_API_URL":            "http://127.0.0.1:9000/api",
		"TELEGRAM_API_URL":         "http://127.0.0.1:9001/",
		"CAREDESK_REOPEN_WINDOW":   "3d",
		"CAREDESK_SLA":             "30m",
		"SLACK_APP_TOKEN":          "xapp-1-A111-222-abc",
		"SLACK_SIGNING_SECRET":     "",
		"TELEGRAM_WEBHOOK_URL":     "https://care.example.com/telegram/webhook",
		"TELEGRAM_WEBHOOK_SECRET":  "s3cret_-",
		"CAREDESK_CLAIM_EMOJI":     ":eyes:",
		"CAREDESK_DB_ALLOW_EMPTY":  "true",
		"CAREDESK_METRICS_ADDR":    "127.0.0.1:9090",
		"CAREDESK_REPLICA":         "caredesk-7d9f-x2",
		"CAREDESK_LEADER_TAKEOVER": "5s",
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Slack.APIURL != "http://127.0.0.1:9000/api/" {
		t.Errorf("slack url %q should gain the trailing slash slack-go needs", c.Slack.APIURL)
	}
	if c.Telegram.APIURL != "http://127.0.0.1:9001" {
		t.Errorf("telegram url %q should lose its trailing slash", c.Telegram.APIURL)
	}
	if c.ReopenWindow != 72*time.Hour || c.SLA != 30*time.Minute {
		t.Errorf("durations: reopen %s, sla %s", c.ReopenWindow, c.SLA)
	}
	if c.Replica != "caredesk-7d9f-x2" || c.LeaderTakeover != 5*time.Second {
		t.Errorf("replica %q, leader takeover %s", c.Replica, c.LeaderTakeover)
	}
	if c.MetricsAddr != "127.0.0.1:9090" {
		t.Errorf("metrics addr %q", c.MetricsAddr)
	}
	if !c.DBAllowEmpty {
		t.Error("CAREDESK_DB_ALLOW_EMPTY=true was not taken")
	}
	if !c.Slack.SocketMode() || c.Slack.ClaimEmoji != "eyes" {
		t.Errorf("socket mode %v, claim emoji %q", c.Slack.SocketMode(), c.Slack.ClaimEmoji)
	}
}

func TestProblemsNameTheVariable(t *testing.T) {
	tests := []struct {
		change map[string]string
		want   string // in the sentence
	}{
		{map[string]string{"TELEGRAM_BOT_TOKEN": ""}, "caredesk has nowhere to take complaints from: set TELEGRAM_BOT_TOKEN to the token @BotFather gave you"},
		{map[string]string{"TELEGRAM_BOT_TOKEN": "nonsense"}, "TELEGRAM_BOT_TOKEN does not look right"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN does not look right: put the Bot User OAuth Token"},
		{map[string]string{"SLACK_CHANNEL_ID": "#care"}, "SLACK_CHANNEL_ID does not look right: put the ID of the desk channel"},
		{map[string]string{"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"},
		{map[string]string{"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN does not look right"},
		{map[string]string{"SLACK_API_URL": "slack.com"}, "SLACK_API_URL is \"slack.com\", which is not a URL"},
		{map[string]string{"CAREDESK_ADDR": "8080"}, "CAREDESK_ADDR is \"8080\": put host:port there"},
		{map[string]string{"CAREDESK_METRICS_ADDR": "9090"}, "CAREDESK_METRICS_ADDR is \"9090\": put host:port there"},
		{map[string]string{"CAREDESK_ADDR": ":8080", "CAREDESK_METRICS_ADDR": ":8080"}, "CAREDESK_METRICS_ADDR is \":8080\", which takes the same port as CAREDESK_ADDR (\":8080\"): give /metrics an address of its own"},
		{map[string]string{"CAREDESK_ADDR": ":7852", "CAREDESK_METRICS_ADDR": "127.0.0.1:7852"}, "CAREDESK_METRICS_ADDR is \"127.0.0.1:7852\", which takes the same port as CAREDESK_ADDR"},
		{map[string]string{"CAREDESK_ADDR": "127.0.0.1:7850", "CAREDESK_METRICS_ADDR": "localhost:7850"}, "CAREDESK_METRICS_ADDR is \"localhost:7850\", which takes the same port as CAREDESK_ADDR"},
		{map[string]string{"CAREDESK_METRICS_ADDR": ":99999"}, "CAREDESK_METRICS_ADDR is \":99999\": put host:port there"},
		{map[string]string{"CAREDESK_SLA": "soon"}, "CAREDESK_SLA is \"soon\": put a positive duration there"},
		{map[string]string{"CAREDESK_REOPEN_WINDOW": "-1h"}, "CAREDESK_REOPEN_WINDOW is \"-1h\""},
		{map[string]string{"TELEGRAM_WEBHOOK_URL": "https://x.example/telegram/webhook"}, "TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_URL"},
		{map[string]string{"TELEGRAM_WEBHOOK_URL": "https://x.example/h", "TELEGRAM_WEBHOOK_SECRET": "has spaces"}, "TELEGRAM_WEBHOOK_SECRET must be set"},
		{map[string]string{"TELEGRAM_WEBHOOK_SECRET": "abc"}, "TELEGRAM_WEBHOOK_SECRET is set but TELEGRAM_WEBHOOK_URL is not"},
		{map[string]string{"CAREDESK_RETRY_MIN": "10m", "CAREDESK_RETRY_MAX": "1m"}, "CAREDESK_RETRY_MIN (10m0s) is longer than CAREDESK_RETRY_MAX"},
		{map[string]string{"CAREDESK_DB_ALLOW_EMPTY": "maybe"}, "CAREDESK_DB_ALLOW_EMPTY is \"maybe\": put true or false there."},
		{map[string]string{"CAREDESK_LEADER_TAKEOVER": "100ms"}, "CAREDESK_LEADER_TAKEOVER is 100ms: write a time from 1s to 10m"},
		{map[string]string{"CAREDESK_LEADER_TAKEOVER": "soon"}, "CAREDESK_LEADER_TAKEOVER is \"soon\": put a positive duration there"},
		{map[string]string{"CAREDESK_REPLICA": "two\nlines"}, "CAREDESK_REPLICA must be a name of up to 100 printable characters"},
		{map[string]string{"CAREDESK_DB": "postgres://care@db/care", "CAREDESK_FILES_DIR": "/srv/files"}, "CAREDESK_FILES_DIR is set, but on PostgreSQL caredesk keeps files in the database"},
		{map[string]string{"CAREDESK_LOG_LEVEL": "loud"}, "CAREDESK_LOG_LEVEL is \"loud\": put one of debug, info, warn, error there."},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := load(t, tt.change)
			if err == nil {
				t.Fatalf("Load accepted %v", tt.change)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nshould contain %q", err, tt.want)
			}
		})
	}
}

func TestSecretsAreNotEchoed(t *testing.T) {
	const leaked = "xoxp-123-secret-user-token"
	_, err := load(t, map[string]string{"SLACK_BOT_TOKEN": leaked})
	if err == nil || strings.Contains(err.Error(), leaked) {
		t.Fatalf("error %q must refuse the token without repeating it", err)
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	_, err := config.Load(func(string) string { return "" })
	if err == nil {
		t.Fatal("an empty environment was accepted")
	}
	for _, name := range []string{"TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "DISCORD_DESK_CHANNEL_ID", "CAREDESK_CONFIG"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %s:\n%s", name, err)
		}
	}
}

func TestWebhookSourcesAlone(t *testing.T) {
	c, err := load(t, map[string]string{"TELEGRAM_BOT_TOKEN": "", "CAREDESK_CONFIG": "testdata/caredesk.yaml", "TWITTER_HOOK_SECRET": "0123456789abcdef0123"})
	if err != nil {
		t.Fatalf("a desk fed only by webhooks was refused: %v", err)
	}
	if c.HasTelegram() || len(c.File.Webhooks) != 1 {
		t.Errorf("telegram %v, webhooks %+v", c.HasTelegram(), c.File.Webhooks)
	}
}

func TestDiscord(t *testing.T) {
	const (
		token = "MTA4NjAwMDAwMDAwMDAwMDAwMA.GxYz12.abcdefghijklmnopqrstuvwxyz0123456789AB"
		app   = "1086000000000000000"
		guild = "1086000000000000001"
		desk  = "1086000000000000002"
	)
	discordDesk := map[string]string{"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL_ID": "", "SLACK_SIGNING_SECRET": "",
		"DISCORD_BOT_TOKEN": "Bot " + token, "DISCORD_APPLICATION_ID": app, "DISCORD_GUILD_ID": guild, "DISCORD_DESK_CHANNEL_ID": desk}
	c, err := load(t, discordDesk)
	if err != nil {
		t.Fatalf("a Discord desk was refused: %v", err)
	}
	if !c.Discord.Desk() || c.Discord.Source() || c.Discord.Token != token || c.Discord.APIURL != "https://discord.com" || c.Discord.ClaimEmoji != "🙋" {
		t.Errorf("discord %+v", c.Discord)
	}
	community := map[string]string{"TELEGRAM_BOT_TOKEN": "", "DISCORD_BOT_TOKEN": token,
		"DISCORD_SOURCE_CHANNEL_IDS": "1086000000000000005, 1086000000000000006", "DISCORD_ACCEPT_DMS": "yes",
		"DISCORD_MAX_FILE_SIZE": "50MB"}
	c, err = load(t, community)
	if err != nil {
		t.Fatalf("a Discord community as the only source was refused: %v", err)
	}
	if c.Discord.Desk() || !c.Discord.Source() || len(c.Discord.SourceChannelIDs) != 2 || !c.Discord.AcceptDMs || c.Discord.MaxFileSize != 50<<20 {
		t.Errorf("discord %+v", c.Discord)
	}

	tests := []struct {
		change map[string]string
		want   string
	}{
		{map[string]string{"DISCORD_DESK_CHANNEL_ID": desk, "DISCORD_BOT_TOKEN": token, "DISCORD_APPLICATION_ID": app, "DISCORD_GUILD_ID": guild},
			"Both SLACK_BOT_TOKEN and DISCORD_DESK_CHANNEL_ID are set"},
		{map[string]string{"SLACK_BOT_TOKEN": "", "DISCORD_DESK_CHANNEL_ID": desk}, "DISCORD_BOT_TOKEN is not set"},
		{map[string]string{"SLACK_BOT_TOKEN": "", "DISCORD_DESK_CHANNEL_ID": desk, "DISCORD_BOT_TOKEN": token}, "DISCORD_APPLICATION_ID is not set"},
		{map[string]string{"SLACK_BOT_TOKEN": "", "DISCORD_DESK_CHANNEL_ID": desk, "DISCORD_BOT_TOKEN": token, "DISCORD_APPLICATION_ID": app}, "DISCORD_GUILD_ID is not set"},
		{map[string]string{"DISCORD_DESK_CHANNEL_ID": "#desk"}, "DISCORD_DESK_CHANNEL_ID does not look right"},
		{map[string]string{"DISCORD_BOT_TOKEN": token, "DISCORD_SOURCE_CHANNEL_IDS": "support"}, `DISCORD_SOURCE_CHANNEL_IDS has "support", which is not a channel ID`},
		{map[string]string{"DISCORD_BOT_TOKEN": token, "DISCORD_ACCEPT_DMS": "sometimes"}, `DISCORD_ACCEPT_DMS is "sometimes"`},
		{map[string]string{"DISCORD_MAX_FILE_SIZE": "huge"}, `DISCORD_MAX_FILE_SIZE: "huge" is not a size`},
		{map[string]string{"SLACK_BOT_TOKEN": ""}, "caredesk has no desk for the team"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := load(t, tt.change)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
