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

func (d *threads) Announce(context.Context, string) error { return nil }

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
