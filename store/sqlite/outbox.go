package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"caredesk/bot"
)

const deliveryColumns = `id, destination, job, ticket_id, message_id, agent, source, conversation,
	text, attempts, next_at, created_at, last_error`

// Enqueue stores d in the outbox and sets d.ID. Ids are never reused, even
// after the newest delivery left: d.Key() is built from the id, and a network
// that honours keys would drop a new delivery that reused an old one's.
func (tx *tx) Enqueue(d *bot.Delivery) error {
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO outbox (destination, job, ticket_id, message_id,
		agent, source, conversation, text, attempts, next_at, created_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.Destination, d.Job, d.TicketID, d.MessageID, d.Agent, d.Source, d.Conversation,
		d.Text, d.Attempts, at(d.NextAt), at(d.CreatedAt), d.LastError)
	if err != nil {
		return fmt.Errorf("enqueue %s for %s: %w", d.Job, d.Destination, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("enqueue %s for %s: %w", d.Job, d.Destination, err)
	}
	d.ID = id
	return nil
}

// DueDestinations returns destinations whose oldest pending delivery is due
// at now, at most limit, oldest first; none when limit is not positive.
//
// Only the head of a queue counts: deliveries to one destination leave in
// order, so a head that is backing off holds back everything behind it, due
// or not. The heads are kept in outbox_heads by triggers (see the
// migration), so this reads one row per queue, not the whole backlog.
func (tx *tx) DueDestinations(now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	// A NULL next_at is the zero time: due at once.
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT destination FROM outbox_heads
		WHERE next_at IS NULL OR next_at <= ? ORDER BY id LIMIT ?`, at(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list due destinations: %w", err)
	}
	defer rows.Close()
	var dests []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("list due destinations: %w", err)
		}
		dests = append(dests, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list due destinations: %w", err)
	}
	return dests, nil
}

// NextDelivery returns the oldest pending delivery of destination, due or
// not; ok is false when the destination has none.
func (tx *tx) NextDelivery(destination string) (bot.Delivery, bool, error) {
	var d bot.Delivery
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT `+deliveryColumns+` FROM outbox
		WHERE destination = ? ORDER BY id LIMIT 1`, destination).
		Scan(&d.ID, &d.Destination, &d.Job, &d.TicketID, &d.MessageID, &d.Agent, &d.Source, &d.Conversation,
			&d.Text, &d.Attempts, scanAt(&d.NextAt), scanAt(&d.CreatedAt), &d.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Delivery{}, false, nil
	}
	if err != nil {
		return bot.Delivery{}, false, fmt.Errorf("load next delivery for %s: %w", destination, err)
	}
	return d, true, nil
}

// FinishDelivery removes delivery id from the outbox.
func (tx *tx) FinishDelivery(id int64) error {
	res, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM outbox WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("finish delivery %d: %w", id, err)
	}
	return mustChangeOne(res, fmt.Sprintf("finish delivery %d", id),
		bot.Errorf(bot.ENOTFOUND, "Delivery %d is not in the outbox.", id))
}

// PostponeDelivery records a failed attempt and the time of the next.
func (tx *tx) PostponeDelivery(id int64, attempts int, next time.Time, lastError string) error {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE outbox SET attempts = ?, next_at = ?, last_error = ?
		WHERE id = ?`, attempts, at(next), lastError, id)
	if err != nil {
		return fmt.Errorf("postpone delivery %d: %w", id, err)
	}
	return mustChangeOne(res, fmt.Sprintf("postpone delivery %d", id),
		bot.Errorf(bot.ENOTFOUND, "Delivery %d is not in the outbox.", id))
}
