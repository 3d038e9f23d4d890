package mastodon_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"caredesk/adapters/mastodon"
	"caredesk/bot"
	"caredesk/listen"
	"caredesk/sim/mastodonsim"
)

const token = "mastodon-token-0123456789"

// testContext ends with the test, or after 20 s.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// instance starts a simulated instance whose brand account is "acme",
// with a rate limit that the listener's polls every few milliseconds do
// not reach.
func instance(t *testing.T) *mastodonsim.Server {
	t.Helper()
	s, err := mastodonsim.New(mastodonsim.Options{Token: token, BrandAcct: "acme", RateLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// listener is a Listener of source "brand" on s, polling every few
// milliseconds, with a client that does not hold back requests; change
// adjusts its options.
func listener(t *testing.T, s *mastodonsim.Server, change func(*mastodon.Options)) (*mastodon.Listener, *states) {
	t.Helper()
	st := &states{}
	o := mastodon.Options{
		Name: "brand", Instance: s.URL(), Token: token, Every: 5 * time.Millisecond,
		Client: &listen.Client{PerHost: rate.Inf}, OnState: st.record, Logger: slog.New(slog.DiscardHandler),
	}
	if change != nil {
		change(&o)
	}
	l, err := mastodon.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return l, st
}

// run runs l until the test ends.
func run(t *testing.T, l *mastodon.Listener, r mastodon.Receiver) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, r) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v after its context ended, want nil", err)
		}
	})
}

// waitFor waits until cond holds; the listener's polls change the
// simulator's state often enough to re-check conditions on the inbox too.
func waitFor(t *testing.T, s *mastodonsim.Server, what string, cond func() bool) {
	t.Helper()
	if err := s.Wait(testContext(t), cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// polled waits until the listener finished n polls after the calls to
// the notifications seen so far (a poll reads the mentions first).
func polled(t *testing.T, s *mastodonsim.Server, n int) {
	t.Helper()
	want := s.Calls(mastodonsim.RouteNotifications) + n + 1
	waitFor(t, s, "polls", func() bool { return s.Calls(mastodonsim.RouteNotifications) >= want })
}

// inbox is a Receiver that keeps what it is handed; it refuses the first
// refuse posts, as a core whose database is away.
type inbox struct {
	mu     sync.Mutex
	got    []bot.Inbound
	refuse int
	tried  int
}

func (b *inbox) Receive(_ context.Context, in bot.Inbound) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tried++
	if b.refuse > 0 {
		b.refuse--
		return errors.New("database is locked")
	}
	b.got = append(b.got, in)
	return nil
}

func (b *inbox) all() []bot.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bot.Inbound(nil), b.got...)
}

func (b *inbox) texts() []string {
	var out []string
	for _, in := range b.all() {
		out = append(out, in.Text)
	}
	return out
}

// states records what the listener told the health board.
type states struct {
	mu   sync.Mutex
	list []state
}

type state struct {
	ok     bool
	reason string
}

func (s *states) record(ok bool, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, state{ok, reason})
}

// last is the latest state told, and whether any was.
func (s *states) last() (state, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.list) == 0 {
		return state{}, false
	}
	return s.list[len(s.list)-1], true
}

// is reports whether the latest state told is ok.
func (s *states) is(ok bool) bool {
	st, told := s.last()
	return told && st.ok == ok
}
