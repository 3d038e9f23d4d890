package sqlite_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"caredesk/bot"
	"caredesk/store/sqlite"
)

// TestSecondOpenIsRefused: two caredesks on one file deliver one outbox
// twice; the second is turned away with who holds it.
func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caredesk.db")
	first, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := sqlite.Open(path)
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a database in use: no error")
	}
	host, _ := os.Hostname()
	for _, want := range []string{"another caredesk", fmt.Sprintf("pid %d", os.Getpid()), host, "since", "CAREDESK_DB"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpen(t, path)
	if err := again.Update(t.Context(), func(tx bot.Tx) error { return tx.CreateTicket(&bot.Ticket{State: bot.Open}) }); err != nil {
		t.Errorf("after the first closed, the database is not usable: %v", err)
	}
}

// TestOtherNamesOfTheFileAreRefused: a symbolic or hard link is the same
// database under another name, and another lock file beside it.
func TestOtherNamesOfTheFileAreRefused(t *testing.T) {
	tests := []struct {
		name string
		link func(oldname, newname string) error
	}{
		{"symbolic link", os.Symlink},
		{"hard link", os.Link},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "caredesk.db")
			mustOpen(t, path)
			other := filepath.Join(t.TempDir(), "other.db")
			if err := tt.link(path, other); err != nil {
				t.Fatal(err)
			}
			db, err := sqlite.Open(other)
			if err == nil {
				db.Close()
				t.Fatalf("Open through a %s to a database in use: no error", tt.name)
			}
			if !strings.Contains(err.Error(), "another caredesk is using this database") {
				t.Errorf("refusal %q does not say another caredesk uses it", err)
			}
		})
	}
}

func TestMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nowhere", "caredesk.db")
	db, err := sqlite.Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open in a folder that does not exist: no error")
	}
	if !strings.Contains(err.Error(), "does not exist: create it") {
		t.Errorf("refusal %q does not say to create the folder", err)
	}
}

// TestFilesArePrivate: the database holds customers' names and words.
func TestFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "caredesk.db")
	db := mustOpen(t, path)
	if err := db.Update(t.Context(), func(tx bot.Tx) error { return tx.CreateTicket(&bot.Ticket{State: bot.Open}) }); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", filepath.Base(name), perm)
		}
	}
}

func TestEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caredesk.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open of an existing empty file: no error")
	}
	if !errors.Is(err, sqlite.ErrEmptyFile) || !strings.Contains(err.Error(), "CAREDESK_DB_ALLOW_EMPTY") {
		t.Errorf("refusal %q: want ErrEmptyFile naming CAREDESK_DB_ALLOW_EMPTY", err)
	}
	db, err = sqlite.Open(path, sqlite.AllowEmpty())
	if err != nil {
		t.Fatalf("Open with AllowEmpty: %v", err)
	}
	db.Close()
	if got := userVersion(t, path); got < 1 {
		t.Errorf("schema version %d after AllowEmpty, want a migrated database", got)
	}
}

// TestDamagedPages: a file whose header is intact but whose pages are not
// opens fine in SQLite and fails at every query; caredesk refuses it at
// start with what to do.
func TestDamagedPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caredesk.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(tx bot.Tx) error {
		for i := range 300 {
			t := bot.Ticket{Source: "telegram", Conversation: fmt.Sprint(i), State: bot.Open,
				Customer: bot.Customer{ID: fmt.Sprint(i), Name: strings.Repeat("customer ", 20)}, Text: strings.Repeat("complaint ", 40)}
			if err := tx.CreateTicket(&t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 16*4096 {
		t.Fatalf("the database is %d bytes, too small to damage only its middle", len(b))
	}
	for i := 4 * 4096; i < len(b)-4096; i++ { // page 1, the header, stays intact
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	db, err = sqlite.Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open of a damaged database: no error")
	}
	for _, want := range []string{"damaged", "backup", ".recover"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
}

func TestWritable(t *testing.T) {
	db := MustOpenDB(t)
	if err := db.Writable(t.Context()); err != nil {
		t.Errorf("a new database: Writable = %v, want nil", err)
	}
}
