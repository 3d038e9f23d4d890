package postgres

import (
	"context"
	"fmt"
	"time"
)

// FirstSight records key and reports whether it is new.
func (tx *tx) FirstSight(key string, when time.Time) (bool, error) {
	tag, err := tx.exec(fmt.Sprintf("record seen key %q", key),
		`INSERT INTO seen (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, at(when))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// forgetBatch bounds how long one ForgetSeen statement holds the rows it
// deletes, so that a big prune does not stall a replica that records a key.
const forgetBatch = 1000

// ForgetSeen removes keys first seen before the given time and returns how
// many it removed. Networks redeliver within minutes or hours, so keys older
// than a few days only take space; the bot prunes them daily.
//
// It does not take the write lock: each batch is one statement, and an
// Update that records a key as it is deleted waits for the delete and then
// finds it new, as it would have a moment later.
func (db *DB) ForgetSeen(ctx context.Context, before time.Time) (int64, error) {
	if before.IsZero() {
		return 0, nil // nothing is older than the zero time
	}
	var total int64
	for {
		// at IS NULL: a key recorded at the zero time is older than any.
		tag, err := db.pool.Exec(ctx, `DELETE FROM seen WHERE key IN (
			SELECT key FROM seen WHERE at IS NULL OR at < $1 LIMIT $2)`, at(before), forgetBatch)
		if err != nil {
			return total, fmt.Errorf("forget seen keys before %s: %w", before.UTC().Format(time.RFC3339), err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < forgetBatch {
			return total, nil
		}
	}
}
