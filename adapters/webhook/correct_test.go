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
)

// edited is Alice's reply 345 with its words changed, as the courier
// hands it to EditSent.
var edited = bot.Outgoing{
	Ticket: bot.Ticket{ID: 12, Source: "webhook:twitter", Conversation: "thread-9"}, Conversation: "thread-9",
	Text: "Hi Jane, so sorry — your parcel left today: https://track.example/2", MessageID: 345, AgentName: "Alice", Key: "caredesk-93",
	Files: []bot.Upload{{File: bot.Attachment{ID: 57, Name: "invoice.pdf"}}},
}

// TestEditAndDeleteBodies checks the requests byte for byte: the fields,
// the signature and the idempotency key.
func TestEditAndDeleteBodies(t *testing.T) {
	type request struct {
		header http.Header
		body   []byte
	}
	requests := make(chan request, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		requests <- request{r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL, webhook.ClientOptions{PublicURL: "https://caredesk.example.com"})
	deleteKey := ""
	tests := []struct {
		name string
		call func() error
		want map[string]any
	}{
		{"edit", func() error { return c.EditSent(testContext(t), "bridge-1", edited) }, map[string]any{
			"kind": "edit", "source": "twitter", "ticket": 12.0, "reply_id": 345.0, "message_id": "bridge-1",
			"in_reply_to": map[string]any{"message_id": "", "conversation_id": "thread-9"},
			"text":        edited.Text, "agent": map[string]any{"name": "Alice"}, "idempotency_key": "caredesk-93",
		}},
		{"delete", func() error { return c.DeleteSent(testContext(t), edited.Ticket, "bridge-1", start.Add(-time.Hour)) }, map[string]any{
			"kind": "delete", "source": "twitter", "ticket": 12.0, "reply_id": 0.0, "message_id": "bridge-1",
			"in_reply_to": map[string]any{"message_id": "", "conversation_id": "thread-9"},
			"text":        "", "agent": map[string]any{"name": ""}, "idempotency_key": "",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			got := <-requests
			if err := webhook.Verify(twitterSecret, got.header, got.body, start); err != nil {
				t.Errorf("the signature does not verify: %v", err)
			}
			var fields map[string]any
			if err := json.Unmarshal(got.body, &fields); err != nil {
				t.Fatal(err)
			}
			if tc.name == "delete" {
				// Made from the ticket and the message: the same on
				// every attempt, a token whatever the id holds.
				deleteKey, _ = fields["idempotency_key"].(string)
				if !strings.HasPrefix(deleteKey, "caredesk-delete-") || len(deleteKey) != len("caredesk-delete-")+24 {
					t.Errorf("idempotency key %q", deleteKey)
				}
				tc.want["idempotency_key"] = deleteKey
			}
			if !reflect.DeepEqual(fields, tc.want) {
				t.Errorf("body %s\nwant %v", got.body, tc.want)
			}
			if key := got.header.Get("Idempotency-Key"); key != tc.want["idempotency_key"] || got.header.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", got.header)
			}
		})
	}
	if err := c.DeleteSent(testContext(t), edited.Ticket, "bridge-1", start); err != nil {
		t.Fatal(err)
	}
	if again := <-requests; again.header.Get("Idempotency-Key") != deleteKey {
		t.Errorf("the deletion's second attempt has the key %q, the first %q", again.header.Get("Idempotency-Key"), deleteKey)
	}
}

// TestCorrectionErrorsAreClassified checks that edits and deletes fail as
// replies do: 2xx done, 4xx for good with the bridge's words, 5xx and 429
// worth a retry.
func TestCorrectionErrorsAreClassified(t *testing.T) {
	tests := []struct {
		status    int
		answer    string
		permanent bool
		says      string
	}{
		{200, `{"status":"edited"}`, false, ""},
		{204, ``, false, ""},
		{422, `{"error":"X does not let a post be edited after 30 minutes"}`, true, "refused the %s (422): X does not let a post be edited after 30 minutes"},
		{404, `{"message":"no such post"}`, true, "refused the %s (404): no such post"},
		{401, `bad signature`, true, "do the bridge and caredesk share the same secret?"},
		{500, `boom`, false, "failed to take the %s (500): boom; it will be sent again"},
		{429, `slow down`, false, "slow down"},
	}
	for _, tc := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = io.WriteString(w, tc.answer)
		}))
		c, _ := newClient(t, srv.URL, webhook.ClientOptions{})
		for what, err := range map[string]error{
			"edit":     c.EditSent(testContext(t), "bridge-1", edited),
			"deletion": c.DeleteSent(testContext(t), edited.Ticket, "bridge-1", start),
		} {
			if tc.says == "" {
				if err != nil {
					t.Errorf("%d to an %s: %v, want done", tc.status, what, err)
				}
				continue
			}
			says := strings.ReplaceAll(tc.says, "%s", what)
			if err == nil || bot.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), says) {
				t.Errorf("%d to an %s: %v (permanent %v), want permanent=%v saying %q", tc.status, what, err, bot.IsPermanent(err), tc.permanent, says)
			}
		}
		srv.Close()
	}
}

func TestCorrectionsThatCannotBeSent(t *testing.T) {
	c, _ := newClient(t, "", webhook.ClientOptions{})
	bridge := startBridge(t, twitterSecret)
	withURL, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
	blank := edited
	blank.Text = " "
	tests := []struct {
		name string
		err  error
		says string
	}{
		{"edit without a reply_url", c.EditSent(testContext(t), "bridge-1", edited), "no reply_url"},
		{"delete without a reply_url", c.DeleteSent(testContext(t), edited.Ticket, "bridge-1", start), "no reply_url"},
		{"edit of no id", withURL.EditSent(testContext(t), "", edited), "answered no id"},
		{"delete of no id", withURL.DeleteSent(testContext(t), edited.Ticket, "", start), "answered no id"},
		{"edit to no words", withURL.EditSent(testContext(t), "bridge-1", blank), "delete the reply instead"},
	}
	for _, tc := range tests {
		if !bot.IsPermanent(tc.err) || !strings.Contains(tc.err.Error(), tc.says) {
			t.Errorf("%s: %v, want a permanent error saying %q", tc.name, tc.err, tc.says)
		}
	}
	if a := bridge.Attempts(); len(a) != 0 {
		t.Errorf("the bridge was sent %d requests", len(a))
	}
}

// TestCorrectionsReachTheBridge plays the courier against the simulated
// bridge: a reply, its edit and its deletion, then what a bridge refuses.
func TestCorrectionsReachTheBridge(t *testing.T) {
	bridge := startBridge(t, twitterSecret)
	c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
	ctx := testContext(t)
	ref, err := c.Send(ctx, reply)
	if err != nil || ref != "bridge-1" {
		t.Fatalf("Send = %q, %v", ref, err)
	}
	if err := c.EditSent(ctx, ref, edited); err != nil {
		t.Fatalf("EditSent: %v", err)
	}
	bridge.RefuseCorrections(http.StatusUnprocessableEntity, "X does not let a post be deleted by this app")
	err = c.DeleteSent(ctx, edited.Ticket, ref, start)
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "refused the deletion (422): X does not let a post be deleted by this app") {
		t.Errorf("a deletion the network cannot make: %v", err)
	}
	bridge.AcceptCorrections()
	if err := c.DeleteSent(ctx, edited.Ticket, ref, start); err != nil {
		t.Fatalf("DeleteSent: %v", err)
	}
	if err := c.EditSent(ctx, ref, edited); !bot.IsPermanent(err) || !strings.Contains(err.Error(), "(404)") {
		t.Errorf("an edit of a deleted reply: %v, want the bridge's 404", err)
	}
	if err := c.EditSent(ctx, "bridge-9", edited); !bot.IsPermanent(err) || !strings.Contains(err.Error(), "no message bridge-9") {
		t.Errorf("an edit of a message the bridge never took: %v", err)
	}
	edits, deletes := bridge.Edits(), bridge.Deletes()
	if len(edits) != 1 || edits[0].Kind != "edit" || edits[0].MessageID != "bridge-1" || edits[0].Text != edited.Text || edits[0].ReplyID != 345 || edits[0].Attachments != nil {
		t.Errorf("edits %+v", edits)
	}
	if len(deletes) != 1 || deletes[0].Kind != "delete" || deletes[0].MessageID != "bridge-1" || deletes[0].Text != "" {
		t.Errorf("deletes %+v", deletes)
	}
	if got := bridge.Replies(); len(got) != 1 || got[0].Kind != "reply" {
		t.Errorf("replies %+v: edits and deletes are not replies", got)
	}
}
