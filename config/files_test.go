package config_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/config"
)

func TestFilesSection(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    bot.FilePolicy
		wantErr string
	}{
		{"defaults", "", bot.DefaultFilePolicy(), ""},
		{"every setting", "files:\n  max_file: 10MB\n  max_total: 1.5GB\n  retention: 7d\n  link_ttl: 36h\n",
			bot.FilePolicy{MaxFile: 10 << 20, MaxTotal: 3 << 29, Retention: 7 * 24 * time.Hour, LinkTTL: 36 * time.Hour}, ""},
		{"bytes and lower case", "files:\n  max_file: 500kb\n  max_total: 1000000\n",
			bot.FilePolicy{MaxFile: 500 << 10, MaxTotal: 1_000_000, Retention: 30 * 24 * time.Hour, LinkTTL: 7 * 24 * time.Hour}, ""},
		{"not a size", "files:\n  max_file: big\n", bot.FilePolicy{}, `caredesk.yaml:2: files.max_file: "big" is not a size: write it like 512KB, 20MB or 2GB`},
		{"no bytes", "files:\n  max_file: 0\n", bot.FilePolicy{}, "files.max_file: \"0\" is not a size caredesk can keep"},
		{"a file larger than all", "files:\n  max_file: 2GB\n  max_total: 1GB\n", bot.FilePolicy{}, "files.max_total: max_total (1.0 GB) is smaller than max_file (2.0 GB)"},
		{"an unknown setting", "files:\n  keep: forever\n", bot.FilePolicy{}, "files.keep"},
		{"a retention of nothing", "files:\n  retention: 0s\n", bot.FilePolicy{}, "files.retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.ParseFile("caredesk.yaml", []byte(tt.yaml), func(string) string { return "" }, time.Hour)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Files != tt.want {
				t.Errorf("Files = %+v, want %+v", f.Files, tt.want)
			}
		})
	}
}

func TestFilesDir(t *testing.T) {
	for db, want := range map[string]string{
		"caredesk.db":             "caredesk-files",
		"/var/lib/caredesk.db":    "/var/lib/caredesk-files",
		"/data/v1.2/desk":         "/data/v1.2/desk-files",
		"./state/caredesk.sqlite": "./state/caredesk-files",
		"postgres://caredesk@db.internal:5432/caredesk?sslmode=require": "",
	} {
		if got := config.FilesDir(db); got != want {
			t.Errorf("FilesDir(%q) = %q, want %q", db, got, want)
		}
	}
}

func TestFetchAttachmentsFlag(t *testing.T) {
	f, err := config.ParseFile("caredesk.yaml", []byte("sources:\n  webhook:\n    - name: forum\n      secret_env: FORUM_SECRET\n      fetch_attachments: true\n"),
		secretsOnly, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Webhooks[0].FetchAttachments {
		t.Error("fetch_attachments: true was not taken")
	}
}

func TestRedacted(t *testing.T) {
	tests := []struct{ db, redacted, password string }{
		{"caredesk.db", "caredesk.db", ""},
		{"postgres://care:s3cr%40t@db:5432/care?sslmode=require", "postgres://care:xxxxx@db:5432/care?sslmode=require", "s3cr@t"},
		{"postgresql://care@db/care", "postgresql://care@db/care", ""},
	}
	for _, tt := range tests {
		if got := config.Redacted(tt.db); got != tt.redacted {
			t.Errorf("Redacted(%q) = %q, want %q", tt.db, got, tt.redacted)
		}
		if got := config.DBPassword(tt.db); got != tt.password {
			t.Errorf("DBPassword(%q) = %q, want %q", tt.db, got, tt.password)
		}
	}
}
