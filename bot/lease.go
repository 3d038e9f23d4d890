package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"
)

// Several caredesk processes may share one store (replicas on one
// PostgreSQL database). Each destination's outbox is delivered under a
// lease (Tx.LeaseDestination) that one Courier holds at a time, so a
// channel's posts keep their order and none leaves twice at once; a
// courier that died or was paused stops renewing its lease and is taken
// over when it runs out.
//
// DueDestinations lists what is due whoever holds it: a courier tries the
// lease in the transaction that records its first attempt at the
// destination and skips a destination it is refused, trying it again a
// poll later. Every later attempt checks the lease in the transaction that
// records it, renewing it when half gone, so a courier that woke up after
// another took over learns it before anything leaves, not after.

// CourierHolder names the courier in the leases it holds (default
// host-pid-random). Couriers that share a store must have different names;
// tests give theirs.
func CourierHolder(name string) CourierOption { return func(k *Courier) { k.holder = name } }

// CourierLease sets how long a lease lasts unless renewed (default 30 s):
// how long a destination waits when its courier dies. A delivery under way
// renews it every half, so a slow one is not taken over in the middle.
func CourierLease(d time.Duration) CourierOption {
	return func(k *Courier) {
		if d > 0 {
			k.lease = d
		}
	}
}

// defaultHolder is this process's name in leases: the host and pid say
// where it runs, and a random part keeps two couriers of one process, or a
// pid reused after a restart, apart.
func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "caredesk"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// leaseUntil is how long to ask the lease of a destination for at now,
// when this worker holds it until held (zero: not yet): renewed when half
// gone, kept as it is otherwise, so most checks write the same row back.
func (c *Courier) leaseUntil(held, now time.Time) time.Time {
	if held.Sub(now) < c.lease/2 {
		return now.Add(c.lease)
	}
	return held
}

// keep renews dest's lease every half lease while a delivery is under way,
// so that a slow one (a big file) is not taken over in the middle. stop
// ends it and returns until when the lease was last granted.
func (c *Courier) keep(ctx context.Context, dest string, held time.Time) (stop func() time.Time) {
	done := make(chan struct{})
	last := make(chan time.Time, 1)
	go func() {
		tick := time.NewTicker(max(c.lease/2, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				last <- held
				return
			case <-tick.C:
			}
			now := c.clock.Now().UTC()
			until := now.Add(c.lease)
			var ok bool
			err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) (err error) {
				ok, err = tx.LeaseDestination(dest, c.holder, now, until)
				return err
			})
			switch {
			case err != nil:
				c.log.Warn("outbox: could not renew the lease of a destination during a delivery", "destination", dest, "holder", c.holder, "err", err)
			case !ok:
				// Too late to stop what is on its way; the next attempt's
				// check refuses, and this worker leaves the destination.
				c.log.Warn("outbox: another courier took over a destination during a delivery", "destination", dest, "holder", c.holder)
			default:
				held = until
			}
		}
	}()
	return func() time.Time { close(done); return <-last }
}

// letGo releases dest's lease, so another courier may take it at once
// rather than when it runs out.
func (c *Courier) letGo(ctx context.Context, dest string) {
	err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		return tx.ReleaseDestination(dest, c.holder)
	})
	if err != nil {
		// Harmless but slow: the destination waits for the lease to run out.
		c.log.Warn("outbox: could not release the lease of a destination", "destination", dest, "holder", c.holder, "err", err)
	}
}

// leaseRefused reports whether dest was refused to this courier a moment
// ago and is not to be tried before the next poll; the caller holds c.mu.
func (c *Courier) leaseRefused(dest string, now time.Time) bool {
	until, ok := c.refused[dest]
	if ok && !now.Before(until) {
		delete(c.refused, dest)
		return false
	}
	return ok
}
