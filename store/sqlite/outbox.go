package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
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

// zeroAt is how outbox_lanes stores the zero time (due at once): the
// smallest integer, so that "due" is one index range.
const zeroAt = math.MinInt64

// laneAt is t as outbox_lanes and outbox_pauses store it.
func laneAt(t time.Time) int64 {
	if t.IsZero() {
		return zeroAt
	}
	return t.UnixMicro()
}

// DueDestinations returns destinations that have a due delivery at the head
// of one of their lanes and are not paused at now, at most limit, the one
// whose oldest delivery is oldest first; none when limit is not positive.
//
// A lane is a destination's deliveries of one ticket; a head that is
// backing off holds back its own lane only. outbox_heads holds one row per
// destination with the time it is next due (its earliest lane head, or the
// end of its pause), kept by triggers (see the migrations), so this reads
// one row per destination, not the whole backlog.
func (tx *tx) DueDestinations(now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT destination FROM outbox_heads
		WHERE next_at <= ? ORDER BY id LIMIT ?`, laneAt(now), limit)
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

// NextDelivery returns the oldest delivery of destination that is due at
// now and has nothing older pending in its lane; ok is false when there is
// none or the destination is paused.
func (tx *tx) NextDelivery(destination string, now time.Time) (bot.Delivery, bool, error) {
	// Two ways to the oldest due lane, each cheap where the other is not:
	// walk the 256 oldest lanes and take the first due one (a storm of new
	// tickets, nearly all due); failing that, the oldest of the due lanes
	// (many tickets failing at once, few due). COALESCE tries the second
	// only when the first found nothing.
	return tx.dueDelivery("load next delivery for "+destination, `COALESCE(
			(SELECT id FROM (SELECT id, next_at FROM outbox_lanes INDEXED BY outbox_lanes_age
				WHERE destination = ?1 ORDER BY id LIMIT 256) WHERE next_at <= ?2 ORDER BY id LIMIT 1),
			(SELECT MIN(id) FROM outbox_lanes INDEXED BY outbox_lanes_due WHERE destination = ?1 AND next_at <= ?2))`,
		destination, now)
}

// FreshDelivery returns the oldest due lane head of destination never
// tried, among its 256 oldest lanes, so that the look stays cheap with
// thousands of lanes.
func (tx *tx) FreshDelivery(destination string, now time.Time) (bot.Delivery, bool, error) {
	return tx.dueDelivery("load a fresh delivery for "+destination, `(SELECT l.id
			FROM (SELECT id, next_at FROM outbox_lanes INDEXED BY outbox_lanes_age
				WHERE destination = ?1 ORDER BY id LIMIT 256) l JOIN outbox o ON o.id = l.id
			WHERE l.next_at <= ?2 AND o.attempts = 0 ORDER BY l.id LIMIT 1)`,
		destination, now)
}

// dueDelivery loads the delivery whose id the SQL expression pick gives,
// with ?1 the destination and ?2 now, unless the destination is paused.
func (tx *tx) dueDelivery(doing, pick, destination string, now time.Time) (bot.Delivery, bool, error) {
	var d bot.Delivery
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT `+deliveryColumns+` FROM outbox WHERE id = `+pick+`
		AND NOT EXISTS (SELECT 1 FROM outbox_pauses WHERE destination = ?1 AND until > ?2)`,
		destination, laneAt(now)).
		Scan(&d.ID, &d.Destination, &d.Job, &d.TicketID, &d.MessageID, &d.Agent, &d.Source, &d.Conversation,
			&d.Text, &d.Attempts, scanAt(&d.NextAt), scanAt(&d.CreatedAt), &d.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Delivery{}, false, nil
	}
	if err != nil {
		return bot.Delivery{}, false, fmt.Errorf("%s: %w", doing, err)
	}
	return d, true, nil
}

// PauseDestination makes no delivery of destination due before until; it
// replaces an earlier pause of the destination.
func (tx *tx) PauseDestination(destination string, until time.Time) error {
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO outbox_pauses (destination, until) VALUES (?, ?)
		ON CONFLICT (destination) DO UPDATE SET until = excluded.until`, destination, laneAt(until))
	if err != nil {
		return fmt.Errorf("pause deliveries to %s: %w", destination, err)
	}
	return nil
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
// HurryDeliveries makes the deliveries of job about message messageID
// due at at, unless they are due sooner.
func (tx *tx) HurryDeliveries(job bot.Job, messageID int64, at_ time.Time) error {
	// The WHERE matches the partial index outbox_message.
	_, err := tx.tx.ExecContext(tx.ctx, `UPDATE outbox SET next_at = ?
		WHERE message_id = ? AND message_id <> 0 AND job = ? AND next_at > ?`, at(at_), messageID, job, at(at_))
	if err != nil {
		return fmt.Errorf("hurry the %s of message %d: %w", job, messageID, err)
	}
	return nil
}

func (tx *tx) PostponeDelivery(id int64, attempts int, next time.Time, lastError string) error {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE outbox SET attempts = ?, next_at = ?, last_error = ?
		WHERE id = ?`, attempts, at(next), lastError, id)
	if err != nil {
		return fmt.Errorf("postpone delivery %d: %w", id, err)
	}
	return mustChangeOne(res, fmt.Sprintf("postpone delivery %d", id),
		bot.Errorf(bot.ENOTFOUND, "Delivery %d is not in the outbox.", id))
}

// FreshDeliveries counts the deliveries of destination never tried.
func (tx *tx) FreshDeliveries(destination string) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(tx.ctx, `SELECT COUNT(*) FROM outbox WHERE destination = ? AND attempts = 0`,
		destination).Scan(&n); err != nil {
		return 0, fmt.Errorf("count fresh deliveries to %s: %w", destination, err)
	}
	return n, nil
}

// DueLanes counts the lanes of destination whose head is due at now, up
// to limit: in a storm there are thousands, and the caller needs to know
// only whether there are more than a few dozen.
func (tx *tx) DueLanes(destination string, now time.Time, limit int) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(tx.ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM outbox_lanes INDEXED BY outbox_lanes_due
		WHERE destination = ? AND next_at <= ? LIMIT ?)`, destination, laneAt(now), max(limit, 0)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count due lanes of %s: %w", destination, err)
	}
	return n, nil
}

// FreshDue returns up to limit deliveries of job to destination due at
// now and never tried, oldest first.
func (tx *tx) FreshDue(destination string, job bot.Job, now time.Time, limit int) ([]bot.Delivery, error) {
	doing := fmt.Sprintf("list the fresh %s deliveries to %s", job, destination)
	if limit <= 0 {
		return nil, nil
	}
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+deliveryColumns+` FROM outbox INDEXED BY outbox_destination
		WHERE destination = ? AND job = ? AND attempts = 0 AND (next_at IS NULL OR next_at <= ?) ORDER BY id LIMIT ?`,
		destination, job, now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	defer rows.Close()
	var out []bot.Delivery
	for rows.Next() {
		var d bot.Delivery
		if err := rows.Scan(&d.ID, &d.Destination, &d.Job, &d.TicketID, &d.MessageID, &d.Agent, &d.Source, &d.Conversation,
			&d.Text, &d.Attempts, scanAt(&d.NextAt), scanAt(&d.CreatedAt), &d.LastError); err != nil {
			return nil, fmt.Errorf("%s: %w", doing, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	return out, nil
}

// OldestDue returns when the oldest due lane head of destination was
// queued.
func (tx *tx) OldestDue(destination string, now time.Time) (time.Time, bool, error) {
	var queued time.Time
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT created_at FROM outbox WHERE id =
		(SELECT MIN(id) FROM outbox_lanes INDEXED BY outbox_lanes_due WHERE destination = ? AND next_at <= ?)`,
		destination, laneAt(now)).Scan(scanAt(&queued))
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("look at the oldest due delivery to %s: %w", destination, err)
	}
	return queued, true, nil
}
