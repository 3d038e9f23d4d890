package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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
// records it, asking for a whole lease each time, so a courier that woke up after
// another took over learns it before anything leaves, not after.

// CourierHolder names the courier in the leases it holds (default
// host-pid-random). Couriers that share a store must have different names;
// tests give theirs.
func CourierHolder(name string) CourierOption { return func(k *Courier) { k.holder = name } }

// CourierLease sets how long a lease lasts unless renewed (default 30 s):
// how long a destination waits when its courier dies. A delivery under way
// renews it every third, so a slow one is not taken over in the middle.
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

// bound is a delivery's context, ended when this courier's lease of its
// destination runs out by the process's own clock, unless keep renewed it,
// or when another courier took it over: a courier that was paused (a
// stopped process, a frozen VM) past its lease, while another took the
// destination over and looked the delivery up, must not send it after all
// when it wakes.
type bound struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
}

// errLeaseLost ends a delivery whose destination's lease is gone.
var errLeaseLost = errors.New("the destination's lease ran out or was taken over during the delivery; it is looked up before it is sent again")

// bind returns calls bounded by a lease asked for at asked (a reading of
// the process's clock, before the request) that lasts left.
func bind(calls context.Context, asked time.Time, left time.Duration) *bound {
	ctx, cancel := context.WithCancelCause(calls)
	b := &bound{ctx: ctx, cancel: cancel}
	b.timer = time.AfterFunc(time.Until(asked.Add(left)), func() { cancel(errLeaseLost) })
	return b
}

// renewed moves the end to left after asked.
func (b *bound) renewed(asked time.Time, left time.Duration) {
	b.timer.Reset(time.Until(asked.Add(left)))
}

// lost ends the delivery now.
func (b *bound) lost() { b.cancel(errLeaseLost) }

// end releases the bound once the delivery returned.
func (b *bound) end() {
	b.timer.Stop()
	b.cancel(nil)
}

// keep renews dest's lease every third of a lease while a delivery is
// under way, so that a slow one (a big file) is not taken over in the
// middle, and moves b's end with each renewal: a renewal that fails (the
// store is slow or failing) leaves two more before the end. A lease
// another courier took ends b at once. stop ends it and returns until when
// the lease was last granted.
func (c *Courier) keep(ctx context.Context, dest string, held time.Time, b *bound) (stop func() time.Time) {
	done := make(chan struct{})
	last := make(chan time.Time, 1)
	go func() {
		tick := time.NewTicker(max(c.lease/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				last <- held
				return
			case <-tick.C:
			}
			asked := time.Now()
			now := c.clock.Now().UTC()
			until := now.Add(c.lease)
			var ok bool
			err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) (err error) {
				// A renewal, not a new lease: if another courier took the
				// destination meanwhile, even if it has let go since, it
				// may have delivered this one.
				ok, err = tx.RenewDestination(dest, c.holder, until)
				return err
			})
			switch {
			case err != nil:
				c.log.Warn("outbox: could not renew the lease of a destination during a delivery", "destination", dest, "holder", c.holder, "err", err)
			case !ok:
				c.log.Warn("outbox: another courier took over a destination during a delivery; stopping it", "destination", dest, "holder", c.holder)
				b.lost()
			default:
				held = until
				b.renewed(asked, c.lease)
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
