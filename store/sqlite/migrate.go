package sqlite

import (
	"context"
	"embed"
	"fmt"
	"strconv"
	"strings"
)

// Migrations are numbered files, 0001_init.sql, 0002_….sql, applied in
// order. A file once released never changes: a change to the schema is a new
// file. The number of the last one applied is PRAGMA user_version, which
// lives in the file's header and so commits or rolls back with the migration.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for i, e := range entries { // ReadDir sorts by name
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", e.Name(), i+1)
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	return ms, nil
}

// migrate applies the migrations the file lacks, all in one transaction, so
// a failure leaves the file as it was.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	// BEGIN IMMEDIATE (the writer's mode): two processes opening a new file
	// at once migrate one after the other, the second finding nothing to do.
	t, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migrations: %w", err)
	}
	defer t.Rollback()

	var current int
	if err := t.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("the database has schema version %d but this caredesk knows only up to %d; it was written by a newer caredesk, so run that version or a later one", current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := t.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		// PRAGMA takes no parameters; m.version is an int.
		if _, err := t.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, m.version)); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}
