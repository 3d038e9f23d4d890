package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"caredesk/config"
)

// secretFile writes content to a file of its own and returns its path.
func secretFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSecretFromFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-file")
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr []string // each in the error's sentence
	}{
		{"from the variable", map[string]string{"TOKEN": "abc"}, "abc", nil},
		{"unset", map[string]string{}, "", nil},
		{"from the file", map[string]string{"TOKEN_FILE": secretFile(t, "abc")}, "abc", nil},
		{"one trailing newline dropped", map[string]string{"TOKEN_FILE": secretFile(t, "abc\n")}, "abc", nil},
		{"a Windows newline dropped", map[string]string{"TOKEN_FILE": secretFile(t, "abc\r\n")}, "abc", nil},
		{"only one newline dropped", map[string]string{"TOKEN_FILE": secretFile(t, "abc\n\n")}, "abc\n", nil},
		{"inner newlines kept", map[string]string{"TOKEN_FILE": secretFile(t, "a\nb\n")}, "a\nb", nil},
		{"both set", map[string]string{"TOKEN": "abc", "TOKEN_FILE": secretFile(t, "abc")}, "abc",
			[]string{"TOKEN and TOKEN_FILE are both set", "remove TOKEN or TOKEN_FILE"}},
		{"unreadable", map[string]string{"TOKEN_FILE": missing}, "",
			[]string{"TOKEN_FILE is " + `"` + missing + `"`, "cannot read", "holds TOKEN"}},
		{"a folder", map[string]string{"TOKEN_FILE": t.TempDir()}, "", []string{"TOKEN_FILE is", "cannot read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.Secret(func(k string) string { return tt.env[k] }, "TOKEN")
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Errorf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || got != tt.want {
				t.Fatalf("got %q and %v; want %q and an error saying %q", got, err, tt.want, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestEverySecretFromAFile gives each secret setting as NAME_FILE and
// finds it where caredesk uses it.
func TestEverySecretFromAFile(t *testing.T) {
	hookSecret := "0123456789abcdef-hook"
	yaml := filepath.Join(t.TempDir(), "caredesk.yaml")
	if err := os.WriteFile(yaml, []byte("sources:\n  webhook:\n    - name: forum\n      secret_env: FORUM_HOOK_SECRET\n      reply_url: https://bridge.example.com/replies\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string // the setting
		value string
		base  map[string]string // changes to valid() besides NAME_FILE
		got   func(config.Config) string
		want  string // "" for value
	}{
		{"TELEGRAM_BOT_TOKEN", tgToken, nil, func(c config.Config) string { return c.Telegram.Token }, ""},
		{"TELEGRAM_WEBHOOK_SECRET", "telegram_secret-1", map[string]string{"TELEGRAM_WEBHOOK_URL": "https://care.example.com/telegram/webhook"},
			func(c config.Config) string { return c.Telegram.WebhookSecret }, ""},
		{"SLACK_BOT_TOKEN", slackToken, nil, func(c config.Config) string { return c.Slack.BotToken }, ""},
		{"SLACK_APP_TOKEN", "xapp-1-A111-222-abc", nil, func(c config.Config) string { return c.Slack.AppToken }, ""},
		{"SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5", nil, func(c config.Config) string { return c.Slack.SigningSecret }, ""},
		{"DISCORD_BOT_TOKEN", "MTIzNDU2Nzg5.discord.token", map[string]string{"DISCORD_ACCEPT_DMS": "true"},
			func(c config.Config) string { return c.Discord.Token }, ""},
		{"CAREDESK_ICS_TOKEN", "0123456789abcdef-ics", nil, func(c config.Config) string { return c.ICSToken }, ""},
		{"CAREDESK_EXPORT_TOKEN", "0123456789abcdef-export", nil, func(c config.Config) string { return c.ExportToken }, ""},
		{"CAREDESK_DB", "postgres://caredesk:pw@db:5432/caredesk", nil, func(c config.Config) string { return c.DB }, ""},
		{"PGPASSWORD", "s3cret pass", map[string]string{"CAREDESK_DB": "postgres://caredesk@db:5432/caredesk?sslmode=disable"},
			func(c config.Config) string { return c.DB }, "postgres://caredesk:s3cret%20pass@db:5432/caredesk?sslmode=disable"},
		{"FORUM_HOOK_SECRET", hookSecret, map[string]string{"CAREDESK_CONFIG": yaml}, func(c config.Config) string {
			if len(c.File.Webhooks) == 0 {
				return ""
			}
			return c.File.Webhooks[0].Secret
		}, ""},
	}
	tested := map[string]bool{}
	for _, tt := range tests {
		tested[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			env := valid()
			delete(env, tt.name)
			for k, v := range tt.base {
				env[k] = v
			}
			env[tt.name+"_FILE"] = secretFile(t, tt.value+"\n")
			c, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatalf("%s_FILE refused: %v", tt.name, err)
			}
			want := tt.want
			if want == "" {
				want = tt.value
			}
			if got := tt.got(c); got != want {
				t.Errorf("%s from its file is %q, want %q", tt.name, got, want)
			}
		})
	}
	for _, s := range config.Settings {
		if s.Secret && !tested[s.Name] {
			t.Errorf("the secret %s is not tested here as %s_FILE", s.Name, s.Name)
		}
	}
}

func TestSecretFileMistakes(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "slack-token")
	hooks := filepath.Join(t.TempDir(), "caredesk.yaml")
	if err := os.WriteFile(hooks, []byte("sources:\n  webhook:\n    - name: forum\n      secret_env: FORUM_HOOK_SECRET\n      reply_url: https://bridge.example.com/replies\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change map[string]string
		want   []string // each in the error, which has this many sentences when it is about one setting
	}{
		{"both", map[string]string{"SLACK_BOT_TOKEN_FILE": secretFile(t, slackToken)},
			[]string{"SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE are both set, and caredesk takes the value from one place only: remove SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE."}},
		{"unreadable", map[string]string{"SLACK_BOT_TOKEN": "", "SLACK_BOT_TOKEN_FILE": missing},
			[]string{`SLACK_BOT_TOKEN_FILE is "` + missing + `", which caredesk cannot read (no such file or directory)`}},
		{"a file's token is checked like the variable's", map[string]string{"SLACK_BOT_TOKEN": "", "SLACK_BOT_TOKEN_FILE": secretFile(t, "xoxp-user-token\n")},
			[]string{"SLACK_BOT_TOKEN does not look right"}},
		{"a webhook secret in both", map[string]string{"CAREDESK_CONFIG": hooks, "FORUM_HOOK_SECRET": "0123456789abcdef0", "FORUM_HOOK_SECRET_FILE": secretFile(t, "0123456789abcdef0")},
			[]string{"caredesk.yaml:3: sources.webhook[0].secret_env: FORUM_HOOK_SECRET and FORUM_HOOK_SECRET_FILE are both set"}},
		{"a webhook secret's file unreadable", map[string]string{"CAREDESK_CONFIG": hooks, "FORUM_HOOK_SECRET_FILE": missing},
			[]string{`FORUM_HOOK_SECRET_FILE is "` + missing + `", which caredesk cannot read`}},
		{"a password in the URL and in a file", map[string]string{"CAREDESK_DB": "postgres://caredesk:pw@db/caredesk", "PGPASSWORD_FILE": secretFile(t, "pw")},
			[]string{"the URL of CAREDESK_DB holds a password, and PGPASSWORD_FILE is set: remove the password from the URL or unset PGPASSWORD_FILE."}},
		{"PGPASSWORD twice", map[string]string{"PGPASSWORD": "pw", "PGPASSWORD_FILE": secretFile(t, "pw")},
			[]string{"PGPASSWORD and PGPASSWORD_FILE are both set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.change)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q:\n%v", w, err)
				}
			}
			if n := len(strings.Split(err.Error(), "\n")); n != len(tt.want) && !strings.Contains(tt.name, "unreadable") {
				t.Errorf("%d sentences, want only %q:\n%v", n, tt.want, err)
			}
		})
	}
}

func TestPGPasswordFile(t *testing.T) {
	pw := secretFile(t, "pa:ss/word\n")
	tests := []struct {
		name, db, file, want string
	}{
		{"into a URL without one", "postgres://caredesk@db:5432/caredesk", pw, "postgres://caredesk:pa%3Ass%2Fword@db:5432/caredesk"},
		{"postgresql:// too", "postgresql://caredesk@db/caredesk?sslmode=require", pw, "postgresql://caredesk:pa%3Ass%2Fword@db/caredesk?sslmode=require"},
		{"not into a SQLite file's name", "caredesk.db", pw, "caredesk.db"},
		{"no file, no change", "postgres://caredesk@db/caredesk", "", "postgres://caredesk@db/caredesk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"PGPASSWORD_FILE": tt.file}
			got, err := config.PGPassword(func(k string) string { return env[k] }, tt.db, "CAREDESK_DB")
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
			if tt.file != "" && config.Postgres(tt.db) && config.DBPassword(got) != "pa:ss/word" {
				t.Errorf("the logger would scrub %q, not the password", config.DBPassword(got))
			}
		})
	}
}
