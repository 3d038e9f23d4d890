package postgres

import (
	"context"
	"errors"
	"fmt"

	"caredesk/leader"
	"caredesk/store/group"
)

// A commit waits for the server to have the transaction on disk
// (synchronous_commit on), and every Update holds the write lock: Updates
// asked for at the same time share one commit (package group), as on
// SQLite. commit runs them, each in a savepoint of its own, so that one
// whose fn fails (a statement the server refused included, which would
// otherwise abort the whole transaction) undoes its own changes alone. An
// Update asked for under a leader's term is made only while the term holds
// (fence).
func (db *DB) commit(ctx context.Context, updates []*group.Update) []group.Outcome {
	out := make([]group.Outcome, len(updates))
	// The transaction is the group's, not any caller's: one caller giving
	// up must not roll the others back.
	t, err := db.pool.BeginTx(ctx, beginWrite)
	if err != nil {
		group.Fail(out, fmt.Errorf("begin transaction: %w", err))
		return out
	}
	defer t.Rollback(ctx)
	// A term is checked once per group, in the transaction itself rather
	// than in an Update's savepoint, whose rollback would let go of the
	// row it locks: the Updates of a leader's term that arrive together
	// (a storm of complaints) cost one check.
	checked := map[leader.Term]error{}
	for i, u := range updates {
		if err := u.Ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		if term, ok := leader.FenceOf(u.Ctx); ok {
			err, seen := checked[term]
			if !seen {
				err = fence(ctx, t, term)
				checked[term] = err
			}
			if err != nil && !errors.Is(err, leader.ErrFenced) {
				group.Fail(out, err) // the transaction is aborted
				return out
			}
			if err != nil {
				out[i].Err = err
				continue
			}
		}
		sp, err := t.Begin(ctx) // a savepoint
		if err != nil {
			group.Fail(out, fmt.Errorf("begin a savepoint: %w", err))
			return out
		}
		out[i] = group.Call(u, &tx{ctx: context.WithoutCancel(u.Ctx), tx: sp})
		if out[i].Failed() {
			err = sp.Rollback(ctx)
		} else {
			err = sp.Commit(ctx)
		}
		if err != nil {
			group.Fail(out, fmt.Errorf("end a savepoint: %w", err))
			return out
		}
	}
	if err := t.Commit(ctx); err != nil {
		group.Fail(out, fmt.Errorf("commit transaction: %w", err))
	}
	return out
}
