package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Exclusive runs fn in a write transaction that holds the write lock, as
// Update does, and hands fn the pgx transaction itself rather than a bot.Tx:
// for tools that fill caredesk's tables directly (caredesk migrate) while no
// Update of any caredesk on the database can run. It is committed when fn
// returns nil, and rolled back when fn returns an error (handed back as it
// is) or panics.
func (db *DB) Exclusive(ctx context.Context, fn func(pgx.Tx) error) error {
	// The write lock (beginWrite) keeps every Update of every caredesk
	// out, this process's writer included, until fn is done.
	t, err := db.pool.BeginTx(ctx, beginWrite)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer t.Rollback(ctx)
	if err := fn(t); err != nil {
		return err
	}
	if err := t.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
