package feed_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"caredesk/adapters/feed"
	"caredesk/bot"
	"caredesk/listen"
	"caredesk/sim/feedsim"
)

// now is the tests' clock: items are dated relative to it.
var now = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startSite(t *testing.T) *feedsim.Server {
	t.Helper()
	s, err := feedsim.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func setFeed(t *testing.T, s *feedsim.Server, path string, format feedsim.Format, f feedsim.Feed) {
	t.Helper()
	if err := s.SetFeed(path, format, f); err != nil {
		t.Fatal(err)
	}
}

// receiver is the core as the listener sees it: it keeps what it is
// given, and refuses the next Fail posts.
type receiver struct {
	mu   sync.Mutex
	ins  []bot.Inbound
	Fail int
}

func (r *receiver) Receive(ctx context.Context, in bot.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail > 0 {
		r.Fail--
		return errors.New("database is locked")
	}
	r.ins = append(r.ins, in)
	return nil
}

// Take returns what was received since the last Take.
func (r *receiver) Take() []bot.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	ins := r.ins
	r.ins = nil
	return ins
}

// state is one call of OnState.
type state struct {
	ok     bool
	reason string
}

// harness runs a Listener whose waits between polls are the test's: Poll
// lets one poll happen and returns the wait Run chose after it.
type harness struct {
	t      *testing.T
	l      *feed.Listener
	r      *receiver
	waits  chan time.Duration
	next   chan struct{}
	polled bool

	mu     sync.Mutex
	states []state
}

// listener makes a Listener of the feed at url, with the tests' clock, a
// client that does not slow loopback down, and o changed by change.
func listener(t *testing.T, url string, change func(o *feed.Options)) *harness {
	t.Helper()
	h := &harness{t: t, r: &receiver{}, waits: make(chan time.Duration), next: make(chan struct{})}
	o := feed.Options{
		Name: "forum", URL: url, Every: time.Minute,
		Client:  &listen.Client{PerHost: rate.Inf},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     func() time.Time { return now },
		OnState: h.onState,
	}
	if change != nil {
		change(&o)
	}
	l, err := feed.New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.l = l
	return h
}

func (h *harness) onState(ok bool, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.states = append(h.states, state{ok, reason})
}

// States returns the OnState calls since the last States.
func (h *harness) States() []state {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.states
	h.states = nil
	return s
}

// run starts Run with waits that block until the test's next Poll; the
// wait's duration goes to the test. sleep, when set, also really waits.
func (h *harness) run(ctx context.Context, sleep bool) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	feed.SetWait(h.l, func(ctx context.Context, d time.Duration) bool {
		select {
		case h.waits <- d:
		case <-ctx.Done():
			return false
		}
		select {
		case <-h.next:
		case <-ctx.Done():
			return false
		}
		return !sleep || listen.Wait(ctx, d)
	})
	done := make(chan error, 1)
	go func() { done <- h.l.Run(ctx, h.r) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run returned %v", err)
		}
	})
}

// Poll lets Run poll once more (the first poll needs no letting) and
// returns the wait it chose after.
func (h *harness) Poll() time.Duration {
	h.t.Helper()
	if h.polled {
		select {
		case h.next <- struct{}{}:
		case <-time.After(10 * time.Second):
			h.t.Fatal("Run did not wait for the next poll")
		}
	}
	h.polled = true
	select {
	case d := <-h.waits:
		return d
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not finish a poll")
	}
	return 0
}

// start runs h with a context that ends with the test.
func start(t *testing.T, url string, change func(o *feed.Options)) *harness {
	t.Helper()
	h := listener(t, url, change)
	h.run(testContext(t), false)
	return h
}
