package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"caredesk/config"
	"caredesk/sim/blueskysim"
	"caredesk/sim/bridgesim"
	"caredesk/sim/discordsim"
	"caredesk/sim/feedsim"
	"caredesk/sim/mastodonsim"
	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
	"caredesk/store/postgres"
	"caredesk/store/postgres/pgtest"
	"caredesk/store/sqlite"
)

// doctorRig is a set-up for `caredesk doctor`: a Slack, a Telegram and a
// webhook bridge on loopback, a SQLite file, and the environment that
// names them all.
type doctorRig struct {
	slack    *slacksim.Server
	telegram *telegramsim.Server
	bridge   *bridgesim.Server
	env      map[string]string
	dir      string
	yaml     []byte // CAREDESK_CONFIG's content
}

const (
	doctorTelegramToken = "123456789:AAHdoctordoctordoctordoctor"
	doctorBridgeSecret  = "forum-secret-forum-secret"
)

func newDoctorRig(t *testing.T) *doctorRig {
	t.Helper()
	sl, err := slacksim.New(slacksim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sl.Close)
	tg, err := telegramsim.New(doctorTelegramToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	bridge, err := bridgesim.New(bridgesim.Options{Secret: doctorBridgeSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bridge.Close)
	dir := t.TempDir()
	yaml := "sources:\n  webhook:\n    - name: forum\n      secret_env: FORUM_HOOK_SECRET\n      reply_url: " + bridge.ReplyURL() + "\n"
	if err := os.WriteFile(filepath.Join(dir, "caredesk.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "caredesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	o := sl.Options()
	return &doctorRig{slack: sl, telegram: tg, bridge: bridge, dir: dir, yaml: []byte(yaml), env: map[string]string{
		"SLACK_BOT_TOKEN":    o.BotToken,
		"SLACK_APP_TOKEN":    o.AppToken,
		"SLACK_CHANNEL_ID":   o.ChannelID,
		"SLACK_API_URL":      sl.APIURL(),
		"TELEGRAM_BOT_TOKEN": doctorTelegramToken,
		"TELEGRAM_API_URL":   tg.URL(),
		"CAREDESK_CONFIG":    filepath.Join(dir, "caredesk.yaml"),
		"FORUM_HOOK_SECRET":  doctorBridgeSecret,
		"CAREDESK_DB":        filepath.Join(dir, "caredesk.db"),
	}}
}

// setWebhook sets the bot's webhook, as another program with the token
// would.
func (r *doctorRig) setWebhook(t *testing.T, hook string) {
	t.Helper()
	resp, err := http.PostForm(r.telegram.URL()+"/bot"+doctorTelegramToken+"/setWebhook", url.Values{"url": {hook}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r.telegram.WebhookURL() != hook {
		t.Fatalf("the simulator did not take the webhook (%s)", resp.Status)
	}
}

func (r *doctorRig) run(t *testing.T) (code int, out string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code = run(context.Background(), []string{"doctor"}, func(k string) string { return r.env[k] }, &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Errorf("doctor wrote to stderr:\n%s", stderr.String())
	}
	return code, stdout.String()
}

// TestDoctor runs `caredesk doctor` on a healthy set-up and on set-ups
// with one thing wrong each: the checklist says what, and it exits 1.
func TestDoctor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, r *doctorRig)
		code  int
		want  []string // lines, or their beginnings
	}{
		{name: "healthy", code: 0, want: []string{
			"ok   the settings and CAREDESK_CONFIG load\n",
			"ok   the database CAREDESK_DB opens, is up to date and takes writes\n",
			"ok   Slack: SLACK_BOT_TOKEN works\n",
			"ok   Slack: the bot is in SLACK_CHANNEL_ID C0DESK\n",
			"ok   Slack: the app has every scope caredesk uses\n",
			"ok   Slack: SLACK_APP_TOKEN opens Socket Mode\n",
			"skip Slack: /desk and the events are configured: Slack shows an app's slash commands and event subscriptions to none of the tokens caredesk holds:",
			"ok   Telegram: TELEGRAM_BOT_TOKEN works\n",
			"ok   Telegram: the bot's webhook suits long polling\n",
			"skip Telegram: the bot reads every message in groups (privacy mode off): privacy mode is on, so in a group the bot gets only the messages that mention it",
			"ok   webhook source \"forum\": its reply_url answers a signed ping\n",
			"ok   the clock agrees with the networks' (within a minute)\n",
		}},
		{name: "Telegram privacy off", code: 0, spoil: func(_ *testing.T, r *doctorRig) { r.telegram.SetPrivacy(false) }, want: []string{
			"ok   Telegram: the bot reads every message in groups (privacy mode off)\n",
		}},
		{name: "settings", code: 1, spoil: func(_ *testing.T, r *doctorRig) { delete(r.env, "SLACK_CHANNEL_ID") }, want: []string{
			"FAIL the settings and CAREDESK_CONFIG load: SLACK_CHANNEL_ID is not set:",
			"skip the database CAREDESK_DB: the settings do not load.\n",
		}},
		{name: "bad Slack token", code: 1, spoil: func(_ *testing.T, r *doctorRig) { r.env["SLACK_BOT_TOKEN"] = "xoxb-not-the-token" }, want: []string{
			"FAIL Slack: SLACK_BOT_TOKEN works: Slack rejected SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token",
			"skip Slack: the bot is in SLACK_CHANNEL_ID C0DESK: SLACK_BOT_TOKEN does not work.\n",
			"ok   Telegram: TELEGRAM_BOT_TOKEN works\n",
		}},
		{name: "bot not in channel", code: 1, spoil: func(_ *testing.T, r *doctorRig) {
			r.slack.AddChannel("C0ELSEWHERE", "elsewhere", false)
			r.env["SLACK_CHANNEL_ID"] = "C0ELSEWHERE"
		}, want: []string{
			"FAIL Slack: the bot is in SLACK_CHANNEL_ID C0ELSEWHERE: @caredesk is not a member of #elsewhere: invite it with /invite @caredesk in that channel.\n",
		}},
		{name: "missing scope", code: 1, spoil: func(_ *testing.T, r *doctorRig) { r.slack.RevokeScope("files:read") }, want: []string{
			"FAIL Slack: the app has every scope caredesk uses: the app lacks files:read: add it under Bot Token Scopes",
		}},
		{name: "Telegram webhook while polling", code: 1, spoil: func(t *testing.T, r *doctorRig) {
			r.setWebhook(t, "https://old.example.com/telegram")
		}, want: []string{
			"FAIL Telegram: the bot's webhook suits long polling: a webhook is set for this bot (https://old.example.com/telegram) while caredesk is configured for long polling",
		}},
		{name: "Telegram webhook elsewhere", code: 1, spoil: func(t *testing.T, r *doctorRig) {
			r.env["TELEGRAM_WEBHOOK_URL"], r.env["TELEGRAM_WEBHOOK_SECRET"] = "https://desk.example.com/telegram/webhook", "doctor-secret"
			r.setWebhook(t, "https://other.example.com/telegram")
		}, want: []string{
			"FAIL Telegram: the bot's webhook suits TELEGRAM_WEBHOOK_URL: Telegram sends this bot's updates to https://other.example.com/telegram, not to TELEGRAM_WEBHOOK_URL https://desk.example.com/telegram/webhook:",
		}},
		{name: "Telegram webhook not set yet", code: 0, spoil: func(_ *testing.T, r *doctorRig) {
			r.env["TELEGRAM_WEBHOOK_URL"], r.env["TELEGRAM_WEBHOOK_SECRET"] = "https://desk.example.com/telegram/webhook", "doctor-secret"
		}, want: []string{
			"skip Telegram: the bot's webhook suits TELEGRAM_WEBHOOK_URL: no webhook is set yet: caredesk sets TELEGRAM_WEBHOOK_URL at start.\n",
		}},
		{name: "Telegram webhook set as configured", code: 0, spoil: func(t *testing.T, r *doctorRig) {
			r.env["TELEGRAM_WEBHOOK_URL"], r.env["TELEGRAM_WEBHOOK_SECRET"] = "https://desk.example.com/telegram/webhook", "doctor-secret"
			r.setWebhook(t, "https://desk.example.com/telegram/webhook")
		}, want: []string{
			"ok   Telegram: the bot's webhook suits TELEGRAM_WEBHOOK_URL\n",
		}},
		{name: "Telegram webhook failing", code: 1, spoil: func(t *testing.T, r *doctorRig) {
			// The second push comes only after the first one's failure
			// is recorded: then getWebhookInfo shows it.
			tried := make(chan struct{}, 8)
			refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				select {
				case tried <- struct{}{}:
				default: // the simulator goes on trying; the test waits for two
				}
				w.WriteHeader(http.StatusBadGateway)
			}))
			t.Cleanup(refusing.Close)
			hook := refusing.URL + "/telegram/webhook"
			r.env["TELEGRAM_WEBHOOK_URL"], r.env["TELEGRAM_WEBHOOK_SECRET"] = hook, "doctor-secret"
			r.setWebhook(t, hook)
			r.telegram.CustomerWrites(4242, telegramsim.User{ID: 4242, FirstName: "Jane"}, "hello?")
			<-tried
			<-tried
		}, want: []string{
			"FAIL Telegram: the bot's webhook suits TELEGRAM_WEBHOOK_URL: updates are waiting (1), and the last push of them to http://127.0.0.1:",
		}},
		{name: "database in use", code: 0, spoil: func(t *testing.T, r *doctorRig) {
			db, err := sqlite.Open(r.env["CAREDESK_DB"])
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		}, want: []string{
			"skip the database CAREDESK_DB opens, is up to date and takes writes: a running caredesk has it open; `caredesk healthcheck` asks it whether it can write.\n",
		}},
		{name: "team channel not joined", code: 1, spoil: func(t *testing.T, r *doctorRig) {
			r.slack.AddChannel("C0BILLING", "billing", false)
			yaml := "teams:\n  - name: billing\n    channel: C0BILLING\n"
			if err := os.WriteFile(r.env["CAREDESK_CONFIG"], append([]byte(yaml), r.yaml...), 0o600); err != nil {
				t.Fatal(err)
			}
		}, want: []string{
			"ok   Slack: the bot is in SLACK_CHANNEL_ID C0DESK\n",
			"FAIL Slack: the bot is in the channel of team billing C0BILLING: @caredesk is not a member of #billing: invite it with /invite @caredesk in that channel.\n",
		}},
		{name: "Telegram token revoked", code: 1, spoil: func(_ *testing.T, r *doctorRig) { r.telegram.RevokeToken(true) }, want: []string{
			"FAIL Telegram: TELEGRAM_BOT_TOKEN works: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the token @BotFather gave you again",
			"skip Telegram: the bot's webhook suits long polling: TELEGRAM_BOT_TOKEN does not work.\n",
			"skip Telegram: the bot reads every message in groups (privacy mode off): TELEGRAM_BOT_TOKEN does not work.\n",
		}},
		{name: "Telegram away", code: 1, spoil: func(t *testing.T, r *doctorRig) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			r.env["TELEGRAM_API_URL"] = "http://" + ln.Addr().String()
			ln.Close()
		}, want: []string{
			"FAIL Telegram: TELEGRAM_BOT_TOKEN works: cannot reach Telegram at http://127.0.0.1:",
			"connection refused): check the network, any proxy, and TELEGRAM_API_URL.\n",
			"skip Telegram: the bot's webhook suits long polling: TELEGRAM_BOT_TOKEN does not work.\n",
		}},
		{name: "Slack app token rejected", code: 1, spoil: func(_ *testing.T, r *doctorRig) { r.env["SLACK_APP_TOKEN"] = "xapp-not-the-token" }, want: []string{
			"ok   Slack: SLACK_BOT_TOKEN works\n",
			"FAIL Slack: SLACK_APP_TOKEN opens Socket Mode: Slack rejected SLACK_APP_TOKEN (invalid_auth): create an app-level token (xapp-…) with the connections:write scope",
		}},
		{name: "Slack in HTTP mode", code: 0, spoil: func(_ *testing.T, r *doctorRig) {
			delete(r.env, "SLACK_APP_TOKEN")
			r.env["SLACK_SIGNING_SECRET"] = r.slack.Options().SigningSecret
		}, want: []string{
			"ok   Slack: SLACK_SIGNING_SECRET is set for HTTP mode\n",
		}},
		{name: "a source without reply_url", code: 0, spoil: func(t *testing.T, r *doctorRig) {
			yaml := string(r.yaml) + "    - name: shop\n      secret_env: SHOP_HOOK_SECRET\n"
			if err := os.WriteFile(r.env["CAREDESK_CONFIG"], []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			r.env["SHOP_HOOK_SECRET"] = "shop-secret-shop-secret"
		}, want: []string{
			"ok   webhook source \"forum\": its reply_url answers a signed ping\n",
			"skip webhook source \"shop\": its reply_url answers a signed ping: it has no reply_url, so caredesk sends it nothing.\n",
		}},
		{name: "reply_url answers 500", code: 1, spoil: func(_ *testing.T, r *doctorRig) { r.bridge.FailNext(1, http.StatusInternalServerError) }, want: []string{
			"FAIL webhook source \"forum\": its reply_url answers a signed ping: http://127.0.0.1:",
			"/replies answered 500 Internal Server Error to a ping",
		}},
		{name: "database folder missing", code: 1, spoil: func(_ *testing.T, r *doctorRig) {
			r.env["CAREDESK_DB"] = filepath.Join(r.dir, "gone", "caredesk.db")
		}, want: []string{
			"FAIL the database CAREDESK_DB opens, is up to date and takes writes: CAREDESK_DB " + "", // the path follows
			"is in a folder that does not exist",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDoctorRig(t)
			if tc.spoil != nil {
				tc.spoil(t, r)
			}
			code, out := r.run(t)
			if code != tc.code {
				t.Errorf("doctor exited %d, want %d:\n%s", code, tc.code, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("the checklist lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, doctorTelegramToken) || strings.Contains(out, doctorBridgeSecret) {
				t.Errorf("the checklist shows a secret:\n%s", out)
			}
			for line := range strings.SplitSeq(strings.TrimSuffix(out, "\n"), "\n") {
				if !strings.HasPrefix(line, "ok   ") && !strings.HasPrefix(line, "FAIL ") && !strings.HasPrefix(line, "skip ") {
					t.Errorf("a line of the checklist is neither ok, FAIL nor skip: %q", line)
				}
			}
			if fails := strings.Count(out, "FAIL "); (fails > 0) != (tc.code == 1) || tc.code == 1 && fails != 1 {
				t.Errorf("%d checks failed, want exactly one when it exits 1:\n%s", fails, out)
			}
		})
	}
}

// TestDoctorLeavesNoDatabase checks that doctor does not create the SQLite
// file, and says that caredesk will.
func TestDoctorLeavesNoDatabase(t *testing.T) {
	r := newDoctorRig(t)
	path := filepath.Join(r.dir, "new.db")
	r.env["CAREDESK_DB"] = path
	code, out := r.run(t)
	if code != 0 {
		t.Errorf("doctor exited %d, want 0:\n%s", code, out)
	}
	want := "skip the database CAREDESK_DB opens, is up to date and takes writes: CAREDESK_DB " + path + " does not exist yet; caredesk creates it at first start.\n"
	if !strings.Contains(out, want) {
		t.Errorf("the checklist lacks %q:\n%s", want, out)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("doctor left %s behind (%v)", path, err)
	}
}

// TestDoctorPingsSigned checks what the bridge received: one ping, signed
// with the source's secret, and no reply to post.
func TestDoctorPingsSigned(t *testing.T) {
	r := newDoctorRig(t)
	if code, out := r.run(t); code != 0 {
		t.Fatalf("doctor exited %d:\n%s", code, out)
	}
	attempts := r.bridge.Attempts()
	if len(attempts) != 1 || !attempts[0].Verified || !strings.Contains(string(attempts[0].Body), `"kind":"ping"`) {
		t.Errorf("the bridge got %+v, want one signed ping", attempts)
	}
	if replies := r.bridge.Replies(); len(replies) != 0 {
		t.Errorf("the bridge was given replies to post: %+v", replies)
	}
}

// TestDoctorDiscord runs `caredesk doctor` on a Discord desk with a
// Discord community as the source.
func TestDoctorDiscord(t *testing.T) {
	for _, tc := range []struct {
		name     string
		register bool // /desk registered, as caredesk does at start
		opts     discordsim.Options
		spoil    func(d *discordsim.Server, env map[string]string)
		code     int
		want     []string
	}{
		{name: "healthy", register: true, code: 0, want: []string{
			"ok   the settings and CAREDESK_CONFIG load\n",
			"ok   Discord: DISCORD_BOT_TOKEN works\n",
			"ok   Discord: the Message Content intent is on\n",
			"ok   Discord: the bot sees DISCORD_DESK_CHANNEL_ID 200000000000000001\n",
			"ok   Discord: the bot has its permissions in DISCORD_DESK_CHANNEL_ID 200000000000000001\n",
			"ok   Discord: the bot sees DISCORD_SOURCE_CHANNEL_IDS 300000000000000001\n",
			"ok   Discord: the bot has its permissions in DISCORD_SOURCE_CHANNEL_IDS 300000000000000001\n",
			"ok   Discord: /desk is registered in DISCORD_GUILD_ID 100000000000000001\n",
			"ok   the clock agrees with the networks' (within a minute)\n",
		}},
		{name: "before the first start", code: 0, want: []string{
			"skip Discord: /desk is registered in DISCORD_GUILD_ID 100000000000000001: /desk is not registered yet: caredesk registers it at start.\n",
		}},
		{name: "bad token", register: true, code: 1, spoil: func(d *discordsim.Server, _ map[string]string) { d.RevokeToken(true) }, want: []string{
			"FAIL Discord: DISCORD_BOT_TOKEN works: Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized)",
			"skip Discord: the bot sees DISCORD_DESK_CHANNEL_ID 200000000000000001: DISCORD_BOT_TOKEN does not work.\n",
		}},
		{name: "unknown desk channel", register: true, code: 1, spoil: func(_ *discordsim.Server, env map[string]string) {
			env["DISCORD_DESK_CHANNEL_ID"] = "200000000000000999"
		}, want: []string{
			"FAIL Discord: the bot sees DISCORD_DESK_CHANNEL_ID 200000000000000999: Discord finds no channel 200000000000000999:",
			"skip Discord: the bot has its permissions in DISCORD_DESK_CHANNEL_ID 200000000000000999: the bot does not see the channel.\n",
		}},
		{name: "intent off", register: true, code: 1, opts: discordsim.Options{DenyMessageContent: true}, want: []string{
			"FAIL Discord: the Message Content intent is on: the application's MESSAGE CONTENT INTENT is off",
			"ok   Discord: the bot has its permissions in DISCORD_DESK_CHANNEL_ID 200000000000000001\n",
		}},
		{name: "no threads in the desk", register: true, code: 1, spoil: func(d *discordsim.Server, env map[string]string) {
			d.DenyBot(env["DISCORD_DESK_CHANNEL_ID"], discordsim.PermCreatePublicThreads|discordsim.PermSendMessagesInThreads)
		}, want: []string{
			"ok   Discord: the bot sees DISCORD_DESK_CHANNEL_ID 200000000000000001\n",
			"FAIL Discord: the bot has its permissions in DISCORD_DESK_CHANNEL_ID 200000000000000001: the bot lacks Create Public Threads, Send Messages in Threads in #",
			"ok   Discord: the bot has its permissions in DISCORD_SOURCE_CHANNEL_IDS 300000000000000001\n",
		}},
		{name: "no files anywhere", register: true, code: 1, spoil: func(d *discordsim.Server, _ map[string]string) { d.DenyAttachFiles(true) }, want: []string{
			"FAIL Discord: the bot has its permissions in DISCORD_DESK_CHANNEL_ID 200000000000000001: the bot lacks Attach Files in #",
			"FAIL Discord: the bot has its permissions in DISCORD_SOURCE_CHANNEL_IDS 300000000000000001: the bot lacks Attach Files in #",
		}},
		{name: "source channel locked", register: true, code: 1, spoil: func(d *discordsim.Server, env map[string]string) {
			d.DenyBot(env["DISCORD_SOURCE_CHANNEL_IDS"], discordsim.PermSendMessages)
		}, want: []string{
			"ok   Discord: the bot has its permissions in DISCORD_DESK_CHANNEL_ID 200000000000000001\n",
			"FAIL Discord: the bot has its permissions in DISCORD_SOURCE_CHANNEL_IDS 300000000000000001: the bot lacks Send Messages in #",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := discordsim.New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Close)
			o := d.Options()
			if tc.register {
				req, _ := http.NewRequest(http.MethodPut, d.URL()+"/api/v10/applications/"+o.ApplicationID+"/guilds/"+o.GuildID+"/commands",
					strings.NewReader(`[{"name":"desk","description":"the desk","type":1}]`))
				req.Header.Set("Authorization", "Bot "+o.Token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if len(d.Commands(o.GuildID)) != 1 {
					t.Fatalf("the simulator did not take /desk (%s)", resp.Status)
				}
			}
			env := map[string]string{
				"DISCORD_BOT_TOKEN": o.Token, "DISCORD_APPLICATION_ID": o.ApplicationID, "DISCORD_GUILD_ID": o.GuildID,
				"DISCORD_DESK_CHANNEL_ID": o.DeskChannelID, "DISCORD_SOURCE_CHANNEL_IDS": o.SourceChannelIDs[0],
				"DISCORD_API_URL": d.URL(), "CAREDESK_DB": filepath.Join(t.TempDir(), "caredesk.db"),
			}
			if tc.spoil != nil {
				tc.spoil(d, env)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"doctor"}, func(k string) string { return env[k] }, &stdout, &stderr)
			out := stdout.String()
			if code != tc.code {
				t.Errorf("doctor exited %d, want %d:\n%s%s", code, tc.code, out, stderr.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("the checklist lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "Slack") {
				t.Errorf("a Discord desk is checked for Slack:\n%s", out)
			}
		})
	}
}

// TestDoctorPostgres checks the database line on PostgreSQL: a database a
// replica has open is checked beside it, and a read-only one fails.
func TestDoctorPostgres(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, name, dbURL string)
		want  string
	}{
		{name: "beside a replica", spoil: func(t *testing.T, _, dbURL string) {
			db, err := postgres.Open(t.Context(), dbURL, postgres.Replica(replicaName(config.Config{DB: dbURL})))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		}, want: "ok   the database CAREDESK_DB opens, is up to date and takes writes\n"},
		{name: "read-only", spoil: func(t *testing.T, name, _ string) {
			pgtest.Admin(t, "ALTER DATABASE "+name+" SET default_transaction_read_only = on")
		}, want: "FAIL the database CAREDESK_DB opens, is up to date and takes writes: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, dbURL := pgtest.Database(t)
			r := newDoctorRig(t)
			r.env["CAREDESK_DB"] = dbURL
			tc.spoil(t, name, dbURL)
			code, out := r.run(t)
			if !strings.Contains(out, tc.want) {
				t.Errorf("the checklist lacks %q:\n%s", tc.want, out)
			}
			if wantCode := map[bool]int{true: 1, false: 0}[strings.HasPrefix(tc.want, "FAIL")]; code != wantCode {
				t.Errorf("doctor exited %d, want %d:\n%s", code, wantCode, out)
			}
		})
	}
}

// TestDoctorReadOnlyDisk checks the database line when the disk under
// CAREDESK_DB takes no writes: for an existing file, and for one caredesk
// would have to create.
func TestDoctorReadOnlyDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("this test mounts a read-only tmpfs, which needs root; CI runs as root")
	}
	for _, tc := range []struct {
		name   string
		create bool // the database exists before the disk turns read-only
		want   string
	}{
		{"existing", true, "FAIL the database CAREDESK_DB opens, is up to date and takes writes: open the database CAREDESK_DB="},
		{"to create", false, "FAIL the database CAREDESK_DB opens, is up to date and takes writes: CAREDESK_DB "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
				t.Fatalf("mount a tmpfs: %v\n%s", err, out)
			}
			t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
			path := filepath.Join(dir, "caredesk.db")
			if tc.create {
				db, err := sqlite.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
				t.Fatalf("make the tmpfs read-only: %v\n%s", err, out)
			}
			r := newDoctorRig(t)
			r.env["CAREDESK_DB"] = path
			code, out := r.run(t)
			if code != 1 || !strings.Contains(out, tc.want) || !strings.Contains(out, "writable") {
				t.Errorf("doctor exited %d with\n%s\nwant 1 and %q, saying to make it writable", code, out, tc.want)
			}
		})
	}
}

// TestDoctorListeners: each listener of the file gets a line, from one
// call made as its first poll makes it.
func TestDoctorListeners(t *testing.T) {
	const token = "masto-doctor-token-0123"
	for _, tc := range []struct {
		name  string
		spoil func(feeds *feedsim.Server, masto *mastodonsim.Server, sky *blueskysim.Server)
		code  int
		want  []string
	}{
		{name: "healthy", code: 0, want: []string{
			"ok   feed source \"alerts\": its url answers with a feed\n",
			"ok   mastodon source \"brand\": its access token works\n",
			"ok   bluesky source \"brand\": its app password opens a session\n",
		}},
		{name: "not a feed, token revoked", code: 1, spoil: func(feeds *feedsim.Server, masto *mastodonsim.Server, sky *blueskysim.Server) {
			sky.RevokePassword()
			feeds.SetRaw("/alerts", "text/html", []byte("<!doctype html><html><body>Welcome</body></html>"))
			masto.RevokeToken()
		}, want: []string{
			"FAIL feed source \"alerts\": its url answers with a feed: the page at http://127.0.0.1:",
			"is not an RSS or Atom feed but a web page",
			"FAIL mastodon source \"brand\": its access token works: Mastodon rejected the access token of source brand (401)",
			"FAIL bluesky source \"brand\": its app password opens a session: Bluesky refused the app password of source brand",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDoctorRig(t)
			feeds, err := feedsim.New()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(feeds.Close)
			if err := feeds.SetFeed("/alerts", feedsim.RSS, feedsim.Feed{Title: "Forum", Items: []feedsim.Item{{ID: "1", Title: "Acme", Link: "https://forum.example/1"}}}); err != nil {
				t.Fatal(err)
			}
			masto, err := mastodonsim.New(mastodonsim.Options{Token: token})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(masto.Close)
			sky, err := blueskysim.New(blueskysim.Options{Handle: "acme.bsky.social", AppPassword: "abcd-efgh-ijkl-mnop"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(sky.Close)
			yaml := string(r.yaml) + "  feed:\n    - name: alerts\n      url: " + feeds.URL("/alerts") +
				"\n  mastodon:\n    - name: brand\n      instance: " + masto.URL() + "\n      access_token_env: MASTODON_TOKEN\n" +
				"  bluesky:\n    - name: brand\n      handle: acme.bsky.social\n      service: " + sky.URL() + "\n      app_password_env: BLUESKY_APP_PASSWORD\n"
			if err := os.WriteFile(r.env["CAREDESK_CONFIG"], []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			r.env["MASTODON_TOKEN"] = token
			r.env["BLUESKY_APP_PASSWORD"] = "abcd-efgh-ijkl-mnop"
			if tc.spoil != nil {
				tc.spoil(feeds, masto, sky)
			}
			code, out := r.run(t)
			if code != tc.code {
				t.Errorf("doctor exited %d, want %d:\n%s", code, tc.code, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("the checklist lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, token) {
				t.Errorf("the checklist shows the token:\n%s", out)
			}
		})
	}
}
