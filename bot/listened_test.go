package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
)

// heard files a post a listener heard, as the listeners hand them in.
func (w *world) heard(source, id, text string, private bool) int64 {
	w.t.Helper()
	in := bot.Inbound{Source: source, MessageID: id, Conversation: id, Customer: jane, Text: text, Private: private,
		PostURL: "https://social.example/@jane/" + id, PostKey: "https://social.example/@jane/" + id}
	if err := w.bot.Receive(context.Background(), in); err != nil {
		w.t.Fatal(err)
	}
	w.flush()
	var n int64
	err := w.db.View(context.Background(), func(tx bot.Tx) error {
		t, err := tx.LatestTicket(source, id, jane.ID)
		n = t.ID
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// TestFeedTicketsCannotBeAnswered: a reply to a feed's ticket is refused
// with what to do instead, and its owner's thread messages stay notes;
// /desk resolve N elsewhere <link> records the answer, which counts as the
// first one.
func TestFeedTicketsCannotBeAnswered(t *testing.T) {
	w := newWorld(t)
	n := w.heard("feed:alerts", "tag:google.com,2026:1", "Acme is the worst bank", false)
	if _, err := w.act(bot.Action{Verb: bot.DoClaim, Ticket: n, Agent: alice}); err != nil {
		t.Fatal(err)
	}
	_, err := w.act(bot.Action{Verb: bot.DoReply, Ticket: n, Agent: alice, Text: "Sorry to hear that"})
	if want := "a feed, which caredesk cannot answer: answer on the original post (https://social.example/@jane/tag:google.com,2026:1), then /desk resolve"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("reply to a feed's ticket: %v, want %q", err, want)
	}
	said, err := w.act(bot.Action{Verb: bot.DoSay, Ticket: n, Agent: alice, Text: "I'll answer on their blog", Ref: "m1"})
	if err != nil || !strings.Contains(said, "Your message stays a team note") {
		t.Errorf("an owner's message in a feed ticket's thread: %q %v", said, err)
	}
	for _, tc := range []struct {
		text, want string
		wantErr    bool
	}{
		{"elsewhere not-a-link", "Write where you answered as one link", true},
		{"elsewhere https://blog.example/acme#comment-3", "Resolved #1, answered elsewhere.", false},
	} {
		res, err := w.act(bot.Action{Verb: bot.DoResolve, Ticket: n, Agent: alice, Text: tc.text})
		got := res
		if err != nil {
			got = err.Error()
		}
		if (err != nil) != tc.wantErr || !strings.Contains(got, tc.want) {
			t.Errorf("resolve %q: %q, want %q", tc.text, got, tc.want)
		}
	}
	tk := w.ticket(n)
	if tk.State != bot.Resolved || tk.FirstReplyAt.IsZero() || tk.FirstReplyBy.ID != alice.ID {
		t.Errorf("a ticket answered elsewhere: %+v", tk)
	}
	if text := w.threadText(tk.DeskThread); !strings.Contains(text, "answered elsewhere: https://blog.example/acme#comment-3") {
		t.Errorf("the thread does not say where it was answered:\n%s", text)
	}
}

// TestPublicReplyAsksOnce: the first /desk reply of an agent to a public
// post is held with a warning; the same command again sends it, and so
// does every later one. A direct message is not asked about.
func TestPublicReplyAsksOnce(t *testing.T) {
	w := newWorld(t)
	public := w.heard("mastodon:brand", "1001", "@acme my card is blocked", false)
	direct := w.heard("mastodon:brand", "1002", "@acme here is my order number", true)
	before := w.outbox()
	res, err := w.act(bot.Action{Verb: bot.DoReply, Ticket: public, Agent: alice, Text: "We are on it"})
	if err != nil || !strings.Contains(res, "your reply will be public too") {
		t.Fatalf("first public reply: %q %v", res, err)
	}
	if w.outbox() != before {
		t.Errorf("the held reply was queued")
	}
	for i := range 2 {
		res, err = w.act(bot.Action{Verb: bot.DoReply, Ticket: public, Agent: alice, Text: "We are on it"})
		if err != nil || !strings.Contains(res, "Sending your reply") {
			t.Errorf("public reply %d after the warning: %q %v", i+2, res, err)
		}
	}
	res, err = w.act(bot.Action{Verb: bot.DoReply, Ticket: direct, Agent: bob, Text: "Thanks, checking"})
	if err != nil || !strings.Contains(res, "Sending your reply") {
		t.Errorf("reply to a direct message: %q %v", res, err)
	}
}

// TestNoRatingOnListenedSources: a private Mastodon ticket may be told
// things, but not asked for a score it has no way to give.
func TestNoRatingOnListenedSources(t *testing.T) {
	w, masto, _ := listening(t)
	n := w.heard("mastodon:brand", "2001", "@acme here is my order number", true)
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: n, Agent: alice, Text: "Thanks, it is on its way"})
	mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: n, Agent: alice})
	w.tickAfter(time.Hour)
	w.tickAfter(time.Hour)
	for _, m := range masto.got {
		if m.Purpose == bot.ForRating {
			t.Errorf("a private Mastodon ticket was asked for a rating: %q", m.Text)
		}
	}
	if len(masto.got) == 0 {
		t.Errorf("the reply itself did not go")
	}
}

// TestFeedTicketGoesToTheAccount: a post heard by a feed first opens a
// ticket that cannot be answered; the account that then hears it takes it
// over, so a reply goes under the post. The other way round, the feed
// changes nothing.
func TestFeedTicketGoesToTheAccount(t *testing.T) {
	for _, tc := range []struct {
		name   string
		first  string
		second string
	}{
		{"feed first", "feed:alerts", "mastodon:brand"},
		{"account first", "mastodon:brand", "feed:alerts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, masto, feed := listening(t)
			post := "https://other.example/@bob/77"
			heard := func(source string) error {
				in := bot.Inbound{Source: source, MessageID: source + "-id", Conversation: source + "-conv", Customer: bot.Customer{ID: source + "-bob", Name: "Bob"},
					Text: "Acme's app is down", PostURL: post, PostKey: post, Network: map[string]string{"feed:alerts": "Google Alerts", "mastodon:brand": "Mastodon"}[source]}
				return w.bot.Receive(context.Background(), in)
			}
			if err := heard(tc.first); err != nil {
				t.Fatal(err)
			}
			w.flush()
			if err := heard(tc.second); err != nil {
				t.Fatal(err)
			}
			w.flush()
			tk := w.ticket(1)
			if tk.Source != "mastodon:brand" || tk.Conversation != "mastodon:brand-conv" || tk.Customer.ID != "mastodon:brand-bob" {
				t.Fatalf("ticket #1 is on %s %s of %s, want on Mastodon", tk.Source, tk.Conversation, tk.Customer.ID)
			}
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
			w.act(bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Back up now"}) // held once: public
			mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Back up now"})
			if got := masto.texts(); len(got) != 1 || !strings.Contains(got[0], "Back up now") {
				t.Errorf("Mastodon got %q, want the reply", got)
			}
			if len(feed.got) != 0 {
				t.Errorf("the feed was sent %d messages", len(feed.got))
			}
			if n := len(w.posted()); n != 1 {
				t.Errorf("%d roots, want 1", n)
			}
		})
	}
}
