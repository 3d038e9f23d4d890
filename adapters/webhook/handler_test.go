package webhook_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/sim/bridgesim"
)

// complaint is Jane's complaint on X, with every field a bridge can send.
var complaint = bridgesim.Complaint{
	ID: "tw-1", ConversationID: "thread-9",
	Author: bridgesim.Author{ID: "u1", Handle: "@jane", Name: "Jane Doe", ProfileURL: "https://x.com/jane", Followers: 25000},
	Text:   "my order never came", URL: "https://x.com/jane/status/1", Language: "en", Timestamp: "2025-03-14T09:29:00Z",
	Attachments: []string{"https://pbs.example/1.jpg"},
}

func TestComplaintIsStoredAndAcknowledged(t *testing.T) {
	d := startDesk(t, webhook.Options{})
	bridge := startBridge(t, twitterSecret)

	status, body, err := bridge.SendComplaint(d.url, "twitter", complaint)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusAccepted || strings.TrimSpace(string(body)) != `{"status":"stored"}` {
		t.Fatalf("answer %d %s, want 202 {\"status\":\"stored\"}", status, body)
	}
	_, stored := d.receiver.got()
	want := bot.Inbound{
		Source: "webhook:twitter", MessageID: "tw-1", Conversation: "thread-9",
		Customer: bot.Customer{ID: "u1", Name: "Jane Doe", Handle: "jane", ProfileURL: "https://x.com/jane", Followers: 25000},
		Text:     "my order never came", At: time.Date(2025, 3, 14, 9, 29, 0, 0, time.UTC),
		Network: "X (Twitter)", PostURL: "https://x.com/jane/status/1", Language: "en",
		Attachments: []string{"https://pbs.example/1.jpg"},
	}
	if len(stored) != 1 || !reflect.DeepEqual(stored[0], want) {
		t.Errorf("stored %+v\nwant %+v", stored, want)
	}
	if got := d.counter.got(); len(got) != 0 {
		t.Errorf("counted %v for a good complaint", got)
	}
}

func TestComplaintDefaults(t *testing.T) {
	d := startDesk(t, webhook.Options{})
	bridge := startBridge(t, forumSecret)
	status, body, err := bridge.SendComplaint(d.url, "forum", bridgesim.Complaint{ID: "p-7", Author: bridgesim.Author{ID: "member-3"}, Text: "  refund?  "})
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("answer %d %s %v", status, body, err)
	}
	_, stored := d.receiver.got()
	want := bot.Inbound{
		Source: "webhook:forum", MessageID: "p-7", Conversation: "member-3", // the author's posts share a ticket
		Customer: bot.Customer{ID: "member-3"}, Text: "refund?",
		Network: "forum", // no display name: the source's name
	}
	if len(stored) != 1 || !reflect.DeepEqual(stored[0], want) {
		t.Errorf("stored %+v\nwant %+v (At zero: the core's clock says when)", stored, want)
	}
}

// TestRequestsTurnedAway sends every kind of bad request over HTTP and
// checks the status, the JSON error naming the field, the metric, and that
// nothing reached the core.
func TestRequestsTurnedAway(t *testing.T) {
	good, _ := json.Marshal(complaint)
	withText := func(text string) []byte {
		c := complaint
		c.Text = text
		b, _ := json.Marshal(c)
		return b
	}
	tw := startBridge(t, twitterSecret)
	forger := startBridge(t, "whsec_guess_000000000000000")
	tampered := tw.Signed(good, start)
	tests := []struct {
		name    string
		method  string
		path    string
		body    []byte
		header  http.Header // nil: signed by the twitter bridge now
		status  int
		field   string
		counted string
	}{
		{"unknown source", "POST", "/hooks/facebook", good, nil, 404, "", " unknown_source"},
		{"unknown source, any method", "GET", "/hooks/facebook", nil, nil, 404, "", " unknown_source"},
		{"no endpoint", "POST", "/hooks/twitter/replies/1", good, nil, 404, "", " unknown_source"},
		{"GET", "GET", "/hooks/twitter", nil, nil, 405, "", "webhook:twitter method"},
		{"too large", "POST", "/hooks/twitter", withText(strings.Repeat("a", webhook.MaxBodySize)), nil, 413, "", "webhook:twitter too_large"},
		{"unsigned", "POST", "/hooks/twitter", good, http.Header{}, 401, webhook.TimestampHeader, "webhook:twitter signature"},
		{"too large and unsigned", "POST", "/hooks/twitter", withText(strings.Repeat("a", webhook.MaxBodySize)), http.Header{}, 413, "", "webhook:twitter too_large"},
		{"a signature too short to be one", "POST", "/hooks/twitter", good, shortSignature(tw.Signed(good, start)), 401, webhook.SignatureHeader, "webhook:twitter signature"},
		{"signed with another secret", "POST", "/hooks/twitter", good, forger.Signed(good, start), 401, webhook.SignatureHeader, "webhook:twitter signature"},
		{"signed for another source", "POST", "/hooks/forum", good, nil, 401, webhook.SignatureHeader, "webhook:forum signature"},
		{"body changed after signing", "POST", "/hooks/twitter", withText("my order came, thanks"), tampered, 401, webhook.SignatureHeader, "webhook:twitter signature"},
		{"stale", "POST", "/hooks/twitter", good, tw.Signed(good, start.Add(-6*time.Minute)), 401, webhook.TimestampHeader, "webhook:twitter stale"},
		{"from the future", "POST", "/hooks/twitter", good, tw.Signed(good, start.Add(6*time.Minute)), 401, webhook.TimestampHeader, "webhook:twitter stale"},
		{"malformed JSON", "POST", "/hooks/twitter", []byte(`{"id": "tw-1", `), nil, 400, "", "webhook:twitter malformed"},
		{"not an object", "POST", "/hooks/twitter", []byte(`"my order never came"`), nil, 400, "", "webhook:twitter malformed"},
		{"no id", "POST", "/hooks/twitter", []byte(`{"author":{"id":"u1"},"text":"hi"}`), nil, 422, "id", "webhook:twitter invalid"},
		{"no author id", "POST", "/hooks/twitter", []byte(`{"id":"1","author":{"handle":"jane"},"text":"hi"}`), nil, 422, "author.id", "webhook:twitter invalid"},
		{"blank text", "POST", "/hooks/twitter", withText(" \n "), nil, 422, "text", "webhook:twitter invalid"},
		{"text over the desk's limit", "POST", "/hooks/twitter", withText(strings.Repeat("ж", 1001)), nil, 422, "text", "webhook:twitter invalid"},
		{"followers a word", "POST", "/hooks/twitter", []byte(`{"id":"1","author":{"id":"u1","followers":"lots"},"text":"hi"}`), nil, 422, "author.followers", "webhook:twitter invalid"},
		{"post URL not http", "POST", "/hooks/twitter", []byte(`{"id":"1","author":{"id":"u1"},"text":"hi","url":"javascript:alert(1)"}`), nil, 422, "url", "webhook:twitter invalid"},
		{"a bad attachment", "POST", "/hooks/twitter", []byte(`{"id":"1","author":{"id":"u1"},"text":"hi","attachments":["https://a.example/1.png","1.png"]}`), nil, 422, "attachments[1]", "webhook:twitter invalid"},
		{"bad timestamp", "POST", "/hooks/twitter", []byte(`{"id":"1","author":{"id":"u1"},"text":"hi","timestamp":"yesterday"}`), nil, 422, "timestamp", "webhook:twitter invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startDesk(t, webhook.Options{MaxText: 1000})
			h := tc.header
			if h == nil {
				h = tw.Signed(tc.body, start)
			}
			resp := send(t, tc.method, d.url+tc.path, tc.body, h)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if !strings.HasPrefix(resp.header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q, want JSON", resp.header.Get("Content-Type"))
			}
			if p := decodeProblem(t, resp.body); p.Field != tc.field {
				t.Errorf("field %q, want %q: %s", p.Field, tc.field, p.Error)
			}
			if tc.status == 405 && resp.header.Get("Allow") != "POST" {
				t.Errorf("Allow %q, want POST", resp.header.Get("Allow"))
			}
			if attempts, _ := d.receiver.got(); len(attempts) != 0 {
				t.Errorf("the core got %+v", attempts)
			}
			if got := d.counter.got(); len(got) != 1 || got[0] != tc.counted {
				t.Errorf("counted %q, want [%q]", got, tc.counted)
			}
			assertNoSecret(t, "the answer", string(resp.body))
		})
	}
}

// TestBodyTooLargeWithoutLength sends a chunked body, whose size caredesk
// learns only by reading it, with signature headers that pass the checks
// made before the body is read.
func TestBodyTooLargeWithoutLength(t *testing.T) {
	d := startDesk(t, webhook.Options{})
	bridge := startBridge(t, twitterSecret)
	text := `{"id":"1","author":{"id":"u1"},"text":"` + strings.Repeat("a", webhook.MaxBodySize) + `"}`
	req, err := http.NewRequest(http.MethodPost, d.url+"/hooks/twitter", io.MultiReader(strings.NewReader(text)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = bridge.Signed([]byte(text), start)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.ContentLength == 0 {
		t.Errorf("status %d, want 413 with a JSON error", resp.StatusCode)
	}
	if got := d.counter.got(); len(got) != 1 || got[0] != "webhook:twitter too_large" {
		t.Errorf("counted %q", got)
	}
}

func TestCoreAnswers(t *testing.T) {
	tests := []struct {
		name       string
		fail       error
		status     int
		retryAfter string
		message    string // a part of the error the bridge reads
		counted    []string
	}{
		{"stored", nil, 202, "", "", nil},
		{"refused for good", bot.Errorf(bot.EINVALID, "This customer is blocked."), 422, "", "This customer is blocked.", []string{"webhook:twitter refused"}},
		{"could not store", errStore, 503, "5", "send it again", []string{"webhook:twitter unavailable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startDesk(t, webhook.Options{})
			bridge := startBridge(t, twitterSecret)
			if tc.fail != nil {
				d.receiver.failNext(tc.fail)
			}
			body, _ := json.Marshal(complaint)
			resp := send(t, "POST", d.url+"/hooks/twitter", body, bridge.Signed(body, start))
			if resp.status != tc.status || resp.header.Get("Retry-After") != tc.retryAfter {
				t.Fatalf("answer %d Retry-After %q %s, want %d %q", resp.status, resp.header.Get("Retry-After"), resp.body, tc.status, tc.retryAfter)
			}
			if tc.message != "" {
				if p := decodeProblem(t, resp.body); !strings.Contains(p.Error, tc.message) {
					t.Errorf("error %q does not say %q", p.Error, tc.message)
				}
			}
			if strings.Contains(string(resp.body), errStore.Error()) {
				t.Errorf("the answer shows an internal error: %s", resp.body)
			}
			if got := d.counter.got(); !reflect.DeepEqual(got, tc.counted) {
				t.Errorf("counted %q, want %q", got, tc.counted)
			}
		})
	}
}

// TestRetriesReachTheCoreWithTheSameMessageID shows what makes retries
// safe: every attempt carries the complaint's id as MessageID, and the
// core files an id once per conversation.
func TestRetriesReachTheCoreWithTheSameMessageID(t *testing.T) {
	d := startDesk(t, webhook.Options{})
	bridge := startBridge(t, twitterSecret)
	d.receiver.failNext(errStore)
	var statuses []int
	for range 3 { // a 503, the retry, and a retry of a retry whose answer was lost
		status, _, err := bridge.SendComplaint(d.url, "twitter", complaint)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, status)
	}
	if !reflect.DeepEqual(statuses, []int{503, 202, 202}) {
		t.Errorf("statuses %v, want [503 202 202]", statuses)
	}
	attempts, stored := d.receiver.got()
	if len(attempts) != 3 || len(stored) != 1 {
		t.Fatalf("%d attempts, %d stored; want 3 and 1", len(attempts), len(stored))
	}
	for _, a := range attempts {
		if a.MessageID != "tw-1" || a.Conversation != "thread-9" || a.EventID != "" {
			t.Errorf("attempt %+v, want MessageID tw-1 in conversation thread-9 and no EventID", a)
		}
	}
}

func TestStatusReports(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		fail    error
		status  int
		field   string
		want    *bot.ReplyReport // what the core got; nil when it got nothing
		counted []string
	}{
		{"delivered", `{"reply_id":345,"status":"delivered","url":"https://x.com/brand/status/2","id":"rep-1"}`, nil, 200, "",
			&bot.ReplyReport{Source: "webhook:twitter", Reply: 345, Status: bot.Delivered, URL: "https://x.com/brand/status/2", EventID: "rep-1"}, nil},
		{"failed with a reason", `{"reply_id":"345","status":"Failed","reason":" the tweet was deleted\n"}`, nil, 200, "",
			&bot.ReplyReport{Source: "webhook:twitter", Reply: 345, Status: bot.Failed, Reason: "the tweet was deleted"}, nil},
		{"no reply id", `{"status":"delivered"}`, nil, 422, "reply_id", nil, []string{"webhook:twitter invalid"}},
		{"unknown status", `{"reply_id":345,"status":"sent"}`, nil, 422, "status", nil, []string{"webhook:twitter invalid"}},
		{"URL not http", `{"reply_id":345,"status":"delivered","url":"x.com/brand/status/2"}`, nil, 422, "url", nil, []string{"webhook:twitter invalid"}},
		{"malformed", `{"reply_id":345,`, nil, 400, "", nil, []string{"webhook:twitter malformed"}},
		{"no such reply", `{"reply_id":999,"status":"delivered"}`, bot.Errorf(bot.ENOTFOUND, "There is no reply 999 to webhook:twitter."), 404, "reply_id",
			&bot.ReplyReport{Source: "webhook:twitter", Reply: 999, Status: bot.Delivered}, []string{"webhook:twitter refused"}},
		{"core refuses", `{"reply_id":345,"status":"delivered"}`, bot.Errorf(bot.EINVALID, "No."), 422, "",
			&bot.ReplyReport{Source: "webhook:twitter", Reply: 345, Status: bot.Delivered}, []string{"webhook:twitter refused"}},
		{"core fails", `{"reply_id":345,"status":"delivered"}`, errStore, 503, "",
			&bot.ReplyReport{Source: "webhook:twitter", Reply: 345, Status: bot.Delivered}, []string{"webhook:twitter unavailable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startDesk(t, webhook.Options{})
			bridge := startBridge(t, twitterSecret)
			d.reporter.failWith(tc.fail)
			resp := send(t, "POST", d.url+"/hooks/twitter/status", []byte(tc.body), bridge.Signed([]byte(tc.body), start))
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if tc.status == 200 && strings.TrimSpace(string(resp.body)) != `{"status":"recorded"}` {
				t.Errorf("answer %s, want {\"status\":\"recorded\"}", resp.body)
			}
			if tc.status != 200 {
				if p := decodeProblem(t, resp.body); p.Field != tc.field {
					t.Errorf("field %q, want %q", p.Field, tc.field)
				}
			}
			got := d.reporter.got()
			switch {
			case tc.want == nil && len(got) != 0:
				t.Errorf("the core got %+v", got)
			case tc.want != nil && (len(got) != 1 || got[0] != *tc.want):
				t.Errorf("the core got %+v, want %+v", got, *tc.want)
			}
			if c := d.counter.got(); !reflect.DeepEqual(c, tc.counted) {
				t.Errorf("counted %q, want %q", c, tc.counted)
			}
		})
	}
}

func TestStatusReportFromTheSimulator(t *testing.T) {
	d := startDesk(t, webhook.Options{})
	bridge := startBridge(t, forumSecret)
	status, body, err := bridge.ReportStatus(d.url, "forum", bridgesim.Status{ReplyID: 7, Status: "failed", Reason: "thread locked"})
	if err != nil || status != http.StatusOK {
		t.Fatalf("answer %d %s %v", status, body, err)
	}
	want := bot.ReplyReport{Source: "webhook:forum", Reply: 7, Status: bot.Failed, Reason: "thread locked"}
	if got := d.reporter.got(); len(got) != 1 || got[0] != want {
		t.Errorf("the core got %+v, want %+v", got, want)
	}
	// Unsigned, the same report is turned away before the core sees it.
	status, _, _ = bridge.SendRaw(d.url, "/hooks/forum/status", []byte(`{"reply_id":7,"status":"delivered"}`), nil)
	if status != http.StatusUnauthorized || len(d.reporter.got()) != 1 {
		t.Errorf("an unsigned report got %d and reached the core", status)
	}
}

func TestCheckSources(t *testing.T) {
	good := webhook.Source{Name: "twitter", Secret: twitterSecret, ReplyURL: "https://hooks.zapier.com/hooks/catch/123/s3cr3tpath/"}
	tests := []struct {
		name    string
		sources []webhook.Source
		want    string // a part of the error; "" for none
	}{
		{"good", []webhook.Source{good, {Name: "forum-2", Secret: forumSecret}}, ""},
		{"no name", []webhook.Source{{Secret: forumSecret}}, "the name \"\""},
		{"a name with a slash", []webhook.Source{{Name: "a/b", Secret: forumSecret}}, "lower-case letters"},
		{"twice", []webhook.Source{good, good}, "declared twice"},
		{"no secret", []webhook.Source{{Name: "forum"}}, "secret_env"},
		{"a short secret", []webhook.Source{{Name: "forum", Secret: "hunter2"}}, "shorter than 16"},
		{"a relative reply URL", []webhook.Source{{Name: "forum", Secret: forumSecret, ReplyURL: "/replies"}}, "not an absolute http(s) URL"},
		{"a reply URL of another scheme", []webhook.Source{{Name: "forum", Secret: forumSecret, ReplyURL: "ftp://h.example/s3cr3tpath"}}, "ftp://h.example/…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := webhook.CheckSources(tc.sources)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckSources: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckSources: %v, want an error saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cr3tpath") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// response is what caredesk answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request with exactly the headers h.
func send(t *testing.T, method, url string, body []byte, h http.Header) response {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// shortSignature is h with a v1 value too short to be an HMAC-SHA256.
func shortSignature(h http.Header) http.Header {
	h.Set(webhook.SignatureHeader, "v1=abcd")
	return h
}
