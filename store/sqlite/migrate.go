package sqlite

import (
	"context"
	"embed"
	"fmt"

	"caredesk/store/schema"
)

// Migrations are numbered files (package schema). The number of the last
// one applied is PRAGMA user_version, which lives in the file's header and
// so commits or rolls back with the migration.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the migrations the file lacks, all in one transaction, so
// a failure leaves the file as it was.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := schema.Read(migrationFiles, "migrations")
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
		if _, err := t.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		// PRAGMA takes no parameters; m.Version is an int.
		if _, err := t.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, m.Version)); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}
