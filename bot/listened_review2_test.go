package bot_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
)

// review2World is a world with policy p and a Mastodon and a feed source.
func review2World(t *testing.T, p bot.Policy) *world {
	w, _ := review2Listening(t, p)
	return w
}

// review2Listening is review2World with what the Mastodon source was sent.
func review2Listening(t *testing.T, p bot.Policy) (*world, *customers) {
	t.Helper()
	w := newWorldWith(t, p, time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC))
	masto := &customers{}
	w.courier = bot.NewCourier(w.db, w.desk, map[string]bot.Source{"telegram": w.tg, "mastodon:brand": masto, "feed:alerts": &customers{}},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)),
		bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}))
	return w, masto
}

// review2Heard is one post heard by source: a feed knows it by its key,
// the account by the status id in the conversation of its thread's root.
func review2Heard(t *testing.T, w *world, source, post, root, text string) {
	t.Helper()
	in := bot.Inbound{Source: source, MessageID: source + "-" + post, Conversation: source + "-" + root,
		Customer: bot.Customer{ID: source + "-bob", Name: "Bob"}, Text: text,
		PostURL: "https://other.example/@bob/" + post, PostKey: "https://other.example/@bob/" + post,
		Network: map[string]string{"feed:alerts": "Google Alerts", "mastodon:brand": "Mastodon"}[source]}
	if source == "feed:alerts" {
		in.Conversation = in.MessageID // a feed's item is its own conversation
	}
	if err := w.bot.Receive(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	w.flush()
}

// TestReview2AdoptedTicketKeepsTheFeedsPromiseAndTeam: "whichever
// listener polled first, the customer can be answered" — and answered
// under the account's rules. A ticket the account takes over from a feed
// keeps the feed's team and the feed's first-response deadline (and its
// timers), so one post gets a different team and promise depending on
// which listener happened to poll first. Compare with the account hearing
// it alone.
func TestReview2AdoptedTicketKeepsTheFeedsPromiseAndTeam(t *testing.T) {
	bySource := func(s string) bot.SLA {
		if s == "feed:alerts" {
			return bot.SLA{FirstResponse: 24 * time.Hour} // press mentions: a day
		}
		return bot.SLA{FirstResponse: time.Hour} // customers on the account: an hour
	}
	slaPolicy := func() bot.Policy {
		p := bot.DefaultPolicy()
		p.SLA = bySource
		return p
	}
	teamPolicy := func() bot.Policy {
		p := bot.DefaultPolicy()
		social := team("social", "CSOC", time.UTC, trDuty, trLead)
		press := team("press", "CPRESS", time.UTC, roDuty, roLead)
		social.SLA, press.SLA = bySource, bySource
		p.Teams = []bot.Team{social, press}
		p.DefaultTeam = "social"
		p.Route = func(source, _, _ string) (string, string) {
			if source == "feed:alerts" {
				return "press", "source feed:alerts (rule 1)"
			}
			return "social", "source mastodon:brand (rule 2)"
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		policy func() bot.Policy
		feed   bool // the feed heard the post first
	}{
		{"SLA by source, account alone", slaPolicy, false},
		{"SLA by source, feed first", slaPolicy, true},
		{"teams routed by source, account alone", teamPolicy, false},
		{"teams routed by source, feed first", teamPolicy, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := review2World(t, tc.policy())
			start := w.clock.Now()
			if tc.feed {
				review2Heard(t, w, "feed:alerts", "77", "77", "Acme's app is down")
			}
			review2Heard(t, w, "mastodon:brand", "77", "77", "Acme's app is down")
			tk := w.ticket(1)
			if tk.Source != "mastodon:brand" {
				t.Fatalf("ticket #1 is on %s, want the account's", tk.Source)
			}
			if want := start.Add(time.Hour); !tk.Deadline.Equal(want) {
				t.Errorf("the Mastodon ticket's first answer is due %s, want %s (the account's one-hour promise)", tk.Deadline.Format("Mon 15:04"), want.Format("Mon 15:04"))
			}
			if len(tc.policy().Teams) > 0 && tk.Team != "social" {
				t.Errorf("the Mastodon ticket is %s's (%s), want social's, as routes send mastodon:brand", tk.Team, tk.Routed)
			}
		})
	}
}

// TestReview2ThreadAnswerHeardByAFeedFirst: the customer's answer in
// their own Mastodon thread "joins the thread root's ticket". When a feed
// (a hashtag's RSS, an alert) hears that answer before the account does,
// the account adopts the feed's ticket for it instead: the customer has
// two open tickets in one Mastodon conversation, and the answer is missing
// from the ticket the agent is working on. Heard by the account alone, the
// answer joins #1.
func TestReview2ThreadAnswerHeardByAFeedFirst(t *testing.T) {
	for _, tc := range []struct {
		name string
		feed bool
	}{
		{"account alone", false},
		{"feed heard the answer first", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := review2World(t, bot.DefaultPolicy())
			review2Heard(t, w, "mastodon:brand", "77", "77", "Acme's app is down")
			if tc.feed {
				review2Heard(t, w, "feed:alerts", "78", "78", "still down, 3 hours now")
			}
			review2Heard(t, w, "mastodon:brand", "78", "77", "still down, 3 hours now")
			var open []bot.Ticket
			var first []bot.Message
			err := w.db.View(context.Background(), func(tx bot.Tx) (err error) {
				all, err := tx.OpenTickets(100)
				for _, tk := range all {
					if tk.Source == "mastodon:brand" && tk.Conversation == "mastodon:brand-77" {
						open = append(open, tk)
					}
				}
				if err == nil {
					first, err = tx.Messages(1, 100)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != 1 {
				ids := []int64{}
				for _, tk := range open {
					ids = append(ids, tk.ID)
				}
				t.Errorf("the customer's one Mastodon thread has %d open tickets %v, want 1", len(open), ids)
			}
			joined := false
			for _, m := range first {
				joined = joined || m.Kind == bot.FromCustomer && m.Text == "still down, 3 hours now"
			}
			if !joined {
				t.Errorf("the customer's answer in the thread is not in #1, the thread root's ticket")
			}
		})
	}
}

// TestReview2OwnersThreadTalkAfterAdoption: on a feed's ticket, the
// owner's messages in the thread stay team notes (the root says the feed
// cannot be answered), so that is where the owner talks with the team.
// When the account takes the ticket over, the very next such message is
// posted publicly under the customer's Mastodon post — no confirmation
// (a.Ref skips confirmPublic), though the owner claimed a ticket that
// could not be answered and wrote in a thread where nothing went out.
func TestReview2OwnersThreadTalkAfterAdoption(t *testing.T) {
	for _, tc := range []struct {
		name  string
		claim bool // the owner claimed it while it was the feed's
	}{
		{"claimed on the feed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, masto := review2Listening(t, bot.DefaultPolicy())
			review2Heard(t, w, "feed:alerts", "77", "77", "Acme's app is down again, useless bank")
			if tc.claim {
				mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
			}
			said, err := w.act(bot.Action{Verb: bot.DoSay, Ticket: 1, Agent: alice, Text: "I'll answer on their blog", Ref: "m1"})
			if err != nil || !strings.Contains(said, "stays a team note") {
				t.Fatalf("an owner's message in a feed ticket's thread: %q %v", said, err)
			}
			review2Heard(t, w, "mastodon:brand", "77", "77", "Acme's app is down again, useless bank")
			if tk := w.ticket(1); tk.Source != "mastodon:brand" {
				t.Fatalf("#1 is on %s, want taken over by the account", tk.Source)
			}
			w.act(bot.Action{Verb: bot.DoSay, Ticket: 1, Agent: alice, Text: "this one is the troll from last week, ignore", Ref: "m2"})
			if got := masto.texts(); len(got) != 0 {
				t.Errorf("posted publicly under the customer's post, unconfirmed: %q", got)
			}
		})
	}
}
