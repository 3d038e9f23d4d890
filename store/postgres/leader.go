package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/leader"
)

var _ leader.Store = (*DB)(nil)

// The terms are decided by the server's clock (clock_timestamp, the time
// of each statement, not of its transaction), so replicas whose clocks
// disagree agree on when a term ran out. Each method is one statement,
// outside the write lock: a leader renews its term even while a long
// Update holds the lock.

// Claim starts a term of role for holder when the last one ran out or was
// holder's own; ErrTaken and the holder that leads otherwise.
func (db *DB) Claim(ctx context.Context, role, holder string, ttl time.Duration) (leader.Term, string, error) {
	var token int64
	err := db.pool.QueryRow(ctx, `
		INSERT INTO leaders (role, holder, token, until) VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 microsecond')
		ON CONFLICT (role) DO UPDATE SET holder = excluded.holder, token = leaders.token + 1, until = excluded.until
		WHERE leaders.until <= clock_timestamp() OR leaders.holder = excluded.holder
		RETURNING token`, role, holder, ttl.Microseconds()).Scan(&token)
	if err == nil {
		return leader.Term{Role: role, Holder: holder, Token: token}, holder, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return leader.Term{}, "", fmt.Errorf("claim %s for %s: %w", role, holder, err)
	}
	var current string
	if err := db.pool.QueryRow(ctx, `SELECT holder FROM leaders WHERE role = $1`, role).Scan(&current); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return leader.Term{}, "", fmt.Errorf("who leads %s: %w", role, err)
	}
	return leader.Term{}, current, leader.ErrTaken
}

// Renew extends t by ttl from now, when it is still the role's term.
func (db *DB) Renew(ctx context.Context, t leader.Term, ttl time.Duration) error {
	tag, err := db.pool.Exec(ctx, `
		UPDATE leaders SET until = clock_timestamp() + $4 * interval '1 microsecond'
		WHERE role = $1 AND holder = $2 AND token = $3`, t.Role, t.Holder, t.Token, ttl.Microseconds())
	if err != nil {
		return fmt.Errorf("renew %s for %s: %w", t.Role, t.Holder, err)
	}
	if tag.RowsAffected() == 0 {
		return leader.ErrFenced
	}
	return nil
}

// Release ends t now, when it is still the role's term. The row stays, so
// the next term's token follows on from this one's.
func (db *DB) Release(ctx context.Context, t leader.Term) error {
	tag, err := db.pool.Exec(ctx, `
		UPDATE leaders SET until = clock_timestamp()
		WHERE role = $1 AND holder = $2 AND token = $3`, t.Role, t.Holder, t.Token)
	if err != nil {
		return fmt.Errorf("give up %s for %s: %w", t.Role, t.Holder, err)
	}
	if tag.RowsAffected() == 0 {
		return leader.ErrFenced
	}
	return nil
}

// fence checks, inside the transaction of a group of Updates, that the
// term some were asked under (leader.WithFence) is still the role's and
// has not run out. FOR SHARE holds the row until the transaction ends: a
// replica taking the role over waits for these writes to commit, so every
// write of an old term lands before the new term begins, never after.
func fence(ctx context.Context, t pgx.Tx, term leader.Term) error {
	var one int
	err := t.QueryRow(ctx, `
		SELECT 1 FROM leaders WHERE role = $1 AND holder = $2 AND token = $3 AND until > clock_timestamp()
		FOR SHARE`, term.Role, term.Holder, term.Token).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s term %d: %w", term.Role, term.Token, leader.ErrFenced)
	}
	if err != nil {
		return fmt.Errorf("check %s term %d: %w", term.Role, term.Token, err)
	}
	return nil
}
