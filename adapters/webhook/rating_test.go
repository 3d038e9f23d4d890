package webhook_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/sim/bridgesim"
)

// question is the satisfaction question about ticket #12, as the courier
// hands it to the source: no agent, no reply to report on.
var question = bot.Outgoing{
	Ticket: bot.Ticket{ID: 12, Source: "webhook:twitter"}, Conversation: "thread-9", ReplyTo: "tw-1",
	Text: "How did we do? Tap a number: 1 is bad, 5 is great.", Purpose: bot.ForRating, Key: "caredesk-81",
}

// followUp is caredesk's own message after a low score, as the courier
// hands it over: it belongs to no reply, nor, on the wire, to a ticket.
var followUp = bot.Outgoing{Conversation: "thread-9", Text: "Sorry it was not better.", Key: "caredesk-82"}

func TestSendTellsTheBridgeWhatToPost(t *testing.T) {
	tests := []struct {
		name string
		out  bot.Outgoing
		want bridgesim.Reply
	}{
		{"an agent's reply", reply, bridgesim.Reply{
			Kind: "reply", Source: "twitter", Ticket: 12, ReplyID: 345, Text: reply.Text, Agent: bridgesim.Agent{Name: "Alice"},
			InReplyTo: bridgesim.InReplyTo{MessageID: "tw-1", ConversationID: "thread-9"}, IdempotencyKey: "caredesk-77", ID: "bridge-1",
		}},
		{"the satisfaction question", question, bridgesim.Reply{
			Kind: "csat_request", Source: "twitter", Ticket: 12, Text: question.Text, Scale: &bridgesim.Scale{Min: 1, Max: 5},
			InReplyTo: bridgesim.InReplyTo{MessageID: "tw-1", ConversationID: "thread-9"}, IdempotencyKey: "caredesk-81", ID: "bridge-1",
		}},
		{"caredesk's own words", followUp, bridgesim.Reply{
			Kind: "message", Source: "twitter", Text: followUp.Text,
			InReplyTo: bridgesim.InReplyTo{ConversationID: "thread-9"}, IdempotencyKey: "caredesk-82", ID: "bridge-1",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bridge := startBridge(t, twitterSecret)
			c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
			if _, err := c.Send(testContext(t), tc.out); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := bridge.Replies(); len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Errorf("the bridge took %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestTheQuestionFailsLikeAReply(t *testing.T) {
	tests := []struct {
		name      string
		status    int // the bridge's answer; 0 for a question that is never sent
		out       bot.Outgoing
		permanent bool
	}{
		{"the bridge refuses it", http.StatusUnprocessableEntity, question, true},
		{"the bridge fails", http.StatusBadGateway, question, false},
		{"no ticket to ask about", 0, bot.Outgoing{Conversation: "thread-9", Text: "How did we do?", Purpose: bot.ForRating, Key: "caredesk-83"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bridge := startBridge(t, twitterSecret)
			if tc.status != 0 {
				bridge.FailNext(1, tc.status)
			}
			c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
			_, err := c.Send(testContext(t), tc.out)
			if err == nil || bot.IsPermanent(err) != tc.permanent {
				t.Errorf("Send = %v, want an error, permanent: %v", err, tc.permanent)
			}
			if tc.status == 0 && len(bridge.Attempts()) != 0 {
				t.Errorf("a question about no ticket reached the bridge")
			}
		})
	}
}

func TestRatings(t *testing.T) {
	stored := &bot.Rating{Source: "webhook:twitter", TicketID: 12, CustomerID: "u1", Score: 4, EventID: "r-1"}
	tests := []struct {
		name    string
		body    string
		fail    error
		status  int
		field   string
		want    *bot.Rating // what the core got; nil when it got nothing
		counted []string
	}{
		{"recorded", `{"ticket":12,"score":4,"customer_id":"u1","event_id":"r-1"}`, nil, 200, "", stored, nil},
		{"numbers in strings, ids as numbers", `{"ticket":"12","score":" 5 ","customer_id":44196397,"event_id":7}`, nil, 200, "",
			&bot.Rating{Source: "webhook:twitter", TicketID: 12, CustomerID: "44196397", Score: 5, EventID: "7"}, nil},
		{"no event id", `{"ticket":12,"score":1,"customer_id":"u1"}`, nil, 200, "",
			&bot.Rating{Source: "webhook:twitter", TicketID: 12, CustomerID: "u1", Score: 1}, nil},
		{"no ticket", `{"score":4,"customer_id":"u1"}`, nil, 422, "ticket", nil, []string{"webhook:twitter invalid"}},
		{"no score", `{"ticket":12,"customer_id":"u1"}`, nil, 422, "score", nil, []string{"webhook:twitter invalid"}},
		{"score 0", `{"ticket":12,"score":0,"customer_id":"u1"}`, nil, 422, "score", nil, []string{"webhook:twitter invalid"}},
		{"score 6", `{"ticket":12,"score":6,"customer_id":"u1"}`, nil, 422, "score", nil, []string{"webhook:twitter invalid"}},
		{"score 4.5", `{"ticket":12,"score":4.5,"customer_id":"u1"}`, nil, 422, "score", nil, []string{"webhook:twitter invalid"}},
		{"no customer", `{"ticket":12,"score":4,"customer_id":" "}`, nil, 422, "customer_id", nil, []string{"webhook:twitter invalid"}},
		{"customer an object", `{"ticket":12,"score":4,"customer_id":{"id":"u1"}}`, nil, 422, "customer_id", nil, []string{"webhook:twitter invalid"}},
		{"malformed", `{"ticket":12,`, nil, 400, "", nil, []string{"webhook:twitter malformed"}},
		{"not the customer's ticket", `{"ticket":12,"score":4,"customer_id":"u1","event_id":"r-1"}`,
			bot.Errorf(bot.ENOTFOUND, "There is no question about ticket 12 for that customer on webhook:twitter."), 404, "ticket", stored, []string{"webhook:twitter refused"}},
		{"core refuses", `{"ticket":12,"score":4,"customer_id":"u1","event_id":"r-1"}`, bot.Errorf(bot.EINVALID, "No."), 422, "", stored, []string{"webhook:twitter refused"}},
		{"core fails", `{"ticket":12,"score":4,"customer_id":"u1","event_id":"r-1"}`, errStore, 503, "", stored, []string{"webhook:twitter unavailable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startDesk(t, webhook.Options{})
			bridge := startBridge(t, twitterSecret)
			d.rater.failNext(tc.fail)
			resp := send(t, "POST", d.url+"/hooks/twitter/rating", []byte(tc.body), bridge.Signed([]byte(tc.body), start))
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			switch {
			case tc.status == 200 && strings.TrimSpace(string(resp.body)) != `{"status":"recorded"}`:
				t.Errorf("answer %s, want {\"status\":\"recorded\"}", resp.body)
			case tc.status == 503 && resp.header.Get("Retry-After") == "":
				t.Errorf("a 503 without Retry-After: the bridge does not know when to try again")
			case tc.status != 200:
				p := decodeProblem(t, resp.body)
				if p.Field != tc.field {
					t.Errorf("field %q, want %q (%s)", p.Field, tc.field, p.Error)
				}
				if tc.fail != nil && bot.ErrorMessage(tc.fail) != "" && p.Error != bot.ErrorMessage(tc.fail) {
					t.Errorf("error %q, want the core's sentence %q", p.Error, bot.ErrorMessage(tc.fail))
				}
			}
			got := d.rater.got()
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

func TestRatingsFromTheSimulator(t *testing.T) {
	d := startDesk(t, webhook.Options{})
	bridge := startBridge(t, forumSecret)
	answer := bridgesim.Rating{Ticket: 7, Score: 2, CustomerID: "poster-9", EventID: "post-31"}

	// The core cannot store it: the bridge is told to try again, and its
	// retry, and a repeat of that, reach the core with the same event id.
	d.rater.failNext(errStore)
	for i, want := range []int{http.StatusServiceUnavailable, http.StatusOK, http.StatusOK} {
		if status, body, err := bridge.SendRating(d.url, "forum", answer); err != nil || status != want {
			t.Fatalf("attempt %d: %d %s %v, want %d", i+1, status, body, err, want)
		}
	}
	want := bot.Rating{Source: "webhook:forum", TicketID: 7, CustomerID: "poster-9", Score: 2, EventID: "post-31"}
	if got := d.rater.got(); len(got) != 3 || got[0] != want || got[1] != want || got[2] != want {
		t.Errorf("the core got %+v, want %+v three times", got, want)
	}
	// Signed with another source's secret, or not a POST: turned away
	// before the core sees it.
	body := []byte(`{"ticket":7,"score":5,"customer_id":"poster-9"}`)
	if status, _, _ := bridge.SendRaw(d.url, "/hooks/twitter/rating", body, bridge.Signed(body, start)); status != http.StatusUnauthorized {
		t.Errorf("a rating signed with the forum's secret for twitter: %d, want 401", status)
	}
	if resp := send(t, "GET", d.url+"/hooks/forum/rating", nil, bridge.Signed(nil, start)); resp.status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", resp.status)
	}
	if len(d.rater.got()) != 3 {
		t.Errorf("refused requests reached the core: %+v", d.rater.got())
	}
}

func TestRatingsWithoutARater(t *testing.T) {
	srv := httptest.NewServer(webhook.Handler(webhook.Options{
		Sources:  []webhook.Source{{Name: "twitter", Secret: twitterSecret}},
		Receiver: newReceiver(), Reporter: &reporter{}, Now: func() time.Time { return start },
	}))
	t.Cleanup(srv.Close)
	bridge := startBridge(t, twitterSecret)
	status, body, err := bridge.SendRating(srv.URL, "twitter", bridgesim.Rating{Ticket: 12, Score: 4, CustomerID: "u1"})
	if err != nil || status != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ignored"}` {
		t.Errorf("= %d %s %v, want 200 {\"status\":\"ignored\"}", status, body, err)
	}
}

// TestSendHeadersAndBodyOfTheQuestion checks the question byte for byte
// where the simulator is lenient: the exact JSON fields.
func TestSendHeadersAndBodyOfTheQuestion(t *testing.T) {
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL, webhook.ClientOptions{})
	if _, err := c.Send(testContext(t), question); err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(<-bodies, &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"kind": "csat_request", "source": "twitter", "ticket": 12.0, "reply_id": 0.0,
		"in_reply_to": map[string]any{"message_id": "tw-1", "conversation_id": "thread-9"},
		"text":        question.Text, "agent": map[string]any{"name": ""}, "idempotency_key": "caredesk-81",
		"scale": map[string]any{"min": 1.0, "max": 5.0},
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("body %v\nwant %v", fields, want)
	}
}
