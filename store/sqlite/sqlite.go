// Package sqlite implements bot.Store on an SQLite file, the store caredesk
// embeds by default.
//
// One process owns the file. Writes go through a single connection, so
// concurrent Updates queue in Go instead of failing with SQLITE_BUSY; reads
// use a pool of read-only connections that WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"

	"caredesk/bot"

	// The driver registers itself as "sqlite3".
	_ "github.com/mattn/go-sqlite3"
)

// DB is an open caredesk database. It implements bot.Store.
type DB struct {
	path   string
	writer *sql.DB // one connection: SQLite allows one writer at a time anyway
	reader *sql.DB // query_only connections for View
}

var _ bot.Store = (*DB)(nil)

// Connection settings shared by both pools. busy_timeout covers another
// process (a backup, an operator's sqlite3 shell) holding the lock; the
// statement cache spares re-parsing the same few statements on every call.
const common = "_busy_timeout=5000&_foreign_keys=1&_stmt_cache_size=64"

// Open opens the database file at path, creating it if needed, and brings its
// schema up to date. It refuses a file written by a newer caredesk.
func Open(path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		// Two pools on an in-memory database would see two databases.
		return nil, errors.New("open store: the SQLite store needs a file path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// A URI, so that "?" or "#" in a path cannot be taken for parameters.
	uri := "file:" + (&url.URL{Path: abs}).EscapedPath()

	// IMMEDIATE takes the write lock at BEGIN: a transaction that read first
	// and then tried to write could otherwise fail instead of waiting.
	writer, err := sql.Open("sqlite3", uri+"?"+common+
		"&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	db := &DB{path: abs, writer: writer}

	// The writer creates and migrates the file before any reader opens it:
	// a query_only connection cannot create a database or set WAL mode.
	if err := db.migrate(context.Background()); err != nil {
		writer.Close()
		return nil, err
	}

	// mattn/go-sqlite3 ignores sql.TxOptions.ReadOnly, so read-only is a
	// property of the connection.
	db.reader, err = sql.Open("sqlite3", uri+"?"+common+"&_query_only=1")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.reader.SetMaxOpenConns(n)
	db.reader.SetMaxIdleConns(n)
	return db, nil
}

// Close closes the database. Transactions still running fail.
func (db *DB) Close() error {
	return errors.Join(db.reader.Close(), db.writer.Close())
}

// Update runs fn in a write transaction. Updates run one at a time, in the
// order they asked; fn must not call Update itself, or it waits forever.
func (db *DB) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return run(ctx, db.writer, fn)
}

// View runs fn in a read-only transaction, beside any running Update.
func (db *DB) View(ctx context.Context, fn func(bot.Tx) error) error {
	return run(ctx, db.reader, fn)
}

func run(ctx context.Context, pool *sql.DB, fn func(bot.Tx) error) error {
	t, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Also on panic: otherwise the single writer connection stays inside
	// the transaction and every later Update waits forever.
	defer t.Rollback()
	if err := fn(&tx{ctx: ctx, tx: t}); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// OutboxLen returns how many deliveries wait in the outbox, due or not. A
// number that keeps growing means a destination is stuck.
func (db *DB) OutboxLen(ctx context.Context) (int, error) {
	var n int
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}

// tx is a transaction of either pool. Its methods take no context because
// bot.Tx has none: they use the one Update or View was called with.
type tx struct {
	ctx context.Context
	tx  *sql.Tx
}
