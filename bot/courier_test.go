package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/bot"
)

// pickyDesk is a desk on which one ticket's root fails, the way Slack
// answered 9 straight 503s for one root in the probe.
type pickyDesk struct {
	*desk
	mu       sync.Mutex
	ticket   int64 // whose root fails
	failures int   // how many more times it fails
	err      error
	calls    []int64 // PostTicket calls, by ticket, in order
}

func (p *pickyDesk) PostTicket(ctx context.Context, t bot.Ticket) (string, error) {
	p.mu.Lock()
	p.calls = append(p.calls, t.ID)
	fail := t.ID == p.ticket && p.failures > 0
	if fail {
		p.failures--
	}
	p.mu.Unlock()
	if fail {
		return "", p.err
	}
	return p.desk.PostTicket(ctx, t)
}

func (p *pickyDesk) postCalls() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// useDesk makes w's courier deliver to d.
func (w *world) useDesk(d bot.Desk, opts ...bot.CourierOption) {
	opts = append([]bot.CourierOption{bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)),
		bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour})}, opts...)
	w.courier = bot.NewCourier(w.db, d, map[string]bot.Source{"telegram": w.tg}, opts...)
}

// rootOf returns the ticket's root on the desk and how many roots it has.
func (w *world) rootOf(n int64) (ref string, roots int) {
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	for r, tk := range w.desk.roots {
		if tk.ID == n {
			ref, roots = r, roots+1
		}
	}
	return ref, roots
}

// posted returns the tickets whose roots the desk shows.
func (w *world) posted() []int64 {
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	var ids []int64
	for _, tk := range w.desk.roots {
		ids = append(ids, tk.ID)
	}
	slices.Sort(ids)
	return ids
}

// receive stores a customer's message and delivers nothing.
func (w *world) receive(c bot.Customer, id int, text string) {
	w.t.Helper()
	err := w.bot.Receive(context.Background(), bot.Inbound{
		Source: "telegram", EventID: fmt.Sprint(500 + id), MessageID: fmt.Sprint(id),
		Conversation: c.ID, Customer: c, Text: text,
	})
	if err != nil {
		w.t.Fatalf("receive %q: %v", text, err)
	}
}

func someone(i int) bot.Customer {
	return bot.Customer{ID: fmt.Sprint(2000 + i), Name: fmt.Sprintf("Customer %d", i)}
}

func TestFailingTicketDoesNotHoldTheDesk(t *testing.T) {
	w := newWorld(t)
	picky := &pickyDesk{desk: w.desk, ticket: 1, failures: 9, err: errors.New("slack chat.postMessage: slack server error: 503 Service Unavailable")}
	w.useDesk(picky)

	w.writes(jane, 1, "my parcel is lost")
	w.writes(jane, 2, "anyone there?")
	for i := range 20 {
		w.writes(someone(i), 100+i, "storm")
		w.clock.Add(time.Second)
		w.flush()
	}
	var others []int64
	for n := range int64(20) {
		others = append(others, n+2)
	}
	if got := w.posted(); !slices.Equal(got, others) {
		t.Fatalf("while ticket #1's root fails the desk shows tickets %v, want #2…#21", got)
	}

	// Ticket #1 gets through by itself, in its order: root, then thread.
	for range 15 * 60 {
		if _, n := w.rootOf(1); n > 0 {
			break
		}
		w.clock.Add(time.Second)
		w.flush()
	}
	ref, n := w.rootOf(1)
	if n != 1 {
		t.Fatalf("after 15 minutes ticket #1 has %d roots, want 1; PostTicket calls %v", n, picky.postCalls())
	}
	for id := range int64(21) {
		if _, n := w.rootOf(id + 1); n != 1 {
			t.Errorf("ticket #%d has %d roots, want 1", id+1, n)
		}
	}
	if msgs := w.desk.thread[ref]; len(msgs) != 1 || msgs[0].Text != "anyone there?" {
		t.Errorf("ticket #1's thread holds %+v, want the follow-up once", msgs)
	}
	opened := slices.IndexFunc(w.desk.log, func(l string) bool { return strings.Contains(l, "#1 opened") })
	followUp := slices.IndexFunc(w.desk.log, func(l string) bool { return strings.Contains(l, "#1 thread: anyone there?") })
	if opened < 0 || followUp < opened {
		t.Errorf("the follow-up is not after its root:\n%s", strings.Join(w.desk.log, "\n"))
	}
	if w.outbox() != 0 {
		t.Errorf("outbox holds %d deliveries", w.outbox())
	}
}

// brokenDesk refuses the roots of some tickets, every time.
type brokenDesk struct {
	*desk
	broken map[int64]bool
}

func (b *brokenDesk) PostTicket(ctx context.Context, t bot.Ticket) (string, error) {
	if b.broken[t.ID] {
		return "", errors.New("slack chat.postMessage: slack server error: 503 Service Unavailable")
	}
	return b.desk.PostTicket(ctx, t)
}

// TestBrokenTicketsDoNotStarveNewOnes: a few tickets whose roots Slack
// refuses whatever the hour must not keep a new complaint off the desk
// until they give up a day later, however they take turns at failing.
func TestBrokenTicketsDoNotStarveNewOnes(t *testing.T) {
	for _, broken := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprintf("%d broken", broken), func(t *testing.T) {
			w := newWorld(t)
			desk := &brokenDesk{desk: w.desk, broken: map[int64]bool{}}
			w.useDesk(desk)
			for i := range broken {
				desk.broken[int64(i+1)] = true
				w.writes(someone(i), i, "this one Slack refuses")
			}
			for range 20 * 60 {
				w.clock.Add(time.Second)
				w.flush()
			}
			w.writes(someone(99), 99, "a new complaint")
			waited := time.Duration(0)
			for ; waited < 10*time.Minute; waited += time.Second {
				if _, n := w.rootOf(int64(broken + 1)); n > 0 {
					break
				}
				w.clock.Add(time.Second)
				w.flush()
			}
			// The world's backoff tops out at a minute.
			if waited > time.Minute {
				t.Errorf("the new ticket waited %s behind %d failing ones, want at most the longest backoff (1m)", waited, broken)
			}
		})
	}
}

// TestRateLimitPausesTheWholeDesk: a 429 is about the channel, not the
// ticket, so the tickets behind wait too; then they go in order.
func TestRateLimitPausesTheWholeDesk(t *testing.T) {
	w := newWorld(t)
	picky := &pickyDesk{desk: w.desk, ticket: 1, failures: 1, err: bot.RetryAfter(30*time.Second, errors.New("slack chat.postMessage: slack rate limit exceeded, retry after 30s"))}
	w.useDesk(picky)
	w.writes(jane, 1, "hello?")
	for i := range 3 {
		w.writes(someone(i), 100+i, "me too")
	}
	w.clock.Add(29 * time.Second)
	w.flush()
	if got := w.posted(); len(got) != 0 {
		t.Fatalf("within the 30 s the desk asked for, it got roots %v", got)
	}
	w.clock.Add(time.Second)
	w.flush()
	if got, want := picky.postCalls(), []int64{1, 1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("PostTicket calls %v, want %v: one refused, then all in order", got, want)
	}
}

// TestDeskOutageIsTriedOncePerBackoff: when every ticket fails, the desk
// is down, not the tickets; it gets one try per backoff step, not one per
// ticket.
func TestDeskOutageIsTriedOncePerBackoff(t *testing.T) {
	w := newWorld(t)
	picky := &pickyDesk{desk: w.desk}
	w.useDesk(picky)
	w.desk.setFail(errors.New("slack chat.postMessage: slack server error: 503 Service Unavailable"))
	for i := range 20 {
		w.writes(someone(i), 100+i, "down?")
	}
	for range 10 * 60 {
		w.clock.Add(time.Second)
		w.flush()
	}
	// Backoff of 1 s doubling to 1 min: 10 minutes hold 15 steps. Three
	// tickets fail before the desk is taken for down.
	calls := len(picky.postCalls())
	t.Logf("10 minutes of outage, 20 tickets: %d PostTicket calls", calls)
	if calls > 3+15+2 {
		t.Errorf("10 minutes of outage cost %d PostTicket calls for 20 tickets, want about one per backoff step", calls)
	}
	w.desk.setFail(nil)
	w.clock.Add(time.Minute)
	w.flush()
	if got := w.posted(); len(got) != 20 {
		t.Errorf("after the outage the desk shows %d tickets, want 20", len(got))
	}
}

// fullStore is a store whose writes fail while full is set, as SQLite's
// do on a full disk; reads work. It counts the writes tried meanwhile.
type fullStore struct {
	bot.Store
	mu     sync.Mutex
	full   bool
	tried  int // writes tried while full
	change chan struct{}
}

func newFullStore(s bot.Store) *fullStore {
	return &fullStore{Store: s, full: true, change: make(chan struct{}, 1)}
}

func (s *fullStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	s.mu.Lock()
	full := s.full
	if full {
		s.tried++
	}
	s.mu.Unlock()
	select {
	case s.change <- struct{}{}:
	default:
	}
	if full {
		// As the SQLite driver's error arrives: wrapped.
		return fmt.Errorf("commit: %w", errors.New("database or disk is full (13)"))
	}
	return s.Store.Update(ctx, fn)
}

func (s *fullStore) setFull(full bool) { s.mu.Lock(); s.full = full; s.mu.Unlock() }

func (s *fullStore) writesTried() int { s.mu.Lock(); defer s.mu.Unlock(); return s.tried }

// logLines is a log that tests can read.
type logLines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// with returns the lines that contain s.
func (l *logLines) with(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.b.String()) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

const (
	storeFails = "the database fails"
	storeWorks = "the database works again"
)

func TestCourierBacksOffWhileTheStoreFails(t *testing.T) {
	w := newWorld(t)
	w.receive(jane, 1, "my parcel is lost") // stored before the disk filled up
	store := newFullStore(w.db)
	var logs logLines
	w.courier = bot.NewCourier(store, w.desk, map[string]bot.Source{"telegram": w.tg},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}),
		bot.CourierRepeatLog(time.Hour))

	// Two minutes of a full disk, looked at every second.
	var tries []int
	for second := range 121 {
		before := store.writesTried()
		err := w.courier.Flush(context.Background())
		if store.writesTried() > before {
			tries = append(tries, second)
		}
		if err == nil {
			t.Fatalf("second %d: Flush says nothing is wrong while every write fails", second)
		}
		w.clock.Add(time.Second)
	}
	if want := []int{0, 1, 3, 7, 15, 31, 63}; !slices.Equal(tries, want) {
		t.Errorf("writes tried at seconds %v, want %v (1 s doubling to 1 min)", tries, want)
	}
	if got := logs.with(storeFails); len(got) != 1 {
		t.Errorf("the log tells the failing store %d times, want once (then a count per interval):\n%s", len(got), strings.Join(got, ""))
	}

	// Space again: the next try works, and the log says so once.
	store.setFull(false)
	w.clock.Add(time.Minute)
	if err := w.courier.Flush(context.Background()); err != nil {
		t.Fatalf("Flush after the store recovered: %v", err)
	}
	if _, n := w.rootOf(1); n != 1 {
		t.Errorf("after the store recovered ticket #1 has %d roots, want 1", n)
	}
	if got := logs.with(storeWorks); len(got) != 1 || !strings.Contains(got[0], "failed_tries=7") {
		t.Errorf("the log tells the recovery %q, want once, with failed_tries=7", got)
	}
}

// tickingClock is a fake clock that tells when it is read: the courier's
// loop reads it on every turn, so a test can count turns instead of
// sleeping.
type tickingClock struct {
	*clock
	mu    sync.Mutex
	reads int
	read  chan struct{}
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	select {
	case c.read <- struct{}{}:
	default:
	}
	return c.clock.Now()
}

func (c *tickingClock) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.reads }

// waitFor fails t unless cond holds within 10 s; cond is checked whenever
// the courier read the clock or wrote to the store.
func waitFor(t *testing.T, what string, c *tickingClock, s *fullStore, cond func() bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-c.read:
		case <-s.change:
		case <-timeout:
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// TestCourierDoesNotSpinOnAFullDisk runs the courier as main does. It spun
// before: a failed write ended the worker, which woke the dispatcher at
// once, which tried again: 118 % CPU and an ERROR line per try.
func TestCourierDoesNotSpinOnAFullDisk(t *testing.T) {
	w := newWorld(t)
	w.receive(jane, 1, "my parcel is lost")
	store := newFullStore(w.db)
	clk := &tickingClock{clock: w.clock, read: make(chan struct{}, 1)}
	var logs logLines
	courier := bot.NewCourier(store, w.desk, map[string]bot.Source{"telegram": w.tg},
		bot.CourierClock(clk), bot.CourierLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}),
		bot.CourierRepeatLog(time.Hour), bot.CourierPoll(time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- courier.Run(ctx) }()
	running := true
	defer func() {
		if running {
			cancel()
			<-stopped
		}
	}()

	waitFor(t, "the first write", clk, store, func() bool { return store.writesTried() == 1 })
	turns := clk.count() + 200
	waitFor(t, "200 turns of the courier's loop", clk, store, func() bool { return clk.count() >= turns })
	if n := store.writesTried(); n != 1 {
		t.Errorf("in 200 turns with the clock standing still the courier tried %d writes, want 1 until its backoff ends", n)
	}
	clk.Add(time.Second)
	waitFor(t, "the write after the backoff", clk, store, func() bool { return store.writesTried() == 2 })

	// Space again. Time moves on a second per look until the next try,
	// which must work.
	store.setFull(false)
	waitFor(t, "ticket #1's root", clk, store, func() bool {
		_, n := w.rootOf(1)
		if n == 0 {
			clk.Add(time.Second)
		}
		return n == 1
	})
	cancel()
	running = false
	if err := <-stopped; err != nil {
		t.Errorf("Run: %v", err)
	}
	if got := logs.with(storeFails); len(got) != 1 {
		t.Errorf("the log tells the failing store %d times, want once:\n%s", len(got), strings.Join(got, ""))
	}
	if got := logs.with(storeWorks); len(got) != 1 || !strings.Contains(got[0], "failed_tries=2") {
		t.Errorf("the log tells the recovery %q, want once, with failed_tries=2", got)
	}
}
