package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
)

// AddSurge stores s and sets s.ID. A surge starts when its alert was
// posted: one without a start time is refused, as no period could hold it.
func (tx *tx) AddSurge(s *bot.Surge) error {
	if s.Started.IsZero() {
		return fmt.Errorf("add surge on %s: it has no start time", s.Source)
	}
	id, err := tx.insert("add surge on "+s.Source, `INSERT INTO surges (source, started_at, ended_at, peak, usual, about)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, s.Source, at(s.Started), at(s.Ended), s.Peak, s.Usual, s.About)
	if err != nil {
		return err
	}
	s.ID = id
	return nil
}

// EndSurge ends source's newest surge that has not ended, at ended and
// with peak if it is higher than the surge's: the higher is kept
// (GREATEST). A source without one is no error: nothing changes.
func (tx *tx) EndSurge(source string, ended time.Time, peak int) error {
	if ended.IsZero() {
		return fmt.Errorf("end the surge on %s: no end time", source)
	}
	_, err := tx.exec("end the surge on "+source, `UPDATE surges SET ended_at = $2, peak = GREATEST(peak, $3)
		WHERE id = (SELECT id FROM surges WHERE source = $1 AND ended_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 1)`,
		source, at(ended), peak)
	return err
}

const selectSurges = `SELECT id, source, started_at, ended_at, peak, usual, about FROM surges `

func scanSurge(row pgx.Row) (bot.Surge, error) {
	var s bot.Surge
	err := row.Scan(&s.ID, &s.Source, scanAt(&s.Started), scanAt(&s.Ended), &s.Peak, &s.Usual, &s.About)
	return s, err
}

// Surges returns the surges that overlap [from, until): started before
// until, and not ended before from (one still on has not); oldest first.
// The bounds are compared as they are, the zero time included (the
// earliest), not as at's NULL.
func (tx *tx) Surges(from, until time.Time) ([]bot.Surge, error) {
	return list(tx, "list surges", scanSurge,
		selectSurges+`WHERE (ended_at IS NULL OR ended_at >= $1) AND started_at < $2 ORDER BY started_at, id`, from, until)
}
