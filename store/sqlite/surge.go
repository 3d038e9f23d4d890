package sqlite

import (
	"fmt"
	"time"

	"caredesk/bot"
)

// AddSurge stores s and sets s.ID. A surge starts when its alert was
// posted: one without a start time is refused, as no period could hold it.
func (tx *tx) AddSurge(s *bot.Surge) error {
	if s.Started.IsZero() {
		return fmt.Errorf("add surge on %s: it has no start time", s.Source)
	}
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO surges (source, started_at, ended_at, peak, usual, about)
		VALUES (?, ?, ?, ?, ?, ?)`, s.Source, at(s.Started), at(s.Ended), s.Peak, s.Usual, s.About)
	if err != nil {
		return fmt.Errorf("add surge on %s: %w", s.Source, err)
	}
	if s.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add surge on %s: %w", s.Source, err)
	}
	return nil
}

// EndSurge ends source's newest surge that has not ended, at ended and
// with peak if it is higher than the surge's: the higher is kept (SQLite's
// scalar max). A source without one is no error: nothing changes.
func (tx *tx) EndSurge(source string, ended time.Time, peak int) error {
	if ended.IsZero() {
		return fmt.Errorf("end the surge on %s: no end time", source)
	}
	_, err := tx.tx.ExecContext(tx.ctx, `UPDATE surges SET ended_at = ?, peak = MAX(peak, ?)
		WHERE id = (SELECT id FROM surges WHERE source = ? AND ended_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 1)`,
		at(ended), peak, source)
	if err != nil {
		return fmt.Errorf("end the surge on %s: %w", source, err)
	}
	return nil
}

// Surges returns the surges that overlap [from, until): started before
// until, and not ended before from (one still on has not); oldest first.
// The bounds are compared as they are, the zero time included (the
// earliest), not as at's NULL.
func (tx *tx) Surges(from, until time.Time) ([]bot.Surge, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id, source, started_at, ended_at, peak, usual, about FROM surges
		WHERE (ended_at IS NULL OR ended_at >= ?) AND started_at < ? ORDER BY started_at, id`,
		from.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("list surges: %w", err)
	}
	defer rows.Close()
	var out []bot.Surge
	for rows.Next() {
		var s bot.Surge
		if err := rows.Scan(&s.ID, &s.Source, scanAt(&s.Started), scanAt(&s.Ended), &s.Peak, &s.Usual, &s.About); err != nil {
			return nil, fmt.Errorf("list surges: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list surges: %w", err)
	}
	return out, nil
}
