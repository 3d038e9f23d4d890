package bot

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// outageLanes is how many different lanes (tickets) of one destination must
// fail, with nothing delivered in between, before the courier takes it for
// an outage of the destination rather than trouble with a few tickets. A
// few failing tickets then wait alone; a desk that is down gets one try per
// backoff, not one per ticket.
//
// A pause cannot starve new tickets behind old failing ones: during an
// outage the courier tries a lane that was never tried before one that
// failed (Tx.FreshDelivery), so the first try after a pause is a new
// ticket's whenever there is one, and its success ends the outage. Outside
// an outage the oldest due lane goes first, so that a root refused once
// with 429 keeps its place among the roots.
const outageLanes = 3

// outage is a run of failures at one destination.
type outage struct {
	lanes  map[int64]bool // lanes that failed since the last success
	pauses int            // pauses of the whole destination so far
}

// destinationWait returns how long d's whole destination waits after d
// failed with cause: as long as the network asked (429 Retry-After is about
// the channel, not one ticket), a growing backoff once several different
// tickets failed in a row, and otherwise 0: only d's lane waits.
func (c *Courier) destinationWait(d Delivery, cause error) time.Duration {
	if ra := RetryAfterOf(cause); ra > 0 {
		return ra
	}
	if errors.Is(cause, errNotReady) {
		return 0 // this lane waits for another; the destination is fine
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.outages[d.Destination]
	if o.lanes == nil {
		o.lanes = map[int64]bool{}
	}
	o.lanes[d.TicketID] = true
	if len(o.lanes) >= outageLanes {
		o.pauses++
	}
	c.outages[d.Destination] = o
	if o.pauses == 0 {
		return 0
	}
	return c.retry.backoff(o.pauses)
}

// inOutage reports whether dest's whole destination was paused for a run
// of failures that nothing delivered has ended yet.
func (c *Courier) inOutage(dest string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outages[dest].pauses > 0
}

// destinationWorks ends dest's run of failures: something got through.
func (c *Courier) destinationWorks(dest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.outages, dest)
}

// storeTrouble is the courier's memory of a store that fails (a full disk,
// a read-only or damaged file). While it fails, the courier tries again
// after Min, 2·Min … Max, as it does with deliveries; retrying at once spun
// at full CPU and wrote an error line per try.
type storeTrouble struct {
	failures int       // tries that failed in a row; 0 while the store works
	write    bool      // a write failed, so only a write shows it works again
	since    time.Time // the first failure
	retryAt  time.Time // no store work before this
	last     error
}

// storeError is a store failure met while delivering, told apart from the
// network's failures: it says nothing about the delivery.
type storeError struct {
	write bool
	doing string
	err   error
}

func (e *storeError) Error() string { return e.doing + ": " + e.err.Error() }

func (e *storeError) Unwrap() error { return e.err }

// storeWaits returns an error while the store failed and its next try is
// not due at now, nil when the courier may use the store.
func (c *Courier) storeWaits(now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.trouble
	if t.failures == 0 || !now.Before(t.retryAt) {
		return nil
	}
	return fmt.Errorf("the store failed %d times in a row since %s, the next try is at %s: %w",
		t.failures, t.since.Format(time.RFC3339), t.retryAt.Format(time.RFC3339), t.last)
}

// storeFailed records a failed try at the store and logs it, once and then
// as a count per interval. Tries that were under way when an earlier one
// failed do not lengthen the wait.
func (c *Courier) storeFailed(write bool, doing string, err error) {
	now := c.clock.Now().UTC()
	c.mu.Lock()
	t := &c.trouble
	if t.failures == 0 {
		t.since = now
	}
	if t.failures == 0 || !now.Before(t.retryAt) {
		t.failures++
		t.retryAt = now.Add(c.retry.backoff(t.failures))
	}
	t.write = t.write || write
	t.last = err
	retryIn := t.retryAt.Sub(now)
	c.mu.Unlock()
	c.quiet.Log(slog.LevelError, "outbox: store",
		"outbox: the database fails, so deliveries wait; they resume by themselves when it works again. Free disk space, or make the database file and its directory writable",
		"doing", doing, "retry_in", retryIn, "err", err)
}

// storeWorked ends the store's trouble after a try that worked, and says
// so once. After a failed write only a write counts: reads of a full disk
// work.
func (c *Courier) storeWorked(write bool) {
	now := c.clock.Now().UTC()
	c.mu.Lock()
	t := c.trouble
	if t.failures == 0 || (t.write && !write) {
		c.mu.Unlock()
		return
	}
	c.trouble = storeTrouble{}
	c.mu.Unlock()
	c.log.Info("outbox: the database works again; deliveries resume", "failed_tries", t.failures, "down_for", now.Sub(t.since))
}
