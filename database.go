package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"caredesk/bot"
	"caredesk/config"
	"caredesk/store/postgres"
	"caredesk/store/sqlite"
)

// database is what caredesk needs of its store beside bot.Store: both the
// SQLite file and PostgreSQL are one.
type database interface {
	bot.Store
	Close() error
	// OutboxLen counts the deliveries waiting, for /metrics.
	OutboxLen(ctx context.Context) (int, error)
	// ForgetSeen forgets de-duplication keys first seen before the time.
	ForgetSeen(ctx context.Context, before time.Time) (int64, error)
	// Writable tells whether a write would succeed now, for /readyz.
	Writable(ctx context.Context) error
}

var (
	_ database = (*sqlite.DB)(nil)
	_ database = (*postgres.DB)(nil)
)

// openDatabase opens the store CAREDESK_DB names.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (database, error) {
	if config.Postgres(cfg.DB) {
		// One caredesk per database until the outbox and the networks'
		// connections are shared between replicas.
		db, err := postgres.Open(ctx, cfg.DB, postgres.Logger(log.With("part", "store")), postgres.Alone())
		if err != nil {
			return nil, fmt.Errorf("open the PostgreSQL database CAREDESK_DB: %w", err)
		}
		return db, nil
	}
	opts := []sqlite.Option{sqlite.Logger(log.With("part", "store"))}
	if cfg.DBAllowEmpty {
		opts = append(opts, sqlite.AllowEmpty())
	}
	db, err := sqlite.Open(cfg.DB, opts...)
	if err != nil {
		return nil, fmt.Errorf("open the database CAREDESK_DB=%s: %w", cfg.DB, err)
	}
	return db, nil
}
