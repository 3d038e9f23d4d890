package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/sim/bridgesim"
	"caredesk/sim/change"
)

// The sources' secrets are shaped like real ones, so that a leak would be
// recognisable in a log or an answer.
const (
	twitterSecret = "whsec_tw_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	forumSecret   = "whsec_fo_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

// start is the fixed time of the tests' clock.
var start = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// testContext ends with the test, or after a generous bound so that a
// broken wait fails instead of hanging.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startBridge runs a simulated bridge with secret and the fixed clock.
func startBridge(t *testing.T, secret string) *bridgesim.Server {
	t.Helper()
	b, err := bridgesim.New(bridgesim.Options{Secret: secret, Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// desk is caredesk as the bridges see it: the webhook handler with two
// sources, on a loopback listener, with fakes for the core.
type desk struct {
	url      string
	receiver *receiver
	reporter *reporter
	rater    *rater
	counter  *counter
	logs     *logBuffer
}

// startDesk serves webhook.Handler for the sources twitter and forum. o's
// Sources, Receiver, Reporter, Rater, Counter, Now and Logger are set here.
func startDesk(t *testing.T, o webhook.Options) *desk {
	t.Helper()
	d := &desk{receiver: newReceiver(), reporter: &reporter{}, rater: &rater{}, counter: &counter{}, logs: &logBuffer{}}
	o.Sources = []webhook.Source{
		{Name: "twitter", Secret: twitterSecret, Display: "X (Twitter)"},
		{Name: "forum", Secret: forumSecret},
	}
	o.Receiver, o.Reporter, o.Rater, o.Counter = d.receiver, d.reporter, d.rater, d.counter
	o.Now = func() time.Time { return start }
	o.Logger = slog.New(slog.NewTextHandler(d.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.Handle("/hooks/", webhook.Handler(o))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		d.logs.assertNoSecret(t)
	})
	d.url = srv.URL
	return d
}

// receiver is a Receiver that records what it gets, files each message id
// once per conversation as the core does, and fails on demand.
type receiver struct {
	mu       sync.Mutex
	attempts []bot.Inbound
	stored   []bot.Inbound
	seen     map[string]bool
	failures []error // for the next attempts, in order
	changed  change.Signal
}

func newReceiver() *receiver { return &receiver{seen: map[string]bool{}} }

// Receive stores in, unless a failure is planned.
func (r *receiver) Receive(_ context.Context, in bot.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.changed.Notify()
	r.attempts = append(r.attempts, in)
	if len(r.failures) > 0 {
		err := r.failures[0]
		r.failures = r.failures[1:]
		return err
	}
	key := in.Source + "\x00" + in.Conversation + "\x00" + in.MessageID
	if !r.seen[key] {
		r.seen[key] = true
		r.stored = append(r.stored, in)
	}
	return nil
}

// failNext makes the next attempts fail with errs, one each.
func (r *receiver) failNext(errs ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, errs...)
}

func (r *receiver) got() (attempts, stored []bot.Inbound) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Inbound(nil), r.attempts...), append([]bot.Inbound(nil), r.stored...)
}

// reporter is a Reporter that records reports and answers with a planned
// error.
type reporter struct {
	mu      sync.Mutex
	reports []bot.ReplyReport
	err     error
}

func (r *reporter) ReportReply(_ context.Context, rep bot.ReplyReport) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, rep)
	return r.err
}

func (r *reporter) failWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

func (r *reporter) got() []bot.ReplyReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.ReplyReport(nil), r.reports...)
}

// rater is a Rater that records ratings and answers with planned errors,
// one per call, then nil.
type rater struct {
	mu      sync.Mutex
	ratings []bot.Rating
	planned []error
}

func (r *rater) Rate(_ context.Context, rt bot.Rating) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ratings = append(r.ratings, rt)
	if len(r.planned) == 0 {
		return nil
	}
	err := r.planned[0]
	r.planned = r.planned[1:]
	return err
}

// failNext makes the next calls answer errs, one each.
func (r *rater) failNext(errs ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.planned = append(r.planned, errs...)
}

func (r *rater) got() []bot.Rating {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Rating(nil), r.ratings...)
}

// counter is a Counter that records "source reason" pairs.
type counter struct {
	mu   sync.Mutex
	seen []string
}

func (c *counter) Rejected(source, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, source+" "+reason)
}

func (c *counter) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) assertNoSecret(t *testing.T) {
	t.Helper()
	assertNoSecret(t, "the log", b.String())
}

// assertNoSecret fails the test if s shows a source's secret.
func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, secret := range []string{twitterSecret, forumSecret} {
		if strings.Contains(s, secret) {
			t.Errorf("a secret appears in %s:\n%s", where, s)
		}
	}
}

// problem is caredesk's error answer.
type problem struct {
	Error string `json:"error"`
	Field string `json:"field"`
}

// decodeProblem reads an error answer, failing the test if it is not one.
func decodeProblem(t *testing.T, body []byte) problem {
	t.Helper()
	var p problem
	if err := json.Unmarshal(body, &p); err != nil || p.Error == "" {
		t.Errorf("the answer %q is not a JSON error with a sentence", body)
	}
	return p
}

var errStore = errors.New("database is locked")
