package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

// token is shaped like a real one, so that a leak would be recognisable.
const token = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

const secret = "s3cret-Token_for-webhooks"

var jane = telegramsim.User{ID: 42, FirstName: "Jane", LastName: "Doe", Username: "jane"}

// testContext ends with the test, or after a generous bound so that a
// broken wait fails instead of hanging.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startSim runs a simulator for the test.
func startSim(t *testing.T) *telegramsim.Server {
	t.Helper()
	s, err := telegramsim.New(token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// newClient connects the adapter to s with short pauses and a captured log.
func newClient(t *testing.T, s *telegramsim.Server, o telegram.Options) (*telegram.Client, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	o.Token, o.APIURL = token, s.URL()
	if o.PollTimeout == 0 {
		o.PollTimeout = time.Second
	}
	if o.Backoff == 0 {
		o.Backoff = 5 * time.Millisecond
	}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := telegram.New(testContext(t), o)
	if err != nil {
		t.Fatalf("telegram.New: %v", err)
	}
	t.Cleanup(func() {
		_ = c.Close()
		logs.assertNoToken(t)
	})
	return c, logs
}

// waitSim fails the test unless cond becomes true.
func waitSim(t *testing.T, s *telegramsim.Server, what string, cond func() bool) {
	t.Helper()
	if err := s.Wait(testContext(t), cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// poll runs c.Poll until the test ends and fails the test if Poll returns an
// error or does not return once its context ends.
func poll(t *testing.T, c *telegram.Client, r telegram.Receiver) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Poll(ctx, r) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Poll returned %v, want nil when its context ends", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Poll did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// recorder is a Receiver that stores what it gets and fails on demand.
type recorder struct {
	mu       sync.Mutex
	stored   []bot.Inbound
	attempts map[string]int   // by EventID
	failures map[string]error // EventID → error for the next attempt
	changed  chan struct{}
}

func newRecorder() *recorder {
	return &recorder{attempts: map[string]int{}, failures: map[string]error{}, changed: make(chan struct{})}
}

// Receive stores in, unless a failure is planned for its event.
func (r *recorder) Receive(_ context.Context, in bot.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[in.EventID]++
	defer func() {
		close(r.changed)
		r.changed = make(chan struct{})
	}()
	for _, id := range []string{in.EventID, ""} {
		if err := r.failures[id]; err != nil {
			delete(r.failures, id)
			return err
		}
	}
	r.stored = append(r.stored, in)
	return nil
}

// failOnce makes the next attempt of the event fail with err; an empty
// eventID means whichever comes first.
func (r *recorder) failOnce(eventID string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures[eventID] = err
}

func (r *recorder) got() []bot.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Inbound(nil), r.stored...)
}

func (r *recorder) tries(eventID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts[eventID]
}

// waitStored waits until n messages are stored and returns them.
func (r *recorder) waitStored(t *testing.T, n int) []bot.Inbound {
	t.Helper()
	ctx := testContext(t)
	for {
		r.mu.Lock()
		got, ch := append([]bot.Inbound(nil), r.stored...), r.changed
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("waiting for %d stored messages, have %d: %+v", n, len(got), got)
		}
	}
}

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the log has n lines containing s.
func (b *logBuffer) waitFor(t *testing.T, s string, n int) {
	t.Helper()
	ctx := testContext(t)
	for {
		b.mu.Lock()
		count := strings.Count(b.buf.String(), s)
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		ch := b.changed
		b.mu.Unlock()
		if count >= n {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("waiting for %d log lines with %q; log:\n%s", n, s, b.String())
		}
	}
}

func (b *logBuffer) assertNoToken(t *testing.T) {
	t.Helper()
	if strings.Contains(b.String(), token) || strings.Contains(b.String(), strings.Split(token, ":")[1]) {
		t.Errorf("the bot token appears in the log:\n%s", b.String())
	}
}

// assertNoToken fails the test if err's message shows the token.
func assertNoToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), strings.Split(token, ":")[1])) {
		t.Errorf("the bot token appears in the error: %v", err)
	}
}

var errStore = errors.New("database is locked")

func itoa(n int) string { return strconv.Itoa(n) }

// refIDs reads the message ids a ref of Send lists, texts then files
// ("105,106+107"), failing the test for anything else.
func refIDs(t *testing.T, ref string) []int {
	t.Helper()
	var ids []int
	for _, f := range strings.FieldsFunc(ref, func(r rune) bool { return r == ',' || r == '+' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%q is not a ref of message ids", ref)
		}
		ids = append(ids, n)
	}
	if len(ids) == 0 || strings.Count(ref, "+") > 1 {
		t.Fatalf("%q is not a ref of message ids", ref)
	}
	return ids
}

// refOf is the ref Send should answer for the messages sent, of which the
// last files carry files: "t1,t2+f1,f2".
func refOf(sent []telegramsim.SentMessage, files int) string {
	var texts, rest []string
	for i, m := range sent {
		if i < len(sent)-files {
			texts = append(texts, itoa(m.MessageID))
		} else {
			rest = append(rest, itoa(m.MessageID))
		}
	}
	ref := strings.Join(texts, ",")
	if files > 0 {
		ref += "+" + strings.Join(rest, ",")
	}
	return ref
}
