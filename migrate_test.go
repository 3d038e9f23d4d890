package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
	"caredesk/store/sqlite"
)

// TestMigrateFlags: wrong flags and sources are refused with a sentence,
// before any database is touched.
func TestMigrateFlags(t *testing.T) {
	dir := t.TempDir()
	const to = "postgres://caredesk:secret@127.0.0.1:1/nowhere"
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		inStdout string
		inStderr string
	}{
		{"help", []string{"--help"}, nil, 0, "Usage: caredesk migrate --to postgres://", ""},
		{"no target", nil, nil, 2, "", "say where to move the desk with --to postgres://"},
		{"target not PostgreSQL", []string{"--to", "other.db"}, nil, 2, "", "--to takes a PostgreSQL URL"},
		{"unknown flag", []string{"--to", to, "--force"}, nil, 2, "", "flag provided but not defined: -force"},
		{"stray argument", []string{"--to", to, "caredesk.db"}, nil, 2, "", `unexpected "caredesk.db": it takes only flags`},
		{"CAREDESK_DB on PostgreSQL", []string{"--to", to}, map[string]string{"CAREDESK_DB": to}, 2, "",
			"CAREDESK_DB names a PostgreSQL database already"},
		{"no such file", []string{"--to", to, "--from", filepath.Join(dir, "typo.db")}, nil, 1, "",
			"the desk was not moved: there is no SQLite file at " + filepath.Join(dir, "typo.db")},
		{"no such CAREDESK_DB", []string{"--to", to}, map[string]string{"CAREDESK_DB": filepath.Join(dir, "gone.db")}, 1, "",
			"there is no SQLite file at " + filepath.Join(dir, "gone.db")},
		{"CAREDESK_DB from its file", []string{"--to", to}, map[string]string{"CAREDESK_DB_FILE": writeFile(t, filepath.Join(dir, "db-path"), filepath.Join(dir, "filed.db")+"\n")}, 1, "",
			"there is no SQLite file at " + filepath.Join(dir, "filed.db")},
		{"CAREDESK_DB twice", []string{"--to", to}, map[string]string{"CAREDESK_DB": "a.db", "CAREDESK_DB_FILE": filepath.Join(dir, "db-path")}, 2, "",
			"CAREDESK_DB and CAREDESK_DB_FILE are both set"},
		{"a password in --to and in PGPASSWORD_FILE", []string{"--to", to}, map[string]string{"PGPASSWORD_FILE": filepath.Join(dir, "db-path")}, 2, "",
			"the URL of --to holds a password, and PGPASSWORD_FILE is set"},
		{"PGPASSWORD_FILE unreadable", []string{"--to", "postgres://caredesk@127.0.0.1:1/nowhere"}, map[string]string{"PGPASSWORD_FILE": filepath.Join(dir, "nothing")}, 2, "",
			`PGPASSWORD_FILE is "` + filepath.Join(dir, "nothing") + `", which caredesk cannot read`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			code := run(context.Background(), append([]string{"migrate"}, tt.args...), func(k string) string { return tt.env[k] }, &out, &errs)
			if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errs.String(), tt.inStderr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tt.code, out.String(), tt.inStdout, errs.String(), tt.inStderr)
			}
			if strings.Contains(out.String()+errs.String(), "secret") {
				t.Error("the password was printed")
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); err == nil {
		t.Error("caredesk migrate created the SQLite file it was given")
	}
}

// TestMigrateCommand moves a small desk through the command, its files'
// bytes from the folder the flags and environment name, and a second run
// is refused.
func TestMigrateCommand(t *testing.T) {
	server := os.Getenv("CAREDESK_TEST_POSTGRES")
	if server == "" {
		t.Skip("set CAREDESK_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run caredesk migrate against PostgreSQL")
	}
	admin := func(stmt string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Fatalf("CAREDESK_TEST_POSTGRES: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	name := "caredesk_migrate_" + strings.ToLower(rand.Text())
	admin("CREATE DATABASE " + name)
	t.Cleanup(func() { admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	to := u.String()

	// Two files kept, and no folder for them yet.
	path := filepath.Join(t.TempDir(), "desk.db")
	keptDesk(t, path, 2)
	files := filepath.Join(filepath.Dir(path), "desk-files")

	// The folder each way of naming it names is the one looked in: --files
	// before CAREDESK_FILES_DIR before the folder next to the file.
	elsewhere := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no folder next to the file", nil, nil,
			"the desk keeps the bytes of 2 files in a folder, but there is no folder " + files +
				": pass --files DIR, or set CAREDESK_FILES_DIR, to the folder"},
		{"no CAREDESK_FILES_DIR", nil, map[string]string{"CAREDESK_FILES_DIR": filepath.Join(elsewhere, "env")},
			"there is no folder " + filepath.Join(elsewhere, "env") + ":"},
		{"no --files", []string{"--files", filepath.Join(elsewhere, "flag")},
			map[string]string{"CAREDESK_FILES_DIR": filepath.Join(elsewhere, "env")},
			"there is no folder " + filepath.Join(elsewhere, "flag") + ":"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"CAREDESK_DB": path}
			for k, v := range tt.env {
				env[k] = v
			}
			var out, errs bytes.Buffer
			code := run(t.Context(), append([]string{"migrate", "--to", to}, tt.args...), func(k string) string { return env[k] }, &out, &errs)
			if code != 1 || !strings.Contains(errs.String(), tt.want) {
				t.Errorf("exit %d\n%s%s\nwant exit 1 and %q", code, out.String(), errs.String(), tt.want)
			}
		})
	}

	// The bytes of the first file in the folder next to the file; the
	// second's are lost.
	if err := os.Mkdir(files, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(files, "1"), []byte("photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CAREDESK_DB": path}
	var out, errs bytes.Buffer
	code := run(t.Context(), []string{"migrate", "--to", to}, func(k string) string { return env[k] }, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errs.String())
	}
	for _, want := range []string{
		"Moved the desk in " + path + " to PostgreSQL postgres@",
		"Counted in both and compared row by row before the commit:",
		"  tickets                1  tickets\n",
		"  outbox_heads           0  destinations of the outbox\n",
		"Copied from " + files + " into the database, each read back and compared byte for byte:\n" +
			"  files                  1  bytes of kept files (5 bytes)\n",
		"The next ticket will be #2.",
		"Warning: the bytes of 1 kept file were not in " + files + ": file 2. Its record moved without its bytes, " +
			"and caredesk on PostgreSQL will show it as unavailable (no longer kept).",
		"start caredesk with CAREDESK_DB set to the URL given to --to, without CAREDESK_FILES_DIR",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	errs.Reset()
	code = run(t.Context(), []string{"migrate", "--to", to}, func(k string) string { return env[k] }, &out, &errs)
	if code != 1 || !strings.Contains(errs.String(), "holds 1 row of tickets, 1 of messages and 2 of attachments. caredesk migrate moves a desk into an empty database only, and changed nothing") {
		t.Errorf("second run: exit %d\n%s%s", code, out.String(), errs.String())
	}
}

// keptDesk writes a desk into the SQLite file at path: a ticket whose
// message carries n files kept (stored) of 5 bytes each.
func keptDesk(t *testing.T, path string, n int) {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(t.Context(), func(tx bot.Tx) error {
		tk := bot.Ticket{Source: "telegram", Conversation: "42", State: bot.Open, OpenedAt: time.Now()}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		m := bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Text: "photo", At: time.Now()}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		for range n {
			a := bot.Attachment{TicketID: tk.ID, MessageID: m.ID, Size: 5, Stored: true, State: bot.FileDone}
			if err := tx.AddAttachment(&a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeFile writes content at path and returns path.
func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
