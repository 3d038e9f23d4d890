package sqlite

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// writable is what the DB knows of whether it can write: the outcome of the
// latest write, and when it last tried one just to find out.
//
// When a disk fills up, every part of caredesk finds out on its own; this is
// the one place that says it once, tells readiness, and gives the disk its
// space back: a checkpoint that truncates the write-ahead log when writes
// start failing and when they work again. Without it, on a small volume the
// log grows back into the space an operator just freed.
type writable struct {
	mu       sync.Mutex
	failing  error     // nil while writes work
	since    time.Time // when writes started failing
	probedAt time.Time // the last write made only to find out
	cleaning bool      // a checkpoint is under way
	closed   bool      // Close has begun: no new checkpoint
}

// probeEvery is how stale Writable's answer may be: readiness checks come
// every few seconds, and each costs a small write.
const probeEvery = 2 * time.Second

// Writable reports whether the database takes writes: nil, or why not (the
// disk is full, the file is read-only…). It writes to find out when its last
// answer is older than a couple of seconds, so that a disk that filled while
// caredesk was idle, or one that has space again, is noticed.
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
		if ctx.Err() == nil { // a caller that gave up says nothing of the disk
			db.wrote(err)
			if failing = nil; err != nil && storageFailure(err) {
				failing = err
			}
		}
	}
	if failing == nil {
		return nil
	}
	return fmt.Errorf("the database %s cannot be written (%w): free space on its disk, or make the file and its folder writable; caredesk retries by itself", db.path, failing)
}

// wrote records the outcome of a write. Errors that are not the storage
// failing (a ticket not found, a rule refused) say nothing about the disk.
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
		// A disk with a few pages free lets some writes through: said
		// once a minute, a flapping store does not flood the log.
		db.quiet.Log(slog.LevelError, "failing", "the database cannot be written: caredesk refuses new work and keeps trying until it can; "+
			"if the disk is full, free space on it", "db", db.path, "err", err)
		db.checkpoint()
	case err != nil:
		h.failing = err
	case h.failing != nil:
		db.quiet.Log(slog.LevelInfo, "writable", "the database is writable again", "db", db.path, "after", time.Since(h.since).Round(time.Second))
		h.failing = nil
		db.checkpoint()
	}
}

// checkpoint copies the write-ahead log into the database and truncates it,
// in the background, one at a time. The caller holds h.mu.
func (db *DB) checkpoint() {
	if db.health.cleaning || db.health.closed {
		return
	}
	db.health.cleaning = true
	db.bg.Add(1)
	go func() {
		defer db.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			db.log.Warn("could not truncate the write-ahead log", "db", db.path, "err", err)
		}
		db.health.mu.Lock()
		db.health.cleaning = false
		db.health.mu.Unlock()
	}()
}
