package sqlite

import (
	"fmt"
	"strings"
	"time"

	"caredesk/bot"
)

// AddTimer stores t and sets t.ID.
func (tx *tx) AddTimer(t *bot.Timer) error {
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO timers (ticket_id, alarm, share, due_at) VALUES (?, ?, ?, ?)`,
		t.TicketID, t.Alarm, t.Share, at(t.DueAt))
	if err != nil {
		return fmt.Errorf("add %s timer of ticket #%d: %w", t.Alarm, t.TicketID, err)
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add %s timer of ticket #%d: %w", t.Alarm, t.TicketID, err)
	}
	return nil
}

// DueTimers returns timers due at now, earliest first, at most limit.
func (tx *tx) DueTimers(now time.Time, limit int) ([]bot.Timer, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id, ticket_id, alarm, share, due_at FROM timers
		WHERE due_at <= ? ORDER BY due_at, id LIMIT ?`, at(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list due timers: %w", err)
	}
	defer rows.Close()
	var out []bot.Timer
	for rows.Next() {
		var t bot.Timer
		if err := rows.Scan(&t.ID, &t.TicketID, &t.Alarm, &t.Share, scanAt(&t.DueAt)); err != nil {
			return nil, fmt.Errorf("list due timers: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list due timers: %w", err)
	}
	return out, nil
}

// DeleteTimer removes timer id.
func (tx *tx) DeleteTimer(id int64) error {
	res, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM timers WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete timer %d: %w", id, err)
	}
	return mustChangeOne(res, fmt.Sprintf("delete timer %d", id), bot.Errorf(bot.ENOTFOUND, "Timer %d does not exist.", id))
}

// CancelTimers removes the ticket's timers of the given alarms, or all.
func (tx *tx) CancelTimers(ticketID int64, alarms ...bot.Alarm) error {
	query, args := `DELETE FROM timers WHERE ticket_id = ?`, []any{ticketID}
	if len(alarms) > 0 {
		query += ` AND alarm IN (?` + strings.Repeat(", ?", len(alarms)-1) + `)`
		for _, a := range alarms {
			args = append(args, a)
		}
	}
	if _, err := tx.tx.ExecContext(tx.ctx, query, args...); err != nil {
		return fmt.Errorf("cancel timers of ticket #%d: %w", ticketID, err)
	}
	return nil
}
