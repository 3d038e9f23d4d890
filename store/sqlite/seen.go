package sqlite

import (
	"context"
	"fmt"
	"time"
)

// FirstSight records key and reports whether it is new.
func (tx *tx) FirstSight(key string, when time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)`, key, at(when))
	if err != nil {
		return false, fmt.Errorf("record seen key %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record seen key %q: %w", key, err)
	}
	return n == 1, nil
}

// forgetBatch bounds how long one ForgetSeen transaction holds the write
// lock, so that a big prune does not stall incoming complaints.
const forgetBatch = 1000

// ForgetSeen removes keys first seen before the given time and returns how
// many it removed. Networks redeliver within minutes or hours, so keys older
// than a few days only take space; the bot prunes them daily.
func (db *DB) ForgetSeen(ctx context.Context, before time.Time) (int64, error) {
	if before.IsZero() {
		return 0, nil // nothing is older than the zero time
	}
	var total int64
	for {
		// at IS NULL: a key recorded at the zero time is older than any.
		res, err := db.writer.ExecContext(ctx, `DELETE FROM seen WHERE key IN (
			SELECT key FROM seen WHERE at IS NULL OR at < ? LIMIT ?)`, at(before), forgetBatch)
		if err != nil {
			return total, fmt.Errorf("forget seen keys before %s: %w", before.UTC().Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("forget seen keys before %s: %w", before.UTC().Format(time.RFC3339), err)
		}
		total += n
		if n < forgetBatch {
			return total, nil
		}
	}
}
