package postgres

import (
	"context"
	"embed"
	"fmt"

	"caredesk/store/schema"
)

// Migrations are numbered files (package schema). The versions applied are
// rows of schema_migrations, written in the transaction that applies them,
// so they commit or roll back together.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the migrations the database lacks, all in one
// transaction, so a failure leaves it as it was. The transaction holds an
// advisory lock from its first statement: replicas that start together
// migrate one after the other, and all but the first find nothing to do.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := schema.Read(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	t, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin migrations: %w", err)
	}
	defer t.Rollback(ctx)
	// READ COMMITTED (the default): the statements after the lock see what
	// the replica that held it committed.
	if _, err := t.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("wait for other replicas' migrations: %w", err)
	}
	// Looked for before it is created: CREATE … IF NOT EXISTS needs the
	// right to create, which a user that only reads and writes rows lacks
	// once the schema is there.
	var known bool
	if err := t.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&known); err != nil {
		return fmt.Errorf("look for schema_migrations: %w", err)
	}
	if !known {
		if _, err := t.Exec(ctx, `CREATE TABLE schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	var current int
	if err := t.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("the database has schema version %d but this caredesk knows only up to %d; it was written by a newer caredesk, so run that version or a later one", current, len(ms))
	}
	if current == len(ms) {
		return nil // the rollback only lets the lock go
	}
	for _, m := range ms[current:] {
		// Without arguments, pgx sends the file as one simple-protocol
		// query, which may hold many statements.
		if _, err := t.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := t.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if err := t.Commit(ctx); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	db.log.Info("brought the database schema up to date", "db", db.where, "from", current, "to", len(ms))
	return nil
}
