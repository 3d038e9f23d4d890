package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// writable is what the DB knows of whether it can write: the outcome of the
// latest write, and when it last tried one just to find out.
//
// When the server's disk fills up, or a failover leaves caredesk talking to
// a read-only standby, every part of caredesk finds out on its own; this is
// the one place that says it once and tells readiness.
type writable struct {
	mu       sync.Mutex
	failing  error     // nil while writes work
	since    time.Time // when writes started failing
	probedAt time.Time // the last write made only to find out
}

// probeEvery is how stale Writable's answer may be: readiness checks come
// every few seconds, and each costs a small write.
const probeEvery = 2 * time.Second

// Writable reports whether the database takes writes: nil, or why not (the
// server is down or unreachable, its disk is full, it is a standby…). It
// writes to find out when its last answer is older than a couple of
// seconds, so that a server that failed while caredesk was idle, or one
// that works again, is noticed.
func (db *DB) Writable(ctx context.Context) error {
	db.health.mu.Lock()
	stale := time.Since(db.health.probedAt) >= probeEvery
	if stale {
		db.health.probedAt = time.Now()
	}
	failing := db.health.failing
	db.health.mu.Unlock()
	if stale {
		err := db.probe(ctx)
		if ctx.Err() == nil { // a caller that gave up says nothing of the server
			db.wrote(err)
			if failing = nil; err != nil && storageFailure(err) {
				failing = err
			}
		}
	}
	if failing == nil {
		return nil
	}
	return fmt.Errorf("the database %s cannot be written (%w): make sure the PostgreSQL server is up and reachable, "+
		"has free disk space, and is the primary, not a read-only standby; caredesk retries by itself", db.where, failing)
}

// probe rewrites the one row of write_probe: a write that needs the server
// up, its disk, and the right to write, and that takes no lock but the row's.
func (db *DB) probe(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, `UPDATE write_probe SET at = now()`)
	return err
}

// wrote records the outcome of a write. Errors that are not the storage
// failing (a ticket not found, a rule refused) say nothing about the server.
func (db *DB) wrote(err error) {
	if err != nil && !storageFailure(err) {
		return
	}
	h := &db.health
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err != nil && h.failing == nil:
		h.failing, h.since = err, time.Now()
		// A server that flaps would otherwise flood the log: said once a
		// minute.
		db.quiet.Log(slog.LevelError, "failing", "the database cannot be written: caredesk refuses new work and keeps trying until it can",
			"db", db.where, "err", err)
	case err != nil:
		h.failing = err
	case h.failing != nil:
		db.quiet.Log(slog.LevelInfo, "writable", "the database is writable again", "db", db.where, "after", time.Since(h.since).Round(time.Second))
		h.failing = nil
	}
}

// storageFailure reports whether err is the database failing (down,
// unreachable, full, read-only, damaged) rather than caredesk asking
// something wrong of it, or a caller giving up.
func storageFailure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"),          // insufficient resources: disk full, out of memory, too many connections
			strings.HasPrefix(pgErr.Code, "58"),          // system error: I/O
			strings.HasPrefix(pgErr.Code, "57P"),         // the server shuts down, or is starting
			pgErr.Code == "25006",                        // read_only_sql_transaction: a standby, or a database made read-only
			pgErr.Code == "XX001", pgErr.Code == "XX002": // data or index corrupted
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// explain turns a failure to open the database into a sentence that says
// what to do.
func (db *DB) explain(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000": // invalid_password, invalid_authorization_specification
			return fmt.Errorf("open store %s: PostgreSQL refused the login (%w): check the user and password in the database URL, "+
				"and that pg_hba.conf lets this host in", db.where, err)
		case "3D000": // invalid_catalog_name
			return fmt.Errorf("open store %s: the database does not exist (%w): create it (createdb) or fix its name in the URL", db.where, err)
		case "42501": // insufficient_privilege
			return fmt.Errorf("open store %s: the user lacks a right caredesk needs (%w). A start that changes the schema needs CREATE "+
				"on it: run that one as the database's owner, or GRANT CREATE ON SCHEMA public TO the user; every start needs "+
				"SELECT, INSERT, UPDATE and DELETE on caredesk's tables", db.where, err)
		case "25006": // read_only_sql_transaction
			return fmt.Errorf("open store %s: the server takes no writes (%w): point the URL at the primary, not a standby, "+
				"or turn default_transaction_read_only off", db.where, err)
		case "53100": // disk_full
			return fmt.Errorf("open store %s: the server's disk is full (%w). Free some space on it and start caredesk again", db.where, err)
		}
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return fmt.Errorf("open store %s: cannot reach PostgreSQL (%w): check the address in the database URL and that the server is up", db.where, err)
	}
	return fmt.Errorf("open store %s: %w", db.where, err)
}
