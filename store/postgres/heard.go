package postgres

import (
	"context"
	"fmt"
	"time"

	"caredesk/leader"
)

// Heard records that a complaint from source was stored at at, unless a
// later one is recorded already. One statement, outside the write lock:
// it is news for the silence watch, not part of any ticket.
func (db *DB) Heard(ctx context.Context, source string, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `INSERT INTO heard (source, at) VALUES ($1, $2)
		ON CONFLICT (source) DO UPDATE SET at = GREATEST(heard.at, excluded.at)`, source, at); err != nil {
		return fmt.Errorf("record that %s was heard: %w", source, err)
	}
	return nil
}

// LastHeard returns when each source last brought a complaint, as every
// replica recorded it.
func (db *DB) LastHeard(ctx context.Context) (map[string]time.Time, error) {
	rows, err := db.pool.Query(ctx, `SELECT source, at FROM heard`)
	if err != nil {
		return nil, fmt.Errorf("read when sources were heard: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var source string
		var at time.Time
		if err := rows.Scan(&source, &at); err != nil {
			return nil, fmt.Errorf("read when sources were heard: %w", err)
		}
		out[source] = at
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read when sources were heard: %w", err)
	}
	return out, nil
}

// Announced records what the desk channel was told of source: up or down,
// and down for silence. Under a leader's term (leader.WithFence) it is
// recorded only while the term holds: a leader that paused after it
// announced must not overwrite what the next one recorded since.
func (db *DB) Announced(ctx context.Context, source string, up, quiet bool) error {
	t, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("record what the desk was told of %s: %w", source, err)
	}
	defer t.Rollback(ctx)
	if term, ok := leader.FenceOf(ctx); ok {
		if err := fence(ctx, t, term); err != nil {
			return fmt.Errorf("record what the desk was told of %s: %w", source, err)
		}
	}
	if _, err := t.Exec(ctx, `INSERT INTO announced (source, up, quiet) VALUES ($1, $2, $3)
		ON CONFLICT (source) DO UPDATE SET up = excluded.up, quiet = excluded.quiet`, source, up, quiet); err != nil {
		return fmt.Errorf("record what the desk was told of %s: %w", source, err)
	}
	if err := t.Commit(ctx); err != nil {
		return fmt.Errorf("record what the desk was told of %s: %w", source, err)
	}
	return nil
}

// LastAnnounced returns what the desk channel was last told of each
// source: whether it is up, and whether it is down for silence.
func (db *DB) LastAnnounced(ctx context.Context) (up, quiet map[string]bool, err error) {
	rows, err := db.pool.Query(ctx, `SELECT source, up, quiet FROM announced`)
	if err != nil {
		return nil, nil, fmt.Errorf("read what the desk was told of sources: %w", err)
	}
	defer rows.Close()
	up, quiet = map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var source string
		var u, q bool
		if err := rows.Scan(&source, &u, &q); err != nil {
			return nil, nil, fmt.Errorf("read what the desk was told of sources: %w", err)
		}
		up[source], quiet[source] = u, q
	}
	return up, quiet, rows.Err()
}
