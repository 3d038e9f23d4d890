package postgres

import (
	"context"
	"errors"
	"fmt"

	"caredesk/bot"
)

// A commit waits for the server to have the transaction on disk
// (synchronous_commit on), and every Update holds the write lock: one at
// a time, they would cost a round trip and a flush each. Updates asked for
// at the same time share one: the writer takes every Update waiting when
// it is free (up to maxGroup), runs each in a savepoint of its own, commits
// once, and only then answers each. An Update whose fn fails undoes its
// own changes alone. As on SQLite (store/sqlite/group.go).
const maxGroup = 64

// update is one Update waiting for the writer.
type update struct {
	ctx  context.Context
	fn   func(bot.Tx) error
	done chan outcome
}

// outcome is what an Update returns: fn's error or the commit's, or the
// panic fn raised, raised again in the caller.
type outcome struct {
	err    error
	panic  any
	goexit bool // fn called runtime.Goexit (t.FailNow in a test): raised again in the caller
}

// failed reports whether the Update's changes are to be undone.
func (o outcome) failed() bool { return o.err != nil || o.panic != nil || o.goexit }

// errClosed is the answer to an Update that came after Close.
var errClosed = errors.New("the database is closed")

// writes serves Updates until Close, a group at a time.
func (db *DB) writes() {
	defer close(db.written)
	// The group's calls to the server end when caredesk closes: a writer
	// waiting for the write lock (another caredesk stuck in a transaction)
	// must not hold shutdown.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-db.closing
		cancel()
	}()
	for {
		var first *update
		select {
		case first = <-db.updates:
		case <-db.closing:
			return
		}
		group := []*update{first}
	more:
		for len(group) < maxGroup {
			select {
			case u := <-db.updates:
				group = append(group, u)
			default:
				break more
			}
		}
		db.commit(ctx, group)
	}
}

// commit runs group in one transaction and answers each of its Updates
// once the transaction is committed or rolled back.
func (db *DB) commit(ctx context.Context, group []*update) {
	out := make([]outcome, len(group))
	defer func() {
		for i, u := range group {
			u.done <- out[i]
		}
	}()
	fail := func(err error) {
		for i := range out {
			if !out[i].failed() {
				out[i].err = err
			}
		}
	}
	// The transaction is the group's, not any caller's: one caller giving
	// up must not roll the others back.
	t, err := db.pool.BeginTx(ctx, beginWrite)
	if err != nil {
		fail(fmt.Errorf("begin transaction: %w", err))
		return
	}
	defer t.Rollback(ctx)
	for i, u := range group {
		if err := u.ctx.Err(); err != nil {
			out[i].err = err
			continue
		}
		sp, err := t.Begin(ctx) // a savepoint
		if err != nil {
			fail(fmt.Errorf("begin a savepoint: %w", err))
			return
		}
		out[i] = call(u, &tx{ctx: context.WithoutCancel(u.ctx), tx: sp})
		if out[i].failed() {
			err = sp.Rollback(ctx)
		} else {
			err = sp.Commit(ctx)
		}
		if err != nil {
			fail(fmt.Errorf("end a savepoint: %w", err))
			return
		}
	}
	if err := t.Commit(ctx); err != nil {
		fail(fmt.Errorf("commit transaction: %w", err))
	}
}

// call runs u's fn on t on a goroutine of its own, catching its panic
// and its runtime.Goexit, which no recover stops: on the writer's
// goroutine it would end the writer and leave the group answered as
// stored.
func call(u *update, t *tx) outcome {
	done := make(chan outcome, 1)
	go func() {
		o := outcome{goexit: true}
		defer func() {
			if p := recover(); p != nil {
				o.panic, o.goexit = p, false
			}
			done <- o
		}()
		o.err = u.fn(t)
		o.goexit = false
	}()
	return <-done
}
