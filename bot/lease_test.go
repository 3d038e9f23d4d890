package bot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"caredesk/bot"
)

// leaseLength is the couriers' lease in these tests.
const leaseLength = 30 * time.Second

// courierOf is a second courier on w's store, desk and clock, named holder.
func courierOf(w *world, desk bot.Desk, holder string) *bot.Courier {
	return leasedCourier(w, w.db, desk, holder, leaseLength)
}

// leasedCourier is a courier on store and desk, with w's clock and
// Telegram, named holder, whose leases last lease.
func leasedCourier(w *world, store bot.Store, desk bot.Desk, holder string, lease time.Duration) *bot.Courier {
	return bot.NewCourier(store, desk, map[string]bot.Source{"telegram": w.tg},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)),
		bot.CourierHolder(holder), bot.CourierLease(lease))
}

// slowCall takes d, as a slow network call does, and gives up when ctx
// ends, as a call over HTTP does.
func slowCall(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(d):
		return nil
	}
}

// announce queues an announcement to the desk channel, due now.
func announce(t *testing.T, w *world, text string) {
	t.Helper()
	now := w.clock.Now()
	err := w.db.Update(context.Background(), func(tx bot.Tx) error {
		return tx.Enqueue(&bot.Delivery{Destination: "desk", Job: bot.Announce, Text: text, NextAt: now, CreatedAt: now})
	})
	if err != nil {
		t.Fatalf("queue %q: %v", text, err)
	}
}

// announced is what reached the desk channel so far.
func announced(w *world) []string {
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	return slices.Clone(w.desk.announced)
}

// numbers is "0" … "n-1".
func numbers(from, n int) []string {
	var s []string
	for i := from; i < n; i++ {
		s = append(s, fmt.Sprint(i))
	}
	return s
}

// mayLease reports whether holder could take the desk's lease now; the
// transaction is rolled back, so it changes nothing.
func mayLease(t *testing.T, w *world, holder string) bool {
	t.Helper()
	var ok bool
	errLook := fmt.Errorf("only a look")
	err := w.db.Update(context.Background(), func(tx bot.Tx) (err error) {
		now := w.clock.Now()
		if ok, err = tx.LeaseDestination("desk", holder, now, now.Add(time.Second)); err != nil {
			return err
		}
		return errLook
	})
	if err != errLook {
		t.Fatalf("look at the lease: %v", err)
	}
	return ok
}

// Two couriers on one store deliver one destination while its queue
// fills: each lets the lease go whenever the queue is empty for a moment,
// so the destination changes hands, and still every post arrives once and
// in order.
func TestCouriersShareDestination(t *testing.T) {
	w := newWorld(t)
	const posts = 200
	var queued atomic.Bool
	var wg sync.WaitGroup
	for _, holder := range []string{"a", "b"} {
		c := courierOf(w, w.desk, holder)
		wg.Go(func() {
			for {
				if err := c.Flush(context.Background()); err != nil {
					t.Errorf("%s: flush: %v", holder, err)
					return
				}
				if queued.Load() && w.outbox() == 0 {
					return
				}
				runtime.Gosched()
			}
		})
	}
	for i := range posts {
		announce(t, w, fmt.Sprint(i))
	}
	queued.Store(true)
	wg.Wait()
	if got, want := announced(w), numbers(0, posts); !slices.Equal(got, want) {
		t.Fatalf("the desk got %d posts %v…, want %d once each in order", len(got), got[:min(len(got), 10)], posts)
	}
	if !mayLease(t, w, "c") {
		t.Error("a lease is left behind after both couriers finished")
	}
}

// A courier that died holding a destination's lease holds it back until
// the lease runs out; then another takes it over.
func TestCourierTakesOverDeadHolder(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		announce(t, w, fmt.Sprint(i))
	}
	err := w.db.Update(context.Background(), func(tx bot.Tx) error {
		now := w.clock.Now()
		ok, err := tx.LeaseDestination("desk", "dead", now, now.Add(leaseLength))
		if err == nil && !ok {
			err = fmt.Errorf("refused")
		}
		return err
	})
	if err != nil {
		t.Fatalf("the dead courier's lease: %v", err)
	}
	b := courierOf(w, w.desk, "b")
	steps := []struct {
		name  string
		after time.Duration // since the dead courier's last renewal
		want  []string
	}{
		{"held by the dead courier", 0, nil},
		{"a moment before it runs out", leaseLength - time.Microsecond, nil},
		{"taken over when it runs out", leaseLength, numbers(0, 5)},
	}
	start := w.clock.Now()
	for _, st := range steps {
		w.clock.Add(start.Add(st.after).Sub(w.clock.Now()))
		if err := b.Flush(context.Background()); err != nil {
			t.Fatalf("%s: flush: %v", st.name, err)
		}
		if got := announced(w); !slices.Equal(got, st.want) {
			t.Errorf("%s: the desk got %v, want %v", st.name, got, st.want)
		}
	}
	if w.outbox() != 0 {
		t.Errorf("%d deliveries left", w.outbox())
	}
}

// pausingDesk runs pause once, in the first announcement, before it is
// posted: the courier is stuck there, as if stopped (SIGSTOP).
type pausingDesk struct {
	*desk
	once  sync.Once
	pause func()
}

func (d *pausingDesk) Announce(ctx context.Context, channel, text string) error {
	d.once.Do(d.pause)
	return d.desk.Announce(ctx, channel, text)
}

// A courier paused past its lease, while another took over, finishes what
// was already on its way but delivers nothing more: its next attempt is
// checked against the lease in the transaction that records it.
func TestCourierPausedPastLease(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		announce(t, w, fmt.Sprint(i))
	}
	d := &pausingDesk{desk: w.desk}
	d.pause = func() {
		w.clock.Add(leaseLength + time.Second)
		err := w.db.Update(context.Background(), func(tx bot.Tx) error {
			now := w.clock.Now()
			ok, err := tx.LeaseDestination("desk", "b", now, now.Add(leaseLength))
			if err == nil && !ok {
				err = fmt.Errorf("refused although a's lease ran out")
			}
			return err
		})
		if err != nil {
			t.Errorf("b takes over: %v", err)
		}
	}
	a := courierOf(w, d, "a")
	if err := a.Flush(context.Background()); err != nil {
		t.Fatalf("a: flush: %v", err)
	}
	if got, want := announced(w), numbers(0, 1); !slices.Equal(got, want) {
		t.Errorf("a delivered %v after it lost the lease, want only %v, already on its way", got, want)
	}
	if mayLease(t, w, "a") {
		t.Error("a took the lease back from b, or released b's")
	}
	if err := courierOf(w, w.desk, "b").Flush(context.Background()); err != nil {
		t.Fatalf("b: flush: %v", err)
	}
	if got, want := announced(w), numbers(0, 5); !slices.Equal(got, want) {
		t.Errorf("after b: the desk got %v, want %v", got, want)
	}
}

// slowDesk is a desk whose first announcement waits before it is posted,
// as a slow network does, and gives up when its context ends, as a call
// over HTTP does.
type slowDesk struct {
	*desk
	once  sync.Once
	pause func()
}

func (d *slowDesk) Announce(ctx context.Context, channel, text string) error {
	first := false
	d.once.Do(func() { first = true; d.pause() })
	if first {
		if err := slowCall(ctx, 2*time.Second); err != nil {
			return err
		}
	}
	return d.desk.Announce(ctx, channel, text)
}

// A courier whose lease another took over while its delivery was on the
// way stops the delivery rather than post what the other one posts too.
func TestCourierStopsWhenItsLeaseIsTaken(t *testing.T) {
	w := newWorld(t)
	announce(t, w, "0")
	const lease = 200 * time.Millisecond
	d := &slowDesk{desk: w.desk}
	d.pause = func() {
		// a stopped past its lease as the call began: b takes over
		// and delivers.
		w.clock.Add(lease + time.Second)
		b := leasedCourier(w, w.db, w.desk, "b", time.Minute)
		if err := b.Flush(context.Background()); err != nil {
			t.Errorf("b: flush: %v", err)
		}
	}
	a := leasedCourier(w, w.db, d, "a", lease)
	began := time.Now()
	if err := a.Flush(context.Background()); err != nil {
		t.Fatalf("a: flush: %v", err)
	}
	if got := announced(w); !slices.Equal(got, []string{"0"}) {
		t.Errorf("the desk got %q, want the announcement once, from b", got)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("a's delivery went on for %s after its lease was taken, want it stopped at its next renewal", took)
	}
}

// slowAfter is a desk whose announcement "slow" takes d of real time
// (giving up when its context ends) and whose announcement "tick" moves the
// fake clock by adv.
type slowAfter struct {
	*desk
	w   *world
	adv time.Duration
	d   time.Duration
}

func (s *slowAfter) Announce(ctx context.Context, channel, text string) error {
	switch text {
	case "tick":
		s.w.clock.Add(s.adv)
	case "slow":
		if err := slowCall(ctx, s.d); err != nil {
			return err
		}
	}
	return s.desk.Announce(ctx, channel, text)
}

// A delivery that starts late in the lease an earlier one took runs under
// a whole lease of its own, renewed, not under what was left.
func TestASlowDeliveryAfterAnotherKeepsItsLease(t *testing.T) {
	w := newWorld(t)
	const lease = 400 * time.Millisecond
	announce(t, w, "tick")
	announce(t, w, "slow")
	d := &slowAfter{desk: w.desk, w: w, adv: lease / 2, d: 300 * time.Millisecond}
	a := leasedCourier(w, w.db, d, "a", lease)
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := announced(w); !slices.Equal(got, []string{"tick", "slow"}) {
		t.Errorf("the desk got %q, want tick and slow (one courier, nobody took anything over)", got)
	}
}

type failRenew struct {
	bot.Store
	fails atomic.Int32
}

type failRenewTx struct {
	bot.Tx
	s *failRenew
}

func (t failRenewTx) RenewDestination(dest, holder string, until time.Time) (bool, error) {
	if t.s.fails.Add(-1) >= 0 {
		return false, errors.New("store blip")
	}
	return t.Tx.RenewDestination(dest, holder, until)
}

func (s *failRenew) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return s.Store.Update(ctx, func(tx bot.Tx) error { return fn(failRenewTx{tx, s}) })
}

// A renewal that fails once (a store blip) leaves a delivery longer than
// a lease to finish: the next renewal comes before the lease runs out.
func TestOneFailedRenewalDoesNotStopADelivery(t *testing.T) {
	w := newWorld(t)
	const lease = 400 * time.Millisecond
	announce(t, w, "slow")
	d := &slowAfter{desk: w.desk, w: w, d: 700 * time.Millisecond}
	s := &failRenew{Store: w.db}
	s.fails.Store(1)
	a := leasedCourier(w, s, d, "a", lease)
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := announced(w); !slices.Equal(got, []string{"slow"}) {
		t.Errorf("the desk got %q, want slow", got)
	}
}

// pauseView is a store whose View number n pauses the process: the real
// clock and the fake one both move on by p.
type pauseView struct {
	bot.Store
	w  *world
	n  atomic.Int32
	at int32
	p  time.Duration
}

func (s *pauseView) View(ctx context.Context, fn func(bot.Tx) error) error {
	if s.n.Add(1) == s.at {
		time.Sleep(s.p) // the pause under test
		s.w.clock.Add(s.p)
	}
	return s.Store.View(ctx, fn)
}

// hookDesk runs hook at the first Announce, then waits d.
type hookDesk struct {
	*desk
	hook func()
	d    time.Duration
	n    atomic.Int32
}

func (h *hookDesk) Announce(ctx context.Context, channel, text string) error {
	if h.n.Add(1) == 1 {
		h.hook()
		if err := slowCall(ctx, h.d); err != nil {
			return err
		}
	}
	return h.desk.Announce(ctx, channel, text)
}

// A pause while the courier reads its next delivery counts against the
// lease it then asks for: the lease in the store and the delivery's bound
// start at the same moment, so when another courier takes over at once,
// this one stops before it posts.
func TestAPauseBeforeTheAttemptIsCounted(t *testing.T) {
	w := newWorld(t)
	const lease = 400 * time.Millisecond
	announce(t, w, "0")
	s := &pauseView{Store: w.db, w: w, at: 2, p: lease + 50*time.Millisecond}
	d := &hookDesk{desk: w.desk, d: lease / 4}
	var took atomic.Bool
	b := func() {
		if took.Swap(true) {
			return
		}
		b := leasedCourier(w, w.db, w.desk, "b", time.Minute)
		if err := b.Flush(context.Background()); err != nil {
			t.Errorf("b: flush: %v", err)
		}
	}
	// b takes over as soon as a's lease has run out in the store: while
	// a's call is on its way, or after a gave it up.
	d.hook = b
	a := leasedCourier(w, s, d, "a", lease)
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	b()
	if got := announced(w); !slices.Equal(got, []string{"0"}) {
		t.Errorf("the desk got %q, want the announcement once, from b", got)
	}
}
