package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bodybudget"
	"caredesk/bodybudget/budgettest"
)

// directHandler is webhook.Handler for the source twitter, called without
// a listener, so that thousands of requests take no sockets.
func directHandler(t *testing.T, o webhook.Options) (http.Handler, *receiver, *counter, *logBuffer) {
	t.Helper()
	rec, count, logs := newReceiver(), &counter{}, &logBuffer{}
	o.Sources = []webhook.Source{{Name: "twitter", Secret: twitterSecret}}
	o.Receiver, o.Reporter, o.Counter = rec, &reporter{}, count
	o.Now = func() time.Time { return start }
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() { logs.assertNoSecret(t) })
	return webhook.Handler(o), rec, count, logs
}

// post sends body with headers h to /hooks/twitter from remote.
func post(h http.Handler, remote string, body []byte, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/hooks/twitter", bytes.NewReader(body))
	req.RemoteAddr = remote
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestForgedFloodLogsOneLinePerAddress sends 5,000 forged complaints from
// two addresses, each from a new port as a new connection would: every one
// is refused and counted, and the log has one line per address and kind
// of forgery.
func TestForgedFloodLogsOneLinePerAddress(t *testing.T) {
	h, rec, count, logs := directHandler(t, webhook.Options{})
	body, _ := json.Marshal(complaint)
	forger := startBridge(t, "whsec_guess_000000000000000")
	forgeries := []http.Header{
		forger.Signed(body, start), // wrong secret: read, then refused
		{},                         // unsigned: refused on its headers
	}
	const n = 5000
	for i := range n {
		w := post(h, fmt.Sprintf("198.51.100.%d:%d", 1+i%2, 30000+i), body, forgeries[i%len(forgeries)])
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("forgery %d: status %d, want 401", i, w.Code)
		}
	}
	if got := len(count.got()); got != n {
		t.Errorf("counted %d refusals, want %d", got, n)
	}
	if attempts, _ := rec.got(); len(attempts) != 0 {
		t.Errorf("forgeries reached the core: %d", len(attempts))
	}
	// Two addresses, one kind (signature): two lines.
	if got := strings.Count(logs.String(), "\n"); got != 2 {
		t.Errorf("%d log lines for %d forgeries, want 2:\n%s", got, n, logs)
	}
}

// TestStoreFailuresAreRefusedAndLoggedOnce: while the core cannot store
// (a full disk), every complaint is answered 503 with Retry-After, so that
// the bridge sends it again, and the log says so once, not per complaint.
func TestStoreFailuresAreRefusedAndLoggedOnce(t *testing.T) {
	h, rec, count, logs := directHandler(t, webhook.Options{})
	bridge := startBridge(t, twitterSecret)
	const n = 200
	for i := range n {
		rec.failNext(errStore)
		c := complaint
		c.ID = fmt.Sprintf("tw-%d", i)
		body, _ := json.Marshal(c)
		w := post(h, "192.0.2.1:443", body, bridge.Signed(body, start))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" {
			t.Fatalf("complaint %d: status %d, Retry-After %q; want 503 and 5", i, w.Code, w.Header().Get("Retry-After"))
		}
	}
	if got := len(count.got()); got != n {
		t.Errorf("counted %d refusals, want %d", got, n)
	}
	if got := strings.Count(logs.String(), "could not store a complaint"); got != 1 {
		t.Errorf("%d log lines for %d failures, want 1:\n%s", got, n, logs)
	}
}

// TestBodiesPastTheBudgetAreRefusedUnread: with the budget held by a body
// in flight, a complaint is answered 503 with Retry-After before its body
// is read, and gets through once the budget is free.
func TestBodiesPastTheBudgetAreRefusedUnread(t *testing.T) {
	budget := bodybudget.New(bodybudget.Limits{Reads: 1})
	d := startDesk(t, webhook.Options{Bodies: budget})
	bridge := startBridge(t, twitterSecret)
	body, _ := json.Marshal(complaint)

	// A bridge that signed its headers and never finishes the body.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, d.url+"/hooks/twitter", pr)
	req.ContentLength = int64(len(body))
	req.Header = bridge.Signed(body, start)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	_, _ = pw.Write(body[:len(body)-1])
	budgettest.WaitInFlight(t, budget, 1)

	resp := send(t, "POST", d.url+"/hooks/twitter", body, bridge.Signed(body, start))
	if resp.status != http.StatusServiceUnavailable || resp.header.Get("Retry-After") != "5" {
		t.Errorf("past the budget: %d, Retry-After %q (%s); want 503 and 5", resp.status, resp.header.Get("Retry-After"), resp.body)
	}
	if got := d.counter.got(); len(got) != 1 || got[0] != "webhook:twitter busy" {
		t.Errorf("counted %q, want [webhook:twitter busy]", got)
	}
	_, _ = pw.Write(body[len(body)-1:])
	pw.Close()
	<-done
	budgettest.WaitInFlight(t, budget, 0)
	if _, stored := d.receiver.got(); len(stored) != 1 {
		t.Errorf("stored %d complaints, want the held one", len(stored))
	}
	c := complaint
	c.ID = "tw-2"
	body, _ = json.Marshal(c)
	if resp := send(t, "POST", d.url+"/hooks/twitter", body, bridge.Signed(body, start)); resp.status != http.StatusAccepted {
		t.Errorf("after the held body ended: %d %s, want 202", resp.status, resp.body)
	}
}
