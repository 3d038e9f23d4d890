package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
)

// deliveryFields are the columns of outbox after id, in the order of
// scanDelivery and Enqueue.
var deliveryFields = newColumns(`destination, job, ticket_id, message_id, agent, source, conversation,
	text, attempts, next_at, created_at, last_error`)

var insertDelivery = `INSERT INTO outbox (` + deliveryFields.names + `) VALUES (` + deliveryFields.params(1) + `) RETURNING id`

func scanDelivery(row pgx.Row) (bot.Delivery, error) {
	var d bot.Delivery
	err := row.Scan(&d.ID, &d.Destination, &d.Job, &d.TicketID, &d.MessageID, &d.Agent, &d.Source, &d.Conversation,
		&d.Text, &d.Attempts, scanAt(&d.NextAt), scanAt(&d.CreatedAt), &d.LastError)
	return d, err
}

// Enqueue stores d in the outbox and sets d.ID. Ids are never reused, even
// after the newest delivery left: d.Key() is built from the id, and a network
// that honours keys would drop a new delivery that reused an old one's.
func (tx *tx) Enqueue(d *bot.Delivery) error {
	id, err := tx.insert(fmt.Sprintf("enqueue %s for %s", d.Job, d.Destination), insertDelivery,
		d.Destination, d.Job, d.TicketID, d.MessageID, d.Agent, d.Source, d.Conversation,
		d.Text, d.Attempts, at(d.NextAt), at(d.CreatedAt), d.LastError)
	if err != nil {
		return err
	}
	d.ID = id
	return nil
}

// DueDestinations returns destinations that have a due delivery at the head
// of one of their lanes and are not paused at now, at most limit, the one
// whose oldest delivery is oldest first; none when limit is not positive.
//
// A lane is a destination's deliveries of one ticket; a head that is
// backing off holds back its own lane only. outbox_heads holds one row per
// destination with the time it is next due (its earliest lane head, or the
// end of its pause), kept by triggers (see the migration), so this reads
// one row per destination, not the whole backlog.
func (tx *tx) DueDestinations(now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	return list(tx, "list due destinations", func(row pgx.Row) (d string, err error) { return d, row.Scan(&d) },
		`SELECT destination FROM outbox_heads WHERE next_at <= $1 ORDER BY id LIMIT $2`, laneAt(now), limit)
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
	//
	// The second must read only the due lanes (a range of
	// outbox_lanes_due), which the cached generic plan of a prepared
	// statement does not know to be few: it guesses a third of the lanes
	// for "next_at <= $2", and then walks every lane in id order, or reads
	// them all, past every lane that is backing off (milliseconds with
	// 10,000 lanes). Two hints, each a no-op for the result, keep it on
	// the range: "id + 0" is no column, so min() cannot be taken from an
	// index in id order; and a lower bound makes it a range, which the
	// planner guesses to be narrow.
	return tx.dueDelivery("load next delivery for "+destination, `COALESCE(
			(SELECT id FROM (SELECT id, next_at FROM outbox_lanes WHERE destination = $1 ORDER BY id LIMIT 256) oldest
				WHERE next_at <= $2 ORDER BY id LIMIT 1),
			(SELECT min(id + 0) FROM outbox_lanes WHERE destination = $1 AND next_at >= '-infinity' AND next_at <= $2))`,
		destination, now)
}

// FreshDelivery returns the oldest due lane head of destination never
// tried, among its 256 oldest lanes, so that the look stays cheap with
// thousands of lanes.
func (tx *tx) FreshDelivery(destination string, now time.Time) (bot.Delivery, bool, error) {
	return tx.dueDelivery("load a fresh delivery for "+destination, `(SELECT l.id
			FROM (SELECT id, next_at FROM outbox_lanes WHERE destination = $1 ORDER BY id LIMIT 256) l
			JOIN outbox o ON o.id = l.id
			WHERE l.next_at <= $2 AND o.attempts = 0 ORDER BY l.id LIMIT 1)`,
		destination, now)
}

// dueDelivery loads the delivery whose id the SQL expression pick gives,
// with $1 the destination and $2 now, unless the destination is paused.
func (tx *tx) dueDelivery(doing, pick, destination string, now time.Time) (bot.Delivery, bool, error) {
	d, err := one(tx, doing, errNone, scanDelivery, `SELECT id, `+deliveryFields.names+` FROM outbox WHERE id = `+pick+`
		AND NOT EXISTS (SELECT 1 FROM outbox_pauses WHERE destination = $1 AND until > $2)`,
		destination, laneAt(now))
	if errors.Is(err, errNone) {
		return bot.Delivery{}, false, nil
	}
	if err != nil {
		return bot.Delivery{}, false, err
	}
	return d, true, nil
}

// errNone is the "none" of a look-up whose caller answers ok false, which
// is no error: dueDelivery's "nothing is due", and storm mode's "no storm
// under way", "not listed" and "no digest yet".
var errNone = errors.New("nothing is due")

// PauseDestination makes no delivery of destination due before until; it
// replaces an earlier pause of the destination.
func (tx *tx) PauseDestination(destination string, until time.Time) error {
	_, err := tx.exec("pause deliveries to "+destination, `INSERT INTO outbox_pauses (destination, until) VALUES ($1, $2)
		ON CONFLICT (destination) DO UPDATE SET until = excluded.until`, destination, laneAt(until))
	return err
}

// noDelivery is the error of a delivery id that is not in the outbox.
func noDelivery(id int64) error {
	return bot.Errorf(bot.ENOTFOUND, "Delivery %d is not in the outbox.", id)
}

// FinishDelivery removes delivery id from the outbox.
func (tx *tx) FinishDelivery(id int64) error {
	return tx.changeOne(fmt.Sprintf("finish delivery %d", id), noDelivery(id), `DELETE FROM outbox WHERE id = $1`, id)
}

// HurryDeliveries makes the deliveries of job about message messageID
// due at the given time, unless they are due sooner.
func (tx *tx) HurryDeliveries(job bot.Job, messageID int64, when time.Time) error {
	// The WHERE matches the partial index outbox_message. A delivery of no
	// time (NULL) is due at once already, and NULL > when is not true.
	_, err := tx.exec(fmt.Sprintf("hurry the %s of message %d", job, messageID), `UPDATE outbox SET next_at = $1
		WHERE message_id = $2 AND message_id <> 0 AND job = $3 AND next_at > $1`, at(when), messageID, job)
	return err
}

// PostponeDelivery records a failed attempt and the time of the next.
func (tx *tx) PostponeDelivery(id int64, attempts int, next time.Time, lastError string) error {
	return tx.changeOne(fmt.Sprintf("postpone delivery %d", id), noDelivery(id),
		`UPDATE outbox SET attempts = $2, next_at = $3, last_error = $4 WHERE id = $1`, id, attempts, at(next), lastError)
}

// FreshDeliveries counts the deliveries of destination never tried, due or
// not. The core asks it of the digest job's queue, which holds a run or
// two: the destination's few rows, found by its index, are read.
func (tx *tx) FreshDeliveries(destination string) (int, error) {
	var n int
	if err := tx.tx.QueryRow(tx.ctx, `SELECT count(*) FROM outbox WHERE destination = $1 AND attempts = 0`,
		destination).Scan(&n); err != nil {
		return 0, fmt.Errorf("count fresh deliveries to %s: %w", destination, err)
	}
	return n, nil
}

// DueLanes counts the lanes of destination whose head is due at now: how
// many posts it is behind. A pause is not looked at: the posts wait all
// the same. A parked root's lane (next_at in year 9999) is not due, and in
// a storm those are most of the desk's lanes: the count must read the due
// range of outbox_lanes_due only, never all the lanes. As in NextDelivery,
// the lower bound is a no-op for the result that tells the generic plan of
// the prepared statement that the range is narrow: with 20,000 lanes of
// which 100 are due, the generic plan without it scans every lane (1.3 ms),
// with it reads the 100 from the index (0.2 ms).
func (tx *tx) DueLanes(destination string, now time.Time, limit int) (int, error) {
	var n int
	if err := tx.tx.QueryRow(tx.ctx, `SELECT count(*) FROM (SELECT 1 FROM outbox_lanes
		WHERE destination = $1 AND next_at >= '-infinity' AND next_at <= $2 LIMIT $3) l`, destination, laneAt(now), max(limit, 0)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count due lanes of %s: %w", destination, err)
	}
	return n, nil
}

// FreshDue returns up to limit deliveries of job to destination due at
// now and never tried, oldest first.
func (tx *tx) FreshDue(destination string, job bot.Job, now time.Time, limit int) ([]bot.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	return list(tx, fmt.Sprintf("list the fresh %s deliveries to %s", job, destination), scanDelivery,
		`SELECT id, `+deliveryFields.names+` FROM outbox
		WHERE destination = $1 AND job = $2 AND attempts = 0 AND (next_at IS NULL OR next_at <= $3) ORDER BY id LIMIT $4`,
		destination, job, now, limit)
}

// OldestDue returns when the oldest due lane head of destination was
// queued.
func (tx *tx) OldestDue(destination string, now time.Time) (time.Time, bool, error) {
	var queued time.Time
	err := tx.tx.QueryRow(tx.ctx, `SELECT created_at FROM outbox WHERE id =
		(SELECT min(id) FROM outbox_lanes WHERE destination = $1 AND next_at >= '-infinity' AND next_at <= $2)`,
		destination, laneAt(now)).Scan(scanAt(&queued))
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("look at the oldest due delivery to %s: %w", destination, err)
	}
	return queued, true, nil
}
