package slack_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	slackdesk "caredesk/adapters/slack"
	"caredesk/bodybudget"
	"caredesk/bodybudget/budgettest"
	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/sim/slacksim"
)

// reasons counts refusals by reason (slackdesk.Counter).
type reasons struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *reasons) Rejected(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[reason]++
}

func (r *reasons) count(reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[reason]
}

// logBuffer is a log two goroutines may write.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the log's lines that contain s.
func (l *logBuffer) lines(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// loggedDesk is a desk whose log is returned.
func loggedDesk(t *testing.T, sim *slacksim.Server) (*slackdesk.Desk, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	o := deskOptions(sim)
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	d, err := slackdesk.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return d, logs
}

// TestForgedFloodLogsOneLinePerAddress sends 5,000 forged requests from
// two addresses: each is refused and counted, and the log says so in one
// line per address and kind of forgery, not 5,000.
func TestForgedFloodLogsOneLinePerAddress(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d, logs := loggedDesk(t, sim)
	counter := &reasons{}
	h := d.Handler(handlers.Runner{Actor: &core{}, Log: quiet()}, slackdesk.HTTPOptions{Counter: counter})
	body := `{"type":"event_callback","event_id":"Ev1"}`
	now := time.Now()
	forgeries := []struct {
		sig string
		at  time.Time
	}{
		{"v0=" + strings.Repeat("00", 32), now}, // wrong signature
		{"", now},                               // unsigned
		{sim.Sign(now.Add(-time.Hour), body), now.Add(-time.Hour)}, // replayed
	}
	const n = 5000
	stale := 0
	for i := range n {
		f := forgeries[i%len(forgeries)]
		if i%len(forgeries) == 2 {
			stale++
		}
		req := httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(body))
		req.RemoteAddr = fmt.Sprintf("203.0.113.%d:%d", 7+i%2, 40000+i) // a new port per connection
		req.Header.Set("Content-Type", "application/json")
		if f.sig != "" {
			req.Header.Set("X-Slack-Signature", f.sig)
		}
		req.Header.Set("X-Slack-Request-Timestamp", fmt.Sprint(f.at.Unix()))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("forgery %d: status %d, want 401", i, w.Code)
		}
	}
	if got := counter.count("signature") + counter.count("stale"); got != n {
		t.Errorf("counted %d refusals, want %d", got, n)
	}
	if got := counter.count("stale"); got != stale {
		t.Errorf("counted %d stale, want %d", got, stale)
	}
	// Two addresses, two reasons: four lines, whatever the flood's size.
	if got := logs.lines("refused a request that Slack did not sign"); got != 4 {
		t.Errorf("%d log lines for %d forgeries, want 4 (one per address and reason):\n%s", got, n, logs.b.String())
	}
}

// TestBodiesPastTheBudgetAreRefusedUnread: with the budget used up by a
// body in flight, a correctly signed request gets a 503 with Retry-After,
// so that Slack sends it again, and reaches nothing.
func TestBodiesPastTheBudgetAreRefusedUnread(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d, _ := loggedDesk(t, sim)
	c := &core{}
	counter := &reasons{}
	budget := bodybudget.New(bodybudget.Limits{Reads: 1})
	url := serveWith(t, sim, d, c, slackdesk.HTTPOptions{Bodies: budget, Counter: counter})

	// A sender that says it signed and never finishes its body.
	held := `{"type":"event_callback","pad":"` + strings.Repeat("x", 1000) + `"}`
	now := time.Now()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, url, pr)
	req.ContentLength = int64(len(held))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Signature", sim.Sign(now, held))
	req.Header.Set("X-Slack-Request-Timestamp", fmt.Sprint(now.Unix()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	_, _ = pw.Write([]byte(held[:len(held)-1]))
	budgettest.WaitInFlight(t, budget, 1)

	verification := `{"token":"x","challenge":"abc","type":"url_verification"}`
	status, err := sim.Forge(verification, sim.Sign(now, verification), now)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusServiceUnavailable || counter.count("busy") != 1 {
		t.Errorf("past the budget: status %d and %d counted busy, want 503 and 1", status, counter.count("busy"))
	}
	_, _ = pw.Write([]byte(held[len(held)-1:]))
	pw.Close()
	<-done
	budgettest.WaitInFlight(t, budget, 0)
	if status, _ := sim.Forge(verification, sim.Sign(now, verification), now); status != http.StatusOK {
		t.Errorf("after the held body ended: status %d, want 200", status)
	}
}

// TestCoreFailuresAreLoggedOnceAMinute: while the core cannot store (a
// full disk), every event is left unacknowledged for Slack to send again,
// counted, and the log says so once, not once per event.
func TestCoreFailuresAreLoggedOnceAMinute(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d, logs := loggedDesk(t, sim)
	c := &core{answer: func(int, bot.Action) (bot.Result, error) { return bot.Result{}, errInternal }}
	counter := &reasons{}
	serveWith(t, sim, d, c, slackdesk.HTTPOptions{Counter: counter})
	tk := posted(t, d)
	const events = 5
	for i := range events {
		if _, _, err := sim.UserPosts("U0ALICE", tk.DeskThread, fmt.Sprintf("update %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Slack tries each event four times; the last try is answered with an
	// apology to the agent, the first three are refused.
	var refused int
	for _, del := range sim.Deliveries() {
		if del.Status == http.StatusInternalServerError {
			refused++
		}
	}
	if refused != 3*events || counter.count("unavailable") != refused {
		t.Errorf("%d refused deliveries, %d counted; want %d of each", refused, counter.count("unavailable"), 3*events)
	}
	if got := logs.lines("caredesk failed on a Slack event"); got != 1 {
		t.Errorf("%d log lines for %d failures, want 1:\n%s", got, refused, logs.b.String())
	}
}
