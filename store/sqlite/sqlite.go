// Package sqlite implements bot.Store on an SQLite file, the store caredesk
// embeds by default.
//
// One process owns the file, and holds a lock next to it to make sure. Writes
// go through a single connection, so concurrent Updates queue in Go instead
// of failing with SQLITE_BUSY; reads use a pool of read-only connections that
// WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"caredesk/bot"
	"caredesk/quietlog"
	"caredesk/store/group"

	// The driver registers itself as "sqlite3".
	_ "github.com/mattn/go-sqlite3"
)

// DB is an open caredesk database. It implements bot.Store.
type DB struct {
	path   string
	writer *sql.DB // one connection: SQLite allows one writer at a time anyway
	reader *sql.DB // query_only connections for View
	lock   *lock
	log    *slog.Logger
	quiet  *quietlog.Limiter // the store's troubles, said once a minute
	health writable
	bg     sync.WaitGroup // checkpoints under way

	writes *group.Writer // Updates, a group per commit (group.go)
}

// Option configures Open.
type Option func(*options)

type options struct {
	allowEmpty bool
	log        *slog.Logger
}

// AllowEmpty lets Open take an existing 0-byte file for a new database;
// without it, such a file is refused with ErrEmptyFile.
func AllowEmpty() Option { return func(o *options) { o.allowEmpty = true } }

// Logger sets where the database says that it cannot write, and that it can
// again (the default discards it).
func Logger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

var _ bot.Store = (*DB)(nil)

// Connection settings shared by both pools. busy_timeout covers another
// process (a backup, an operator's sqlite3 shell) holding the lock; the
// statement cache spares re-parsing the same few statements on every call.
const common = "_busy_timeout=5000&_foreign_keys=1&_stmt_cache_size=64"

// Open opens the database file at path, creating it (0600) if needed, and
// brings its schema up to date. It refuses a file that another process has
// open, an existing empty file (unless AllowEmpty), a damaged one, one it
// cannot write, and one written by a newer caredesk, each with a sentence
// that says what to do.
func Open(path string, opts ...Option) (*DB, error) {
	o := options{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" || path == ":memory:" {
		// Two pools on an in-memory database would see two databases.
		return nil, errors.New("open store: the SQLite store needs a file path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Through a symbolic link, the database is the file it points to: the
	// lock must be the same for every name of it.
	abs = resolve(abs)
	l, err := acquire(abs, time.Now())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	db, err := open(abs, o, l)
	if err != nil {
		l.release()
		return nil, err
	}
	db.lock = l
	return db, nil
}

// resolve follows symbolic links in path, also when its last element does
// not exist yet.
func resolve(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path))
	}
	return path
}

func open(abs string, o options, l *lock) (*DB, error) {
	if err := prepare(abs, o.allowEmpty); err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	if err := l.hold(abs); err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	// A URI, so that "?" or "#" in a path cannot be taken for parameters.
	uri := "file:" + (&url.URL{Path: abs}).EscapedPath()

	// IMMEDIATE takes the write lock at BEGIN: a transaction that read first
	// and then tried to write could otherwise fail instead of waiting.
	writer, err := sql.Open("sqlite3", uri+"?"+common+
		"&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	db := &DB{path: abs, writer: writer, log: o.log, quiet: quietlog.New(o.log, time.Minute)}

	// Damage behind an intact header shows only when the damaged pages are
	// read: look before serving, not at the first complaint.
	ctx := context.Background()
	finished, err := db.quickCheck(ctx)
	if err == nil && !finished {
		db.log.Warn("the start-up integrity check of the database did not finish in time; caredesk starts without it",
			"db", abs, "limit", quickCheckTime)
	}
	if err == nil {
		// The writer creates and migrates the file before any reader opens
		// it: a query_only connection cannot create a database or set WAL.
		err = db.migrate(ctx)
	}
	if err == nil {
		err = db.probe(ctx)
	}
	if err != nil {
		writer.Close()
		return nil, explain(abs, err)
	}
	// Start with an empty write-ahead log: left full of the migrations, it
	// would need room it may not get when a small disk fills up.
	if _, err := writer.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		db.log.Warn("could not truncate the write-ahead log at start", "db", abs, "err", err)
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
	db.writes = group.Start(db.commit)
	return db, nil
}

// Close closes the database. Transactions still running fail.
func (db *DB) Close() error {
	db.writes.Close()
	db.health.mu.Lock()
	db.health.closed = true // no checkpoint starts on a closing writer
	db.health.mu.Unlock()
	db.bg.Wait()
	return errors.Join(db.reader.Close(), db.writer.Close(), db.lock.release())
}

// Update runs fn in a write transaction and returns once it is committed
// and on disk. Updates asked for at the same time run one after another
// and share one commit (see group.go); fn must not call Update itself, or
// it waits forever. A ctx that ends before fn starts is its error; one
// that ends while fn runs does not stop it.
func (db *DB) Update(ctx context.Context, fn func(bot.Tx) error) error {
	err := db.writes.Do(ctx, fn)
	db.wrote(err)
	return err
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

// Leases counts the outbox's destinations whose lease has not run out:
// those holder has, and all, for /metrics.
func (db *DB) Leases(ctx context.Context, holder string) (mine, all int, err error) {
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE holder = ?1), COUNT(*) FROM leases WHERE until > ?2`,
		holder, laneAt(time.Now())).Scan(&mine, &all); err != nil {
		return 0, 0, fmt.Errorf("count leases: %w", err)
	}
	return mine, all, nil
}

// tx is a transaction of either pool. Its methods take no context because
// bot.Tx has none: they use the one Update or View was called with.
type tx struct {
	ctx context.Context
	tx  *sql.Tx
}
