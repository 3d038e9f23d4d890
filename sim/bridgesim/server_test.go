package bridgesim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/sim/bridgesim"
)

const secret = "whsec_sim_0123456789abcdef"

var now = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func start(t *testing.T) *bridgesim.Server {
	t.Helper()
	s, err := bridgesim.New(bridgesim.Options{Secret: secret, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// validReply is a reply body as the documentation describes it.
const validReply = `{"kind":"reply","source":"twitter","ticket":12,"reply_id":345,"in_reply_to":{"message_id":"tw-1","conversation_id":"thread-9"},"text":"Hi Jane","agent":{"name":"Alice"},"idempotency_key":"caredesk-7"}`

// validQuestion is a csat_request body as the documentation describes it:
// no reply to report on.
const validQuestion = `{"kind":"csat_request","source":"twitter","ticket":12,"reply_id":0,"in_reply_to":{"message_id":"tw-1","conversation_id":"thread-9"},"text":"How did we do?","agent":{"name":""},"idempotency_key":"caredesk-9","scale":{"min":1,"max":5}}`

// post sends body to the bridge's ReplyURL as caredesk would, signed with
// signer at now, and returns the status and the decoded answer.
func post(t *testing.T, s *bridgesim.Server, signer, body, key, contentType string) (int, map[string]string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, s.ReplyURL(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Idempotency-Key", key)
	webhook.SetSignature(req.Header, signer, now, []byte(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("the answer is not JSON: %v", err)
	}
	return resp.StatusCode, answer, resp.Header
}

func TestTakesASignedReplyOnce(t *testing.T) {
	s := start(t)
	for i, want := range []bool{false, true} {
		status, answer, _ := post(t, s, secret, validReply, "caredesk-7", "application/json")
		if status != http.StatusOK || answer["id"] != "bridge-1" {
			t.Fatalf("attempt %d: %d %v, want 200 with id bridge-1 both times", i+1, status, answer)
		}
		if got := s.Replies(); len(got) != i+1 || got[i].Repeat != want || got[i].Text != "Hi Jane" || got[i].Agent.Name != "Alice" || got[i].InReplyTo.MessageID != "tw-1" {
			t.Errorf("replies %+v", got)
		}
	}
	status, answer, _ := post(t, s, secret, strings.ReplaceAll(validReply, "caredesk-7", "caredesk-8"), "caredesk-8", "application/json")
	if status != http.StatusOK || answer["id"] != "bridge-2" {
		t.Errorf("another reply: %d %v, want id bridge-2", status, answer)
	}
}

// validAsk is a body of kind (call_request or move_private) as the
// documentation describes it: about ticket 12, nothing to report on.
func validAsk(kind, key string) string {
	return strings.NewReplacer(`"kind":"reply"`, `"kind":"`+kind+`"`, `"reply_id":345`, `"reply_id":0`, "caredesk-7", key).Replace(validReply)
}

func TestTakesEveryKind(t *testing.T) {
	s := start(t)
	message := strings.NewReplacer(`"kind":"reply"`, `"kind":"message"`, `"ticket":12`, `"ticket":0`, `"reply_id":345`, `"reply_id":0`, "caredesk-7", "caredesk-10").Replace(validReply)
	bodies := []string{validReply, validQuestion, validAsk("call_request", "caredesk-11"), validAsk("move_private", "caredesk-12"), message}
	for _, body := range bodies {
		var key struct {
			Key string `json:"idempotency_key"`
		}
		_ = json.Unmarshal([]byte(body), &key)
		if status, answer, _ := post(t, s, secret, body, key.Key, "application/json"); status != http.StatusOK {
			t.Errorf("%s: %d %v, want it taken", body, status, answer)
		}
	}
	got := s.Replies()
	var kinds []string
	for _, r := range got {
		kinds = append(kinds, r.Kind)
	}
	if strings.Join(kinds, " ") != "reply csat_request call_request move_private message" {
		t.Fatalf("took the kinds %q", kinds)
	}
	if got[0].Scale != nil || got[1].Scale == nil || *got[1].Scale != (bridgesim.Scale{Min: 1, Max: 5}) || got[2].Ticket != 12 || got[3].Ticket != 12 {
		t.Errorf("took %+v, want a reply, a question on the scale 1–5, two requests about ticket 12 and a message", got)
	}
}

func TestTurnsAwayWhatABridgeShouldNotTake(t *testing.T) {
	tests := []struct {
		name, signer, body, key, contentType string
		status                               int
		says                                 string
		verified                             bool
	}{
		{"wrong secret", "whsec_forger_000000000000", validReply, "caredesk-7", "application/json", 401, "signature does not match", false},
		{"not JSON", secret, validReply, "caredesk-7", "text/plain", 415, "application/json", false},
		{"fields missing", secret, `{"kind":"reply","ticket":12,"text":" "}`, "", "application/json", 400, "source, reply_id, in_reply_to.conversation_id, text, idempotency_key", true},
		{"no kind", secret, strings.Replace(validReply, `"kind":"reply",`, "", 1), "caredesk-7", "application/json", 400, `kind "" is none of`, true},
		{"question without a scale", secret, strings.Replace(validQuestion, `,"scale":{"min":1,"max":5}`, "", 1), "caredesk-9", "application/json", 400, "lacks scale", true},
		{"question without a ticket", secret, strings.Replace(validQuestion, `"ticket":12`, `"ticket":0`, 1), "caredesk-9", "application/json", 400, "lacks ticket", true},
		{"call request without a ticket", secret, strings.Replace(validAsk("call_request", "caredesk-11"), `"ticket":12`, `"ticket":0`, 1), "caredesk-11", "application/json", 400, "lacks ticket", true},
		{"move to private without a ticket", secret, strings.Replace(validAsk("move_private", "caredesk-12"), `"ticket":12`, `"ticket":0`, 1), "caredesk-12", "application/json", 400, "lacks ticket", true},
		{"a kind not published", secret, strings.Replace(validReply, `"kind":"reply"`, `"kind":"notice"`, 1), "caredesk-7", "application/json", 400, `kind "notice" is none of`, true},
		{"key header differs", secret, validReply, "caredesk-8", "application/json", 400, "Idempotency-Key", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			status, answer, _ := post(t, s, tc.signer, tc.body, tc.key, tc.contentType)
			if status != tc.status || !strings.Contains(answer["error"], tc.says) {
				t.Errorf("%d %v, want %d saying %q", status, answer, tc.status, tc.says)
			}
			if len(s.Replies()) != 0 {
				t.Errorf("took %+v", s.Replies())
			}
			if a := s.Attempts(); len(a) != 1 || a[0].Status != tc.status || a[0].Verified != tc.verified || a[0].Error == "" {
				t.Errorf("attempts %+v", a)
			}
		})
	}
}

func TestFailsOnPurpose(t *testing.T) {
	s := start(t)
	s.FailNext(2, 500)
	s.Throttle(1, 1500*time.Millisecond)
	s.Reject(422, "the tweet was deleted")
	var got []string
	for range 5 {
		status, answer, h := post(t, s, secret, validReply, "caredesk-7", "application/json")
		got = append(got, strings.TrimSpace(http.StatusText(status)+" "+h.Get("Retry-After")+" "+answer["error"]))
		if status == 422 {
			s.Accept()
		}
	}
	want := []string{
		"Internal Server Error  simulated failure (500)",
		"Internal Server Error  simulated failure (500)",
		"Too Many Requests 2 slow down",
		"Unprocessable Entity  the tweet was deleted",
		"OK",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("answers\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(s.Replies()) != 1 || len(s.Attempts()) != 5 {
		t.Errorf("%d replies, %d attempts; want 1 and 5", len(s.Replies()), len(s.Attempts()))
	}
}

// caredesk is a stand-in for caredesk's webhook endpoint that records what
// the bridge sends.
type caredesk struct {
	mu       sync.Mutex
	requests []received
}

type received struct {
	path   string
	header http.Header
	body   []byte
}

func (c *caredesk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.requests = append(c.requests, received{r.URL.Path, r.Header.Clone(), body})
	c.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	w.Write([]byte(`{"status":"stored"}`))
}

func (c *caredesk) got() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.requests...)
}

func TestSendsSignedComplaintsReportsAndRatings(t *testing.T) {
	s := start(t)
	desk := &caredesk{}
	srv := httptest.NewServer(desk)
	t.Cleanup(srv.Close)

	status, body, err := s.SendComplaint(srv.URL+"/", "twitter", bridgesim.Complaint{ID: "tw-1", Author: bridgesim.Author{ID: "u1", Handle: "jane"}, Text: "where is my parcel?"})
	if err != nil || status != http.StatusAccepted || !bytes.Contains(body, []byte("stored")) {
		t.Fatalf("SendComplaint = %d %s %v", status, body, err)
	}
	dm := bridgesim.Complaint{ID: "dm-1", ConversationID: "tw-1", Author: bridgesim.Author{ID: "u1"}, Text: "order 1234", Private: true, TimeZone: "Europe/Istanbul"}
	if _, _, err := s.SendComplaint(srv.URL, "twitter", dm); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReportStatus(srv.URL, "twitter", bridgesim.Status{ReplyID: 345, Status: "delivered", URL: "https://x.com/brand/status/2"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SendRating(srv.URL, "twitter", bridgesim.Rating{Ticket: 12, Score: 4, CustomerID: "u1", EventID: "rate-1"}); err != nil {
		t.Fatal(err)
	}
	got := desk.got()
	if len(got) != 4 {
		t.Fatalf("caredesk got %d requests, want 4", len(got))
	}
	wants := []struct{ path, body string }{
		{"/hooks/twitter", `{"id":"tw-1","author":{"id":"u1","handle":"jane"},"text":"where is my parcel?"}`},
		{"/hooks/twitter", `{"id":"dm-1","conversation_id":"tw-1","author":{"id":"u1"},"text":"order 1234","private":true,"time_zone":"Europe/Istanbul"}`},
		{"/hooks/twitter/status", `{"reply_id":345,"status":"delivered","url":"https://x.com/brand/status/2"}`},
		{"/hooks/twitter/rating", `{"ticket":12,"score":4,"customer_id":"u1","event_id":"rate-1"}`},
	}
	for i, want := range wants {
		if got[i].path != want.path || string(got[i].body) != want.body || got[i].header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: %s %s %v\nwant %s %s", i, got[i].path, got[i].body, got[i].header, want.path, want.body)
		}
		if err := webhook.Verify(secret, got[i].header, got[i].body, now); err != nil {
			t.Errorf("request %d is not signed right: %v", i, err)
		}
	}
}

func TestSendRawSendsExactlyWhatItIsGiven(t *testing.T) {
	s := start(t)
	desk := &caredesk{}
	srv := httptest.NewServer(desk)
	t.Cleanup(srv.Close)
	stale := s.Signed([]byte("{}"), now.Add(-time.Hour))
	stale.Set("Content-Type", "text/plain")
	if _, _, err := s.SendRaw(srv.URL, "/hooks/x", []byte("not json"), stale); err != nil {
		t.Fatal(err)
	}
	r := desk.got()[0]
	if r.path != "/hooks/x" || string(r.body) != "not json" || r.header.Get("Content-Type") != "text/plain" ||
		r.header.Get(webhook.TimestampHeader) != stale.Get(webhook.TimestampHeader) || r.header.Get(webhook.SignatureHeader) != stale.Get(webhook.SignatureHeader) {
		t.Errorf("sent %s %q with %v", r.path, r.body, r.header)
	}
}

func TestWaitWakesWhenAReplyArrives(t *testing.T) {
	s := start(t)
	done := make(chan error, 1)
	go func() { done <- s.Wait(testContext(t), func() bool { return len(s.Replies()) == 1 }) }()
	post(t, s, secret, validReply, "caredesk-7", "application/json")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	if err := s.Wait(ctx, func() bool { return false }); err == nil {
		t.Error("Wait returned nil for a condition never met")
	}
}

func TestNewNeedsASecret(t *testing.T) {
	if _, err := bridgesim.New(bridgesim.Options{}); err == nil {
		t.Error("New without a secret succeeded")
	}
}
