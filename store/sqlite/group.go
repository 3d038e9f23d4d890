package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"caredesk/bot"
)

// Every committed transaction is on disk (synchronous=FULL): a complaint
// is acknowledged to its network after its commit, and Telegram never
// sends again an update whose offset was confirmed, so "stored" must
// survive a power cut, not only a crash of the process. A synced commit
// costs a few hundred microseconds, so Updates asked for at the same time
// share one: the writer takes every Update waiting when it is free (up to
// maxGroup), runs each in a savepoint of its own, commits once, and only
// then answers each. An Update whose fn fails undoes its own changes
// alone.
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
	// The transaction is the group's, not any caller's: one caller giving
	// up must not roll the others back.
	ctx := context.Background()
	t, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		for i := range out {
			out[i].err = fmt.Errorf("begin transaction: %w", err)
		}
		return
	}
	defer t.Rollback()
	alone := len(group) == 1
	for i, u := range group {
		if err := u.ctx.Err(); err != nil {
			out[i].err = err
			continue
		}
		if !alone {
			if _, err := t.ExecContext(ctx, `SAVEPOINT one`); err != nil {
				out[i].err = fmt.Errorf("begin a savepoint: %w", err)
				continue
			}
		}
		out[i] = call(u, t)
		if alone {
			break
		}
		undo := ""
		if out[i].failed() {
			undo = `ROLLBACK TO one; `
		}
		if _, err := t.ExecContext(ctx, undo+`RELEASE one`); err != nil {
			// The transaction is in a state nobody can vouch for: none of
			// the group is stored.
			for j := range out {
				if !out[j].failed() {
					out[j].err = fmt.Errorf("end a savepoint: %w", err)
				}
			}
			return
		}
	}
	if alone && (out[0].failed()) {
		return // the deferred Rollback undoes it
	}
	if err := t.Commit(); err != nil {
		for i := range out {
			if !out[i].failed() {
				out[i].err = fmt.Errorf("commit transaction: %w", err)
			}
		}
	}
}

// call runs u's fn on a goroutine of its own, catching its panic and its
// runtime.Goexit, which no recover stops: on the writer's goroutine it
// would end the writer and leave the group answered as stored. Statements
// run without the caller's cancellation: SQLite answers an interrupted
// write by rolling back the whole transaction, which here is the group's.
func call(u *update, t *sql.Tx) outcome {
	done := make(chan outcome, 1)
	go func() {
		o := outcome{goexit: true}
		defer func() {
			if p := recover(); p != nil {
				o.panic, o.goexit = p, false
			}
			done <- o
		}()
		o.err = u.fn(&tx{ctx: context.WithoutCancel(u.ctx), tx: t})
		o.goexit = false
	}()
	return <-done
}
