package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// failingRoot stands between caredesk and the Slack simulator and answers
// 503, with Slack's HTML body, to every chat.postMessage of one ticket's
// root while it is set to fail; every other call goes through.
type failingRoot struct {
	ticket int
	proxy  *httputil.ReverseProxy

	mu       sync.Mutex
	failing  bool
	failures int
	changed  chan struct{}
}

func newFailingRoot(t *testing.T, slackURL string, ticket int) (*failingRoot, string) {
	t.Helper()
	target, err := url.Parse(slackURL)
	if err != nil {
		t.Fatal(err)
	}
	f := &failingRoot{ticket: ticket, proxy: httputil.NewSingleHostReverseProxy(target), failing: true, changed: make(chan struct{}, 1)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/api/"
}

func (f *failingRoot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/chat.postMessage") && f.isOurRoot(r) {
		f.mu.Lock()
		fail := f.failing
		if fail {
			f.failures++
		}
		f.mu.Unlock()
		select {
		case f.changed <- struct{}{}:
		default:
		}
		if fail {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "<html><body>Service Unavailable</body></html>")
			return
		}
	}
	f.proxy.ServeHTTP(w, r)
}

// isOurRoot reads the call's form, and puts the body back for the proxy.
func (f *failingRoot) isOurRoot(r *http.Request) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("thread_ts") != "" {
		return false
	}
	return metaTicket([]byte(form.Get("metadata"))) == f.ticket
}

func (f *failingRoot) stopFailing() { f.mu.Lock(); f.failing = false; f.mu.Unlock() }

func (f *failingRoot) failed() int { f.mu.Lock(); defer f.mu.Unlock(); return f.failures }

// waitFailures fails t unless the root was refused n times within 15 s.
func (f *failingRoot) waitFailures(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for f.failed() < n {
		select {
		case <-f.changed:
		case <-timeout:
			t.Fatalf("ticket #%d's root was refused %d times in 15 s, want %d", f.ticket, f.failed(), n)
		}
	}
}

// metaTicket returns the ticket number of a root's message metadata, 0 if
// it has none.
func metaTicket(raw []byte) int {
	var m struct {
		EventType    string `json:"event_type"`
		EventPayload struct {
			Ticket int `json:"ticket"`
		} `json:"event_payload"`
	}
	if json.Unmarshal(raw, &m) != nil || m.EventType != "caredesk_ticket" {
		return 0
	}
	return m.EventPayload.Ticket
}

// postedTickets returns the ticket numbers of the roots in the desk
// channel, in the order they were posted.
func (r *rig) postedTickets() []int {
	var ids []int
	for _, m := range r.roots() {
		ids = append(ids, metaTicket(m.Metadata))
	}
	return ids
}

// TestFailingRootDoesNotHoldTheDesk: Slack refuses one ticket's root with
// 503 again and again while 60 complaints arrive. Before, the desk's posts
// were one queue and everything waited behind that root; now the other 59
// are posted while it fails, and it follows with its thread, each once.
func TestFailingRootDoesNotHoldTheDesk(t *testing.T) {
	r := newRig(t, rigOptions{})
	slow, apiURL := newFailingRoot(t, r.slack.URL(), 1)
	r.env["SLACK_API_URL"] = apiURL
	r.start()

	first := customer(7001, "First", "first")
	r.tg.CustomerWrites(first.ID, first, "My order 1 never arrived")
	slow.waitFailures(t, 1)
	r.tg.CustomerWrites(first.ID, first, "Is anyone there?")
	start := time.Now()
	for i := 2; i <= 60; i++ {
		c := customer(int64(7000+i), fmt.Sprintf("Customer%d", i), "")
		r.tg.CustomerWrites(c.ID, c, fmt.Sprintf("My order %d never arrived", i))
	}
	r.wait("the other 59 roots", func() bool { return len(r.roots()) >= 59 })
	others := time.Since(start)
	if got := r.postedTickets(); slices.Contains(got, 1) || len(got) != 59 {
		t.Fatalf("while #1's root fails the desk shows roots of tickets %v, want #2…#60", got)
	}

	// Nine straight 503s, as in the probe, then Slack takes it.
	slow.waitFailures(t, 9)
	if got := len(r.roots()); got != 59 {
		t.Fatalf("the desk shows %d roots while #1's root fails, want 59", got)
	}
	slow.stopFailing()
	r.wait("ticket #1's root and its follow-up", func() bool {
		for _, m := range r.roots() {
			if metaTicket(m.Metadata) == 1 {
				return len(r.slack.Thread(m.TS)) > 0
			}
		}
		return false
	})

	got := r.postedTickets()
	var want []int
	for n := 1; n <= 60; n++ {
		want = append(want, n)
	}
	if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(sorted, want) {
		t.Errorf("roots of tickets %v, want #1…#60 once each", got)
	}
	if got[len(got)-1] != 1 {
		t.Errorf("roots in the order %v: #1's should come last, after its failures", got)
	}
	root := r.root(1)
	var followUps int
	for _, m := range r.slack.Thread(root.TS) {
		if strings.Contains(m.Text, "Is anyone there?") {
			followUps++
		}
	}
	if followUps != 1 {
		t.Errorf("#1's thread holds the follow-up %d times, want once: %+v", followUps, r.slack.Thread(root.TS))
	}
	t.Logf("the other 59 roots were posted %v after the first of them arrived; #1's root was refused %d times meanwhile and after",
		others.Round(time.Millisecond), slow.failed())
}
