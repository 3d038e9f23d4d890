package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"caredesk/blob"
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
	// Leases counts the outbox's destinations under a lease: holder's
	// and all, for /metrics.
	Leases(ctx context.Context, holder string) (mine, all int, err error)
}

var (
	_ database = (*sqlite.DB)(nil)
	_ database = (*postgres.DB)(nil)
)

// fileStore keeps the bytes of files: in a folder next to a SQLite file,
// or in PostgreSQL, where every replica finds them.
type fileStore interface {
	bot.Blobs
	// Prune removes the bytes no file the database keeps wants (left by a
	// crash between storing them and recording the file).
	Prune(keep func(key string) (bool, error)) (int, error)
}

var (
	_ fileStore = (*blob.Dir)(nil)
	_ fileStore = (*postgres.Blobs)(nil)
)

// openFiles opens where db keeps files' bytes.
func openFiles(cfg config.Config, db database) (fileStore, error) {
	if pg, ok := db.(*postgres.DB); ok {
		return pg.Blobs(cfg.File.Files.MaxTotal), nil
	}
	blobs, err := blob.Open(cfg.FilesDir, cfg.File.Files.MaxTotal)
	if err != nil {
		return nil, fmt.Errorf("the folder for files CAREDESK_FILES_DIR=%s: %w; make it writable by caredesk, or point CAREDESK_FILES_DIR elsewhere", cfg.FilesDir, err)
	}
	return blobs, nil
}

// openDatabase opens the store CAREDESK_DB names, as the replica named
// replica when it is PostgreSQL.
func openDatabase(ctx context.Context, cfg config.Config, replica string, log *slog.Logger) (database, error) {
	if config.Postgres(cfg.DB) {
		db, err := postgres.Open(ctx, cfg.DB, postgres.Logger(log.With("part", "store")), postgres.Replica(replica))
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

// firstStart notes which of the SQLite desk's files (the database, its
// journal files and the files folder) do not exist yet, and returns what
// removes them again: for a first start that failed before it served. A
// folder is removed only while empty. PostgreSQL keeps nothing on disk.
func firstStart(cfg config.Config) (undo func()) {
	if config.Postgres(cfg.DB) {
		return func() {}
	}
	var made []string
	for _, p := range []string{cfg.DB, cfg.DB + "-wal", cfg.DB + "-shm", cfg.DB + "-journal", cfg.FilesDir} {
		if _, err := os.Lstat(p); p != "" && errors.Is(err, fs.ErrNotExist) {
			made = append(made, p)
		}
	}
	return func() {
		for _, p := range made {
			_ = os.Remove(p)
		}
	}
}
