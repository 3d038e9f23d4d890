package telegram_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"caredesk/adapters/telegram"
	"caredesk/bodybudget"
	"caredesk/bodybudget/budgettest"
)

// reasons counts refusals by reason (telegram.Counter).
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

// pushUpdate sends an update to h as Telegram would, from remote, with
// the secret token given.
func pushUpdate(h http.Handler, remote, token string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(string(body)))
	req.RemoteAddr = remote
	if token != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestForgedUpdatesLogOneLinePerAddress pushes 5,000 updates without the
// secret from two addresses: each is refused and counted, and the log has
// one line per address.
func TestForgedUpdatesLogOneLinePerAddress(t *testing.T) {
	s := startSim(t)
	c, logs := newClient(t, s, telegram.Options{WebhookURL: "https://caredesk.test/telegram/webhook", WebhookSecret: secret})
	rec, counter := newRecorder(), &reasons{}
	h := c.WebhookHandler(rec, telegram.WebhookOptions{Counter: counter})
	update, _ := json.Marshal(map[string]any{"update_id": 900, "message": message(3, map[string]any{"text": "forged"})})
	before := strings.Count(logs.String(), "\n")
	const n = 5000
	for i := range n {
		token := []string{"", "guess"}[i%2]
		if w := pushUpdate(h, fmt.Sprintf("198.51.100.%d:%d", 1+i%4/2, 30000+i), token, update); w.Code != http.StatusUnauthorized {
			t.Fatalf("forgery %d: status %d, want 401", i, w.Code)
		}
	}
	if got := counter.count("secret"); got != n {
		t.Errorf("counted %d refusals, want %d", got, n)
	}
	if len(rec.got()) != 0 {
		t.Errorf("forgeries reached the core")
	}
	if got := strings.Count(logs.String(), "\n") - before; got != 2 {
		t.Errorf("%d log lines for %d forgeries, want 2 (one per address):\n%s", got, n, logs)
	}
}

// TestStoreFailuresAreNotAcknowledged: while the core cannot store (a full
// disk), every update is answered 500, so that Telegram pushes it again,
// counted, and logged once, not once per update.
func TestStoreFailuresAreNotAcknowledged(t *testing.T) {
	s := startSim(t)
	c, logs := newClient(t, s, telegram.Options{WebhookURL: "https://caredesk.test/telegram/webhook", WebhookSecret: secret})
	rec, counter := newRecorder(), &reasons{}
	h := c.WebhookHandler(rec, telegram.WebhookOptions{Counter: counter})
	const n = 200
	for i := range n {
		rec.failOnce("", errStore)
		update, _ := json.Marshal(map[string]any{"update_id": 1000 + i, "message": message(10+i, map[string]any{"text": "refund"})})
		if w := pushUpdate(h, "149.154.167.220:443", secret, update); w.Code != http.StatusInternalServerError {
			t.Fatalf("update %d: status %d, want 500", i, w.Code)
		}
	}
	if len(rec.got()) != 0 || counter.count("unavailable") != n {
		t.Errorf("stored %d and counted %d unavailable, want 0 and %d", len(rec.got()), counter.count("unavailable"), n)
	}
	if got := strings.Count(logs.String(), "could not store a Telegram update"); got != 1 {
		t.Errorf("%d log lines for %d failures, want 1:\n%s", got, n, logs)
	}
}

// TestUpdatesPastTheBudgetAreRefusedUnread: with the budget held by a body
// in flight, an update is answered 503 before its body is read, and is
// taken once the budget is free.
func TestUpdatesPastTheBudgetAreRefusedUnread(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{WebhookURL: "https://caredesk.test/telegram/webhook", WebhookSecret: secret})
	rec, counter := newRecorder(), &reasons{}
	budget := bodybudget.New(bodybudget.Limits{Reads: 1})
	srv := httptest.NewServer(c.WebhookHandler(rec, telegram.WebhookOptions{Bodies: budget, Counter: counter}))
	t.Cleanup(srv.Close)
	update, _ := json.Marshal(map[string]any{"update_id": 900, "message": message(3, map[string]any{"text": "refund"})})

	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, pr)
	req.ContentLength = int64(len(update))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	_, _ = pw.Write(update[:len(update)-1])
	budgettest.WaitInFlight(t, budget, 1)

	second, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(string(update)))
	second.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	res, err := http.DefaultClient.Do(second)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "5" || counter.count("busy") != 1 {
		t.Errorf("past the budget: %d, Retry-After %q, %d counted busy; want 503, 5 and 1", res.StatusCode, res.Header.Get("Retry-After"), counter.count("busy"))
	}
	_, _ = pw.Write(update[len(update)-1:])
	pw.Close()
	<-done
	if got := rec.got(); len(got) != 1 {
		t.Errorf("stored %d updates, want the held one", len(got))
	}
}
