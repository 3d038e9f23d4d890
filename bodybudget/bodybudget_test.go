package bodybudget_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"caredesk/bodybudget"
)

// serve answers every request with what Read made of its body: 200 and
// the body, 413, 503 or 400.
func serve(t *testing.T, b *bodybudget.Budget, limit int64) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := b.Read(w, req, limit)
		var tooBig *http.MaxBytesError
		switch {
		case errors.Is(err, bodybudget.ErrBusy):
			bodybudget.RetryLater(w)
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		case errors.As(err, &tooBig):
			bodybudget.Close(w)
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		case err != nil:
			http.Error(w, "unreadable", http.StatusBadRequest)
		default:
			_, _ = w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// send writes a POST of body to addr; with chunked, in one chunk of
// undeclared length. It returns the status and the answer's body.
func send(t *testing.T, addr, body string, chunked bool) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if chunked {
		req.ContentLength = -1
		req.Body = io.NopCloser(strings.NewReader(body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(got)
}

// hold opens a request that declares length bytes, sends all but the last
// and waits until the budget counts it.
func hold(t *testing.T, b *bodybudget.Budget, addr string, length int) net.Conn {
	t.Helper()
	before, _ := b.InFlight()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", length, strings.Repeat("a", length-1))
	waitFor(t, "the held body to be counted", func() bool { n, _ := b.InFlight(); return n > before })
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

func TestReadWithinTheBudget(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		chunked bool
		status  int
	}{
		{"declared", "hello", false, http.StatusOK},
		{"chunked", "hello", true, http.StatusOK},
		{"empty", "", false, http.StatusOK},
		{"exactly the limit", strings.Repeat("x", 1000), false, http.StatusOK},
		{"declared over the limit", strings.Repeat("x", 1001), false, http.StatusRequestEntityTooLarge},
		{"chunked over the limit", strings.Repeat("x", 1001), true, http.StatusRequestEntityTooLarge},
	}
	b := bodybudget.New(bodybudget.Limits{Reads: 2, Bytes: 4000})
	addr := serve(t, b, 1000)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, got := send(t, addr, tc.body, tc.chunked)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%s)", status, tc.status, got)
			}
			if status == http.StatusOK && got != tc.body {
				t.Errorf("read %q, want %q", got, tc.body)
			}
			if n, bytes := b.InFlight(); n != 0 || bytes != 0 {
				t.Errorf("after the request, %d reads and %d bytes are still counted", n, bytes)
			}
		})
	}
}

func TestPastTheBudgetIsRefusedUnread(t *testing.T) {
	tests := []struct {
		name   string
		limits bodybudget.Limits
		held   []int // bodies held open, by declared length
		next   int   // the length of the request that follows
		status int
	}{
		{"bytes left", bodybudget.Limits{Reads: 4, Bytes: 1000}, []int{400}, 600, http.StatusOK},
		{"bytes used up", bodybudget.Limits{Reads: 4, Bytes: 1000}, []int{400, 400}, 201, http.StatusServiceUnavailable},
		{"reads used up", bodybudget.Limits{Reads: 2, Bytes: 1 << 20}, []int{10, 10}, 10, http.StatusServiceUnavailable},
		{"the sender's share used up", bodybudget.Limits{Reads: 8, Bytes: 8000, PerSender: 2}, []int{10, 10}, 10, http.StatusServiceUnavailable},
		{"the sender's bytes used up", bodybudget.Limits{Reads: 8, Bytes: 4000, PerSender: 2}, []int{600}, 500, http.StatusServiceUnavailable},
		{"the sender's share left", bodybudget.Limits{Reads: 8, Bytes: 4000, PerSender: 2}, []int{500}, 500, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bodybudget.New(tc.limits)
			addr := serve(t, b, 1000)
			for _, n := range tc.held {
				hold(t, b, addr, n)
			}
			status, h, got := send(t, addr, strings.Repeat("x", tc.next), false)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%s)", status, tc.status, got)
			}
			if status == http.StatusServiceUnavailable && (h.Get("Retry-After") != "5" || !strings.Contains(got, "send this one again")) {
				t.Errorf("a 503 with Retry-After %q and %q, want 5 and advice", h.Get("Retry-After"), got)
			}
		})
	}
}

// TestAWithheldByteFreesItsShareAfterTheTimeout: a sender that never sends
// its last byte is cut off after Timeout, and its reservation is free.
func TestAWithheldByteFreesItsShareAfterTheTimeout(t *testing.T) {
	b := bodybudget.New(bodybudget.Limits{Reads: 1, Timeout: 100 * time.Millisecond})
	addr := serve(t, b, 1000)
	c := hold(t, b, addr, 500)
	answer, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to the withheld body: %v", err)
	}
	answer.Body.Close()
	if answer.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d for a body that never ended, want 400", answer.StatusCode)
	}
	waitFor(t, "the reservation to be freed", func() bool { n, _ := b.InFlight(); return n == 0 })
	if status, _, got := send(t, addr, "after", false); status != http.StatusOK || got != "after" {
		t.Errorf("after the timeout: %d %q, want 200 \"after\"", status, got)
	}
}

// TestNilBudgetBoundsOnlyEachBody: a nil *Budget still keeps each body
// within its limit.
func TestNilBudgetBoundsOnlyEachBody(t *testing.T) {
	var b *bodybudget.Budget
	addr := serve(t, b, 10)
	if status, _, _ := send(t, addr, "0123456789", false); status != http.StatusOK {
		t.Errorf("status %d for a body at the limit, want 200", status)
	}
	if status, _, _ := send(t, addr, "0123456789!", true); status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d for a body over the limit, want 413", status)
	}
}

// TestOneSenderCannotTakeTheWholeBudget: a sender holding its share of slow
// bodies is refused more, while another sender is still read.
func TestOneSenderCannotTakeTheWholeBudget(t *testing.T) {
	b := bodybudget.New(bodybudget.Limits{Reads: 8, Bytes: 8000, PerSender: 2})
	addr := serve(t, b, 1000)
	hold(t, b, addr, 10) // from 127.0.0.1
	hold(t, b, addr, 10)
	if status, _, _ := send(t, addr, "more", false); status != http.StatusServiceUnavailable {
		t.Errorf("a third body from the sender holding two: %d, want 503", status)
	}
	// 127.0.0.2 is loopback too, and another sender.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)},
	}).DialContext}}
	resp, err := other.Post("http://"+addr+"/", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(got) != "hello" {
		t.Errorf("another sender meanwhile: %d %q, want 200 \"hello\"", resp.StatusCode, got)
	}
}
