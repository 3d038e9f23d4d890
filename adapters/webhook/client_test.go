package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/sim/bridgesim"
)

// reply is Alice's answer to Jane's complaint on ticket #12, as the
// courier hands it to the source.
var reply = bot.Outgoing{
	Ticket: bot.Ticket{ID: 12, Source: "webhook:twitter"}, Conversation: "thread-9", ReplyTo: "tw-1",
	Text: "Hi Jane, so sorry — your parcel left today: https://track.example/1", MessageID: 345, AgentName: "Alice", Key: "caredesk-77",
}

// newClient returns a client for the twitter source that sends to url.
func newClient(t *testing.T, url string, o webhook.ClientOptions) (*webhook.Client, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	t.Cleanup(func() { logs.assertNoSecret(t) })
	if o.Now == nil {
		o.Now = func() time.Time { return start }
	}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return webhook.NewClient(webhook.Source{Name: "twitter", Secret: twitterSecret, ReplyURL: url, Display: "X (Twitter)"}, o), logs
}

func TestSendDeliversASignedReply(t *testing.T) {
	bridge := startBridge(t, twitterSecret)
	c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})

	ref, err := c.Send(testContext(t), reply)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if ref != "bridge-1" {
		t.Errorf("ref %q, want the bridge's id bridge-1", ref)
	}
	want := bridgesim.Reply{
		Kind: "reply", Source: "twitter", Ticket: 12, ReplyID: 345,
		InReplyTo: bridgesim.InReplyTo{MessageID: "tw-1", ConversationID: "thread-9"},
		Text:      reply.Text, Agent: bridgesim.Agent{Name: "Alice"}, IdempotencyKey: "caredesk-77", ID: "bridge-1",
	}
	if got := bridge.Replies(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("the bridge took %+v\nwant %+v", got, want)
	}
	a := bridge.Attempts()
	if len(a) != 1 || !a[0].Verified || a[0].Key != "caredesk-77" {
		t.Errorf("attempts %+v, want one, signed, with Idempotency-Key caredesk-77", a)
	}
}

// TestSendHeadersAndBody checks the request byte for byte where the
// simulator is lenient: the exact set of JSON fields and the headers.
func TestSendHeadersAndBody(t *testing.T) {
	type request struct {
		method, path string
		header       http.Header
		body         []byte
	}
	requests := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		requests <- request{r.Method, r.URL.Path, r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL+"/in", webhook.ClientOptions{})
	ref, err := c.Send(testContext(t), reply)
	if err != nil || ref != "" {
		t.Fatalf("Send = %q, %v; want \"\" (a 204 has no id), nil", ref, err)
	}
	got := <-requests
	if got.method != http.MethodPost || got.path != "/in" || got.header.Get("Content-Type") != "application/json" || got.header.Get("Idempotency-Key") != "caredesk-77" {
		t.Errorf("request %s %s with %v", got.method, got.path, got.header)
	}
	body := got.body
	if err := webhook.Verify(twitterSecret, got.header, body, start); err != nil {
		t.Errorf("the signature does not verify: %v", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"kind": "reply", "source": "twitter", "ticket": 12.0, "reply_id": 345.0,
		"in_reply_to": map[string]any{"message_id": "tw-1", "conversation_id": "thread-9"},
		"text":        reply.Text, "agent": map[string]any{"name": "Alice"}, "idempotency_key": "caredesk-77",
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("body %s\nwant %v", body, want)
	}
}

// TestSendRetriesAreDeliveredOnce plays the courier: a bridge failing
// twice, then taking the reply, then getting it again because the courier
// never learnt of the success. Every attempt carries the same key.
func TestSendRetriesAreDeliveredOnce(t *testing.T) {
	bridge := startBridge(t, twitterSecret)
	c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
	bridge.FailNext(2, http.StatusInternalServerError)
	var refs []string
	for i := range 4 {
		ref, err := c.Send(testContext(t), reply)
		if (i < 2) != (err != nil) || bot.IsPermanent(err) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		refs = append(refs, ref)
	}
	if !reflect.DeepEqual(refs, []string{"", "", "bridge-1", "bridge-1"}) {
		t.Errorf("refs %q", refs)
	}
	got := bridge.Replies()
	if len(got) != 2 || got[0].Repeat || !got[1].Repeat {
		t.Errorf("the bridge took %+v, want the reply once and then a repeat it recognised", got)
	}
	for _, a := range bridge.Attempts() {
		if a.Key != "caredesk-77" {
			t.Errorf("an attempt with key %q", a.Key)
		}
	}
}

func TestSendClassifiesTheBridgesAnswer(t *testing.T) {
	tests := []struct {
		name       string
		prepare    func(b *bridgesim.Server)
		permanent  bool
		retryAfter time.Duration
		says       string
	}{
		{"500", func(b *bridgesim.Server) { b.FailNext(1, 500) }, false, 0, "the twitter bridge failed to take the reply (500): simulated failure (500); it will be sent again"},
		{"502 of a proxy", func(b *bridgesim.Server) { b.FailNext(1, 502) }, false, 0, "(502)"},
		{"429", func(b *bridgesim.Server) { b.Throttle(1, 3*time.Second) }, false, 3 * time.Second, "slow down (429)"},
		{"422", func(b *bridgesim.Server) { b.Reject(422, "the tweet was deleted") }, true, 0, "the twitter bridge refused the reply (422): the tweet was deleted"},
		{"404", func(b *bridgesim.Server) { b.Reject(404, "no such conversation") }, true, 0, "(404): no such conversation"},
		{"403", func(b *bridgesim.Server) { b.Reject(403, "forbidden") }, true, 0, "same secret"},
		{"408", func(b *bridgesim.Server) { b.FailNext(1, 408) }, false, 0, "(408)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bridge := startBridge(t, twitterSecret)
			tc.prepare(bridge)
			c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
			_, err := c.Send(testContext(t), reply)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if bot.IsPermanent(err) != tc.permanent || bot.RetryAfterOf(err) != tc.retryAfter {
				t.Errorf("permanent %v, retry after %v, want %v and %v: %v", bot.IsPermanent(err), bot.RetryAfterOf(err), tc.permanent, tc.retryAfter, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			if len(bridge.Replies()) != 0 {
				t.Errorf("the bridge took it")
			}
		})
	}
}

// TestSendWithTheWrongSecret: the bridge checks the signature and refuses.
func TestSendWithTheWrongSecret(t *testing.T) {
	bridge := startBridge(t, "whsec_bridge_has_another_secret")
	c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
	_, err := c.Send(testContext(t), reply)
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "(401)") || !strings.Contains(err.Error(), "same secret") {
		t.Errorf("Send: %v, want a permanent 401 that suggests checking the secret", err)
	}
	if a := bridge.Attempts(); len(a) != 1 || a[0].Verified || a[0].Status != 401 {
		t.Errorf("attempts %+v, want one refused for its signature", a)
	}
	assertNoSecret(t, "the error", err.Error())
}

// TestSendReadsOtherAnswers covers answers the simulator does not give.
func TestSendReadsOtherAnswers(t *testing.T) {
	tests := []struct {
		name       string
		answer     func(w http.ResponseWriter)
		ref        string
		permanent  bool
		retryAfter time.Duration
		says       string
	}{
		{"200 with a numeric id", func(w http.ResponseWriter) { w.Write([]byte(`{"id": 1234567890123456789}`)) }, "1234567890123456789", false, 0, ""},
		{"200 with text", func(w http.ResponseWriter) { w.Write([]byte("ok")) }, "", false, 0, ""},
		{"201 with other JSON", func(w http.ResponseWriter) { w.WriteHeader(201); w.Write([]byte(`{"executionId": "n8n-1"}`)) }, "", false, 0, ""},
		{"429 with a date", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", start.Add(90*time.Second).Format(http.TimeFormat))
			w.WriteHeader(429)
		}, "", false, 90 * time.Second, "(429): Too Many Requests"},
		{"429 without Retry-After", func(w http.ResponseWriter) { w.WriteHeader(429) }, "", false, 0, "(429)"},
		{"400 with a message", func(w http.ResponseWriter) {
			w.WriteHeader(400)
			w.Write([]byte(`{"message":"text too long for X"}`))
		}, "", true, 0, "(400): text too long for X"},
		{"400 with a nested error", func(w http.ResponseWriter) {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"code":186,"message":"Tweet needs to be a bit shorter."}}`))
		}, "", true, 0, "(400): Tweet needs to be a bit shorter."},
		{"400 with a long page", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(400)
			w.Write([]byte("<html>\n<body>" + strings.Repeat("é", 400) + "</body></html>"))
		}, "", true, 0, "(400): <html> <body>éé"},
		{"400 without a body", func(w http.ResponseWriter) { w.WriteHeader(400) }, "", true, 0, "(400): Bad Request"},
		{"a redirect", func(w http.ResponseWriter) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(301)
		}, "", true, 0, "redirect (301)"},
		{"503", func(w http.ResponseWriter) { w.WriteHeader(503) }, "", false, 0, "(503): Service Unavailable; it will be sent again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tc.answer(w)
			}))
			t.Cleanup(srv.Close)
			c, _ := newClient(t, srv.URL+"/replies", webhook.ClientOptions{})
			ref, err := c.Send(testContext(t), reply)
			if tc.says == "" {
				if err != nil || ref != tc.ref {
					t.Fatalf("Send = %q, %v; want %q, nil", ref, err, tc.ref)
				}
			} else {
				if err == nil || bot.IsPermanent(err) != tc.permanent || bot.RetryAfterOf(err) != tc.retryAfter || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("Send: %v (permanent %v, retry after %v); want one saying %q, permanent %v, retry after %v",
						err, bot.IsPermanent(err), bot.RetryAfterOf(err), tc.says, tc.permanent, tc.retryAfter)
				}
				if n := len(err.Error()); n > 500 {
					t.Errorf("the error is %d bytes long; the bridge's answer is not cut", n)
				}
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("%d calls, want one POST and no redirect followed", n)
			}
		})
	}
}

func TestSendWhenTheBridgeIsDownOrSlow(t *testing.T) {
	// A Zapier catch hook's path is a secret: whoever knows it can post.
	const secretPath = "/hooks/catch/123456/abcdefg/"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + ln.Addr().String() + secretPath
	ln.Close() // nothing listens there now

	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	t.Cleanup(func() { close(hang); slow.Close() })

	tests := []struct {
		name, url string
		says      string
	}{
		{"nothing listens", downURL, "could not reach the twitter bridge at http://" + ln.Addr().String() + "/…"},
		{"no answer in time", slow.URL + secretPath, "no answer in time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, logs := newClient(t, tc.url, webhook.ClientOptions{Timeout: 100 * time.Millisecond})
			_, err := c.Send(testContext(t), reply)
			if err == nil || bot.IsPermanent(err) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Send: %v, want a temporary error saying %q", err, tc.says)
			}
			if strings.Contains(err.Error(), "abcdefg") || strings.Contains(logs.String(), "abcdefg") {
				t.Errorf("the reply URL's secret path is shown: %v", err)
			}
		})
	}
}

func TestSendWithoutAReplyURL(t *testing.T) {
	c, _ := newClient(t, "", webhook.ClientOptions{})
	_, err := c.Send(testContext(t), reply)
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "reply_url") || !strings.Contains(err.Error(), "X (Twitter)") {
		t.Errorf("Send: %v, want a permanent error that names reply_url", err)
	}
}

func TestSendKeepsTheCallersContext(t *testing.T) {
	bridge := startBridge(t, twitterSecret)
	c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
	ctx, cancel := context.WithCancel(testContext(t))
	cancel() // the process is shutting down
	_, err := c.Send(ctx, reply)
	if err == nil || bot.IsPermanent(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: %v, want a temporary error wrapping context.Canceled", err)
	}
}
