// Package postgres implements bot.Store on PostgreSQL, the store for running
// several caredesk replicas on one database.
//
// The core reads and then writes inside Update and relies on Updates not
// interleaving, as they cannot on SQLite, which takes its write lock at
// BEGIN. Here every Update takes one advisory lock first, so writers are
// serialized across all replicas exactly as they are in one process on
// SQLite; View runs beside them in a read-only snapshot.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"caredesk/bot"
	"caredesk/quietlog"
	"caredesk/store/group"
)

// The advisory lock keys: fixed, so that every replica and every version of
// caredesk takes the same lock. The high bytes spell "caredesk" in part, to
// stay out of the way of other programs' advisory locks on the same server.
const (
	migrateLock int64 = 0x6361726564650001 // held while the schema is brought up to date
	writeLock   int64 = 0x6361726564650002 // held by every Update (WriteLockKey)
	aloneLock   int64 = 0x6361726564650003 // held for its life by every caredesk: shared by replicas, alone by caredesk migrate
)

// IdleInTransaction is how long the server lets a caredesk transaction sit
// idle between statements before it ends the session: far longer than any
// gap between the statements of a live caredesk, far shorter than the
// default CAREDESK_LEADER_TAKEOVER.
const IdleInTransaction = 5 * time.Second

// WriteLockKey is the advisory lock every Update takes as it begins, so
// that writers of every caredesk on a database take turns; tools and
// tests may take it to keep them all out.
const WriteLockKey = writeLock

// DB is an open caredesk database on a PostgreSQL server. It implements
// bot.Store.
type DB struct {
	pool  *pgxpool.Pool
	where string // user@host:port/database, for sentences; never the password
	log   *slog.Logger
	quiet *quietlog.Limiter // the store's troubles, said once a minute
	// Updates of this process go through one writer (group.go), which
	// shares a commit among those waiting together and alone asks the
	// server for the write lock, so that waiting Updates hold no pool
	// connection that Views could use.
	writes  *group.Writer // Updates, a group per commit (group.go)
	health  writable
	session *pgx.Conn // holds aloneLock (and the replica's name); nil without Alone or Replica
}

var _ bot.Store = (*DB)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	log     *slog.Logger
	alone   bool
	replica string
}

// Alone makes Open refuse a database any caredesk has open (with Alone
// or Replica), and keeps every caredesk from opening it until Close: for
// tools that must have the database to themselves (caredesk migrate).
func Alone() Option { return func(o *options) { o.alone = true } }

// Replica opens the database as the caredesk replica named name: Open
// refuses it while another replica of that name has the database open
// (its outbox leases and its term as leader would be this one's too), and
// while a tool has it Alone.
func Replica(name string) Option { return func(o *options) { o.replica = name } }

// Logger sets where the database says that it cannot write, that it can
// again, and that it brought the schema up to date (the default discards
// it).
func Logger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Open connects to the PostgreSQL database at url (postgres://user@host/db?…,
// with pgx's pool settings such as pool_max_conns) and brings its schema up to
// date. Replicas that start together migrate once: the others wait for the
// first and find nothing to do. It refuses a database written by a newer
// caredesk, and one it cannot write, with a sentence that says what to do.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	o := options{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx blanks out the password of the URL it quotes.
		return nil, fmt.Errorf("open store: %w; write the PostgreSQL URL as postgres://user:password@host:5432/database", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "caredesk" // names its sessions in pg_stat_activity
	}
	// A transaction left idle is a process that stopped in the middle of
	// it (paused, frozen VM, cut off): it holds the write lock and the
	// leader's row, keeping every replica from writing and another from
	// taking over, until the server notices the connection is dead, which
	// may be hours. caredesk never waits between the statements of a
	// transaction, so the server ends one idle for this long.
	if _, ok := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.Itoa(int(IdleInTransaction / time.Millisecond))
	}
	c := cfg.ConnConfig
	where := fmt.Sprintf("%s@%s/%s", c.User, hostPort(c.Host, c.Port), c.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	db := &DB{pool: pool, where: where, log: o.log, quiet: quietlog.New(o.log, time.Minute)}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, db.explain(err)
	}
	if err := db.probe(ctx); err != nil {
		pool.Close()
		return nil, db.explain(err)
	}
	if o.alone || o.replica != "" {
		if err := db.holdSession(ctx, cfg.ConnConfig, o); err != nil {
			pool.Close()
			return nil, err
		}
	}
	db.writes = group.Start(db.commit)
	return db, nil
}

// holdSession takes the session locks of Alone or Replica on a
// connection of its own beside the pool (so a pool of one connection still
// has it to serve Updates), kept until Close: a session's advisory locks
// end with the session, so a caredesk that dies lets the next one start at
// once.
func (db *DB) holdSession(ctx context.Context, cfg *pgx.ConnConfig, o options) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return db.explain(err)
	}
	refused, err := sessionLocks(ctx, conn, o)
	if err != nil {
		conn.Close(context.Background())
		return db.explain(err)
	}
	if refused != "" {
		conn.Close(context.Background())
		return fmt.Errorf("open store %s: %s", db.where, refused)
	}
	db.session = conn
	return nil
}

// sessionLocks takes o's locks on conn and says, when one is held by
// another session, why that refuses this one.
func sessionLocks(ctx context.Context, conn *pgx.Conn, o options) (refused string, err error) {
	try := func(query string, args ...any) (bool, error) {
		var got bool
		err := conn.QueryRow(ctx, query, args...).Scan(&got)
		return got, err
	}
	if o.alone {
		got, err := try(`SELECT pg_try_advisory_lock($1)`, aloneLock)
		if err != nil || got {
			return "", err
		}
		return "another caredesk is using this database; stop every caredesk on it first", nil
	}
	got, err := try(`SELECT pg_try_advisory_lock_shared($1)`, aloneLock)
	if err != nil {
		return "", err
	}
	if !got {
		return "caredesk migrate is moving a desk into this database; start caredesk when it is done", nil
	}
	// The name's own lock: hashtextextended spreads names over the 64-bit
	// keys, where two names sharing one is as unlikely as it is harmless
	// (the second would be refused with a sentence naming its own).
	got, err = try(`SELECT pg_try_advisory_lock(hashtextextended('caredesk replica ' || $1, 0))`, o.replica)
	if err != nil || got {
		return "", err
	}
	return fmt.Sprintf("another caredesk runs as replica %s on this database; give each replica its own CAREDESK_REPLICA, or leave it unset for a name of its own", o.replica), nil
}

// hostPort writes a server's address as people type it.
func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") {
		return host // a Unix socket's folder
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(int(port))
}

// Close closes the connections, once the transactions running have ended.
func (db *DB) Close() error {
	db.writes.Close()
	if db.session != nil {
		_ = db.session.Close(context.Background())
	}
	db.pool.Close()
	return nil
}

// beginWrite is how Update begins: BEGIN and the write lock in one round
// trip (pgx sends a query without arguments as one simple-protocol message).
// READ COMMITTED, not REPEATABLE READ: each statement's snapshot is taken
// when it starts, so everything after the lock sees every Update committed
// before it; a snapshot taken with the lock's statement, while it waited,
// would miss them and fail on their rows.
//
// One lock for all writers is what SQLite does, and what the core was
// written for. A later change may group Updates or take narrower locks (per
// ticket, per destination: see the outbox triggers) where that is safe.
//
// The wait for the lock is bounded (lock_timeout): a writer stuck behind
// a transaction that never ends (a process paused or cut off mid-way)
// fails its group, whose callers try again, instead of waiting for ever.
var beginWrite = pgx.TxOptions{BeginQuery: fmt.Sprintf(
	"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '%ds'; SELECT pg_advisory_xact_lock(%d)", int(writeLockWait/time.Second), writeLock)}

// writeLockWait is the longest an Update's group waits for the write lock.
const writeLockWait = 30 * time.Second

// beginRead is how View begins: one snapshot for all that fn reads, which
// never waits for writers nor fails because of them.
var beginRead = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// Update runs fn in a write transaction. Updates run one at a time, across
// every replica on the database; fn must not call Update itself, or it waits
// forever.
func (db *DB) Update(ctx context.Context, fn func(bot.Tx) error) error {
	err := db.writes.Do(ctx, fn)
	db.wrote(err)
	return err
}

// View runs fn in a read-only transaction, beside any running Update.
func (db *DB) View(ctx context.Context, fn func(bot.Tx) error) error {
	return db.run(ctx, beginRead, fn)
}

// run runs fn in a transaction begun with opts: committed when fn returns
// nil, rolled back when it returns an error (handed back as it is) or
// panics (and the panic goes on).
func (db *DB) run(ctx context.Context, opts pgx.TxOptions, fn func(bot.Tx) error) error {
	t, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Also on panic: a connection left inside the transaction would hold
	// the write lock for as long as it lives. A rollback that fails (ctx is
	// done) closes the connection, which ends the transaction too.
	defer t.Rollback(ctx)
	if err := fn(&tx{ctx: ctx, tx: t}); err != nil {
		return err
	}
	if err := t.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// OutboxLen returns how many deliveries wait in the outbox, due or not. A
// number that keeps growing means a destination is stuck.
func (db *DB) OutboxLen(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}

// Leases counts the outbox's destinations whose lease has not run out:
// those holder has, and all, for /metrics.
func (db *DB) Leases(ctx context.Context, holder string) (mine, all int, err error) {
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE holder = $1), count(*) FROM leases WHERE until > clock_timestamp()`,
		holder).Scan(&mine, &all); err != nil {
		return 0, 0, fmt.Errorf("count leases: %w", err)
	}
	return mine, all, nil
}

// tx is a transaction of Update or View. Its methods take no context because
// bot.Tx has none: they use the one Update or View was called with.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
}

// one scans the only row of query with scan. No row is notFound; any other
// error says it was doing.
func one[T any](tx *tx, doing string, notFound error, scan func(pgx.Row) (T, error), query string, args ...any) (T, error) {
	v, err := scan(tx.tx.QueryRow(tx.ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, notFound
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", doing, err)
	}
	return v, nil
}

// list scans every row of query with scan; none is a nil slice.
func list[T any](tx *tx, doing string, scan func(pgx.Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.tx.Query(tx.ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	vs, err := pgx.AppendRows([]T(nil), rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	return vs, nil
}

// exec runs a statement that returns no rows.
func (tx *tx) exec(doing, query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := tx.tx.Exec(tx.ctx, query, args...)
	if err != nil {
		return tag, fmt.Errorf("%s: %w", doing, err)
	}
	return tag, nil
}

// changeOne runs an UPDATE or DELETE by id, and returns notFound when it
// matched no row: the caller named something that is not there.
func (tx *tx) changeOne(doing string, notFound error, query string, args ...any) error {
	tag, err := tx.exec(doing, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound
	}
	return nil
}

// insert runs an INSERT … RETURNING id and returns the id.
func (tx *tx) insert(doing, query string, args ...any) (int64, error) {
	var id int64
	if err := tx.tx.QueryRow(tx.ctx, query, args...).Scan(&id); err != nil {
		return 0, fmt.Errorf("%s: %w", doing, err)
	}
	return id, nil
}

// insertOfTicket runs query, an INSERT … SELECT $1, … of a row that belongs
// to ticket $1, and returns the new id; ENOTFOUND when the ticket does not
// exist. The ticket is looked for in the statement rather than left to the
// foreign key: in PostgreSQL a statement that fails aborts the whole
// transaction, and the core may go on after a "not found".
func (tx *tx) insertOfTicket(doing, query string, ticketID int64, args ...any) (int64, error) {
	id, err := tx.insert(doing, query+` WHERE EXISTS (SELECT 1 FROM tickets WHERE id = $1) RETURNING id`,
		append([]any{ticketID}, args...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, noTicket(ticketID)
	}
	return id, err
}

// columns is a table's columns after id, as a list for SQL, with the
// placeholders of as many arguments from $first on.
type columns struct {
	names string // "a, b, c"
	n     int
}

// newColumns lists names, a comma-separated list of columns.
func newColumns(names string) columns {
	return columns{names: names, n: strings.Count(names, ",") + 1}
}

// params is "$first, …" for every column.
func (c columns) params(first int) string {
	ps := make([]string, c.n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(first+i)
	}
	return strings.Join(ps, ", ")
}
