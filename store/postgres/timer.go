package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
)

// AddTimer stores t and sets t.ID.
func (tx *tx) AddTimer(t *bot.Timer) error {
	id, err := tx.insertOfTicket(fmt.Sprintf("add %s timer of ticket #%d", t.Alarm, t.TicketID),
		`INSERT INTO timers (ticket_id, alarm, share, due_at) SELECT $1, $2, $3, $4`, t.TicketID, t.Alarm, t.Share, at(t.DueAt))
	if err != nil {
		return err
	}
	t.ID = id
	return nil
}

func scanTimer(row pgx.Row) (bot.Timer, error) {
	var t bot.Timer
	err := row.Scan(&t.ID, &t.TicketID, &t.Alarm, &t.Share, scanAt(&t.DueAt))
	return t, err
}

// DueTimers returns timers due at now, earliest first, at most limit.
func (tx *tx) DueTimers(now time.Time, limit int) ([]bot.Timer, error) {
	if limit <= 0 {
		return nil, nil
	}
	return list(tx, "list due timers", scanTimer, `SELECT id, ticket_id, alarm, share, due_at FROM timers
		WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2`, at(now), limit)
}

// DeleteTimer removes timer id.
func (tx *tx) DeleteTimer(id int64) error {
	return tx.changeOne(fmt.Sprintf("delete timer %d", id), bot.Errorf(bot.ENOTFOUND, "Timer %d does not exist.", id),
		`DELETE FROM timers WHERE id = $1`, id)
}

// CancelTimers removes the ticket's timers of the given alarms, or all.
func (tx *tx) CancelTimers(ticketID int64, alarms ...bot.Alarm) error {
	doing := fmt.Sprintf("cancel timers of ticket #%d", ticketID)
	if len(alarms) == 0 {
		_, err := tx.exec(doing, `DELETE FROM timers WHERE ticket_id = $1`, ticketID)
		return err
	}
	names := make([]string, len(alarms))
	for i, a := range alarms {
		names[i] = string(a)
	}
	_, err := tx.exec(doing, `DELETE FROM timers WHERE ticket_id = $1 AND alarm = ANY($2)`, ticketID, names)
	return err
}
