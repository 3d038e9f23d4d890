package sqlite

import (
	"context"
	"fmt"

	"caredesk/store/group"
)

// Every committed transaction is on disk (synchronous=FULL): a complaint
// is acknowledged to its network after its commit, and Telegram never
// sends again an update whose offset was confirmed, so "stored" must
// survive a power cut, not only a crash of the process. Updates asked for
// at the same time share one synced commit (package group); commit runs
// them, each in a savepoint of its own, so that one whose fn fails undoes
// its own changes alone. A group of one needs no savepoint.
func (db *DB) commit(ctx context.Context, updates []*group.Update) []group.Outcome {
	out := make([]group.Outcome, len(updates))
	// The transaction is the group's, not any caller's: one caller giving
	// up must not roll the others back.
	t, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		group.Fail(out, fmt.Errorf("begin transaction: %w", err))
		return out
	}
	defer t.Rollback()
	alone := len(updates) == 1
	for i, u := range updates {
		if err := u.Ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		if !alone {
			if _, err := t.ExecContext(ctx, `SAVEPOINT one`); err != nil {
				out[i].Err = fmt.Errorf("begin a savepoint: %w", err)
				continue
			}
		}
		// Statements run without the caller's cancellation: SQLite answers
		// an interrupted write by rolling back the whole transaction,
		// which here is the group's.
		out[i] = group.Call(u, &tx{ctx: context.WithoutCancel(u.Ctx), tx: t})
		if alone {
			break
		}
		undo := ""
		if out[i].Failed() {
			undo = `ROLLBACK TO one; `
		}
		if _, err := t.ExecContext(ctx, undo+`RELEASE one`); err != nil {
			// The transaction is in a state nobody can vouch for: none of
			// the group is stored.
			group.Fail(out, fmt.Errorf("end a savepoint: %w", err))
			return out
		}
	}
	if alone && out[0].Failed() {
		return out // the deferred Rollback undoes it
	}
	if err := t.Commit(); err != nil {
		group.Fail(out, fmt.Errorf("commit transaction: %w", err))
	}
	return out
}
