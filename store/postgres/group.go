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
	err   error
	panic any
}

// errClosed is the answer to an Update that came after Close.
var errClosed = errors.New("the database is closed")

// writes serves Updates until Close, a group at a time.
func (db *DB) writes() {
	defer close(db.written)
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
		db.commit(group)
	}
}

// commit runs group in one transaction and answers each of its Updates
// once the transaction is committed or rolled back.
func (db *DB) commit(group []*update) {
	out := make([]outcome, len(group))
	defer func() {
		for i, u := range group {
			u.done <- out[i]
		}
	}()
	fail := func(err error) {
		for i := range out {
			if out[i].err == nil && out[i].panic == nil {
				out[i].err = err
			}
		}
	}
	// The transaction is the group's, not any caller's: one caller giving
	// up must not roll the others back.
	ctx := context.Background()
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
		if out[i].err != nil || out[i].panic != nil {
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

// call runs u's fn on t, catching its panic.
func call(u *update, t *tx) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			o.panic = p
		}
	}()
	o.err = u.fn(t)
	return o
}
