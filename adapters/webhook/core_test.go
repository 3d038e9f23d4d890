package webhook_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/sim/bridgesim"
	"caredesk/store/sqlite"
)

// TestBothDirectionsWithTheCore runs the adapter against the real core on
// a real SQLite file, so that the contract the fakes assume holds: what
// Receive de-duplicates, what ReportReply's errors are, how a refused reply
// reaches the thread.
func TestBothDirectionsWithTheCore(t *testing.T) {
	ctx := testContext(t)
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "caredesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bridge := startBridge(t, twitterSecret)
	src := webhook.Source{Name: "twitter", Secret: twitterSecret, ReplyURL: bridge.ReplyURL(), Display: "X (Twitter)"}
	quiet := slog.New(slog.DiscardHandler)
	client := webhook.NewClient(src, webhook.ClientOptions{Now: func() time.Time { return start }, Logger: quiet})
	desk := &threads{}
	courier := bot.NewCourier(db, desk, map[string]bot.Source{webhook.SourceName("twitter"): client}, bot.CourierLogger(quiet))
	core := bot.New(db, bot.WithLogger(quiet))
	srv := httptest.NewServer(webhook.Handler(webhook.Options{
		Sources: []webhook.Source{src}, Receiver: core, Reporter: core,
		Now: func() time.Time { return start }, Logger: quiet,
	}))
	t.Cleanup(srv.Close)

	// A complaint, and the bridge's retry of it, make one ticket.
	for range 2 {
		if status, body, err := bridge.SendComplaint(srv.URL, "twitter", complaint); err != nil || status != http.StatusAccepted {
			t.Fatalf("complaint: %d %s %v", status, body, err)
		}
	}
	if err := courier.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	roots := desk.tickets()
	if len(roots) != 1 {
		t.Fatalf("the desk shows %d tickets, want 1", len(roots))
	}
	tk := roots[0]
	if tk.Source != "webhook:twitter" || tk.Network != "X (Twitter)" || tk.PostURL != complaint.URL || tk.Customer.Followers != 25000 || tk.Customer.Handle != "jane" {
		t.Errorf("ticket %+v", tk)
	}

	// The owner's reply reaches the bridge, which reports it posted.
	if _, err := core.Act(ctx, bot.Action{Verb: bot.DoReply, Ticket: tk.ID, Agent: bot.Agent{ID: "UALICE", Name: "Alice"}, Text: "So sorry, Jane!"}); err != nil {
		t.Fatal(err)
	}
	if err := courier.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	replies := bridge.Replies()
	if len(replies) != 1 || replies[0].Ticket != tk.ID || replies[0].Text != "So sorry, Jane!" || replies[0].InReplyTo.MessageID != "tw-1" || replies[0].InReplyTo.ConversationID != "thread-9" {
		t.Fatalf("the bridge took %+v", replies)
	}
	status, body, err := bridge.ReportStatus(srv.URL, "twitter", bridgesim.Status{ReplyID: replies[0].ReplyID, Status: "delivered", URL: "https://x.com/brand/status/2", ID: "r1"})
	if err != nil || status != http.StatusOK {
		t.Fatalf("report: %d %s %v", status, body, err)
	}
	status, body, _ = bridge.ReportStatus(srv.URL, "twitter", bridgesim.Status{ReplyID: 999999, Status: "delivered"})
	if status != http.StatusNotFound || !strings.Contains(string(body), "999999") {
		t.Errorf("a report on no reply: %d %s, want 404 naming it", status, body)
	}

	// A reply the bridge refuses shows in the thread with its reason.
	bridge.Reject(http.StatusUnprocessableEntity, "the tweet was deleted")
	if _, err := core.Act(ctx, bot.Action{Verb: bot.DoReply, Ticket: tk.ID, Agent: bot.Agent{ID: "UALICE", Name: "Alice"}, Text: "Are you there?"}); err != nil {
		t.Fatal(err)
	}
	if err := courier.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	thread := strings.Join(desk.lines(), "\n")
	for _, want := range []string{
		// The bridge's words are outside text: quoted, so a desk shows
		// them as data.
		"posted the reply of <@UALICE>: " + bot.Quote("https://x.com/brand/status/2"),
		"was NOT delivered to the customer: " + bot.Quote("the twitter bridge refused the reply (422): the tweet was deleted"),
	} {
		if !strings.Contains(thread, want) {
			t.Errorf("the thread does not say %q:\n%s", want, thread)
		}
	}
}

// threads is a desk that keeps what it is shown. The embedded Desk is nil:
// it only keeps the fake compiling when the core's Desk grows a method
// this flow does not use.
type threads struct {
	bot.Desk
	mu     sync.Mutex
	roots  []bot.Ticket
	posted []string
}

func (d *threads) PostTicket(_ context.Context, t bot.Ticket) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.roots = append(d.roots, t)
	return "root-" + strconv.Itoa(len(d.roots)), nil
}

func (d *threads) UpdateTicket(context.Context, bot.Ticket) error { return nil }

func (d *threads) PostMessage(_ context.Context, _ bot.Ticket, m bot.Message) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.posted = append(d.posted, m.Text)
	return "msg-" + strconv.Itoa(len(d.posted)), nil
}

func (d *threads) Whisper(context.Context, bot.Ticket, string, string) error { return nil }

func (d *threads) MarkDelivered(context.Context, bot.Ticket, bot.Message) error { return nil }

func (d *threads) Announce(context.Context, string, string) error { return nil }

func (d *threads) DirectMessage(context.Context, string, string) error { return nil }

func (d *threads) tickets() []bot.Ticket {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]bot.Ticket(nil), d.roots...)
}

func (d *threads) lines() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.posted...)
}

// TestSatisfactionWithTheCore asks the question and takes the answer
// through the real core on a real SQLite file, so that the contract the
// rater fake assumes holds: who may answer, what a repeat gets, which
// refusal is a 404.
func TestSatisfactionWithTheCore(t *testing.T) {
	ctx := testContext(t)
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "caredesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var clock struct {
		sync.Mutex
		now time.Time
	}
	clock.now = start
	now := bot.ClockFunc(func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.now })
	bridge := startBridge(t, twitterSecret)
	src := webhook.Source{Name: "twitter", Secret: twitterSecret, ReplyURL: bridge.ReplyURL()}
	quiet := slog.New(slog.DiscardHandler)
	client := webhook.NewClient(src, webhook.ClientOptions{Now: func() time.Time { return start }, Logger: quiet})
	desk := &threads{}
	courier := bot.NewCourier(db, desk, map[string]bot.Source{webhook.SourceName("twitter"): client}, bot.CourierLogger(quiet), bot.CourierClock(now))
	core := bot.New(db, bot.WithLogger(quiet), bot.WithClock(now))
	srv := httptest.NewServer(webhook.Handler(webhook.Options{
		Sources: []webhook.Source{src}, Receiver: core, Reporter: core, Rater: core,
		Now: func() time.Time { return start }, Logger: quiet,
	}))
	t.Cleanup(srv.Close)

	if status, body, err := bridge.SendComplaint(srv.URL, "twitter", complaint); err != nil || status != http.StatusAccepted {
		t.Fatalf("complaint: %d %s %v", status, body, err)
	}
	if err := courier.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	tk := desk.tickets()[0]
	alice := bot.Agent{ID: "UALICE", Name: "Alice"}
	for _, verb := range []bot.Verb{bot.DoClaim, bot.DoResolve} {
		if _, err := core.Act(ctx, bot.Action{Verb: verb, Ticket: tk.ID, Agent: alice}); err != nil {
			t.Fatalf("%s: %v", verb, err)
		}
	}
	// Asked only a while after resolving: before then, an answer is refused.
	answer := bridgesim.Rating{Ticket: tk.ID, Score: 2, CustomerID: complaint.Author.ID, EventID: "rate-1"}
	if status, body, _ := bridge.SendRating(srv.URL, "twitter", answer); status != http.StatusNotFound {
		t.Errorf("an answer before the question: %d %s, want 404", status, body)
	}
	clock.Lock()
	clock.now = clock.now.Add(time.Hour)
	clock.Unlock()
	if _, err := core.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if err := courier.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var asked *bridgesim.Reply
	for _, r := range bridge.Replies() {
		if r.Kind == "csat_request" {
			asked = &r
		}
	}
	if asked == nil || asked.Ticket != tk.ID || asked.Scale == nil || asked.InReplyTo.ConversationID != "thread-9" {
		t.Fatalf("the bridge took %+v, want the question about #%d", bridge.Replies(), tk.ID)
	}

	tests := []struct {
		name   string
		answer bridgesim.Rating
		status int
	}{
		{"someone else", bridgesim.Rating{Ticket: tk.ID, Score: 1, CustomerID: "u-other", EventID: "rate-0"}, http.StatusNotFound},
		{"the customer", answer, http.StatusOK},
		{"the same answer again", answer, http.StatusOK},
		{"a second answer", bridgesim.Rating{Ticket: tk.ID, Score: 5, CustomerID: complaint.Author.ID, EventID: "rate-2"}, http.StatusOK},
	}
	for _, tc := range tests {
		if status, body, err := bridge.SendRating(srv.URL, "twitter", tc.answer); err != nil || status != tc.status {
			t.Errorf("%s: %d %s %v, want %d", tc.name, status, body, err, tc.status)
		}
	}
	if err := courier.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rated := 0
	for _, line := range desk.lines() {
		if strings.Contains(line, "rated") {
			rated++
			if !strings.Contains(line, "2/5") {
				t.Errorf("the thread says %q, want the first answer, 2", line)
			}
		}
	}
	if rated != 1 {
		t.Errorf("the thread tells of %d ratings, want 1:\n%s", rated, strings.Join(desk.lines(), "\n"))
	}
	// A low score gets caredesk's follow-up, which the bridge takes as a
	// message of caredesk's own.
	if last := bridge.Replies()[len(bridge.Replies())-1]; last.Kind != "message" || last.Text == "" || last.InReplyTo.ConversationID != "thread-9" {
		t.Errorf("after a low score the bridge took %+v, want caredesk's follow-up message", last)
	}
}
