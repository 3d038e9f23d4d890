package bot_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/voice"
)

// listening is a world whose core speaks to customers (as main wires it,
// with a voice catalogue) and that has a Mastodon and a feed source.
func listening(t *testing.T) (w *world, masto, feed *customers) {
	t.Helper()
	v, err := voice.New(voice.Options{Default: "en"})
	if err != nil {
		t.Fatal(err)
	}
	p := bot.DefaultPolicy()
	p.Customer.Voice = v
	w = newWorldWith(t, p, time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC))
	masto, feed = &customers{}, &customers{}
	w.courier = bot.NewCourier(w.db, w.desk, map[string]bot.Source{"telegram": w.tg, "mastodon:brand": masto, "feed:alerts": feed},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)),
		bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}),
		bot.CourierSpeech(bot.Speech{Voice: v, Sign: p.Customer.Sign}))
	return w, masto, feed
}

// TestReviewNothingPublicWithoutAnAgentsReply: "public replies are
// deliberate". On a ticket from a public Mastodon post, only what an agent
// sent with /desk reply (after the confirmation) may be posted under the
// customer's post: caredesk's own words (the rating question after a
// resolve, the hand-over sentence) are public posts nobody decided on.
// A feed cannot be answered at all, so nothing may be sent to it.
func TestReviewNothingPublicWithoutAnAgentsReply(t *testing.T) {
	for _, tc := range []struct {
		name   string
		source string
		steps  func(w *world, n int64)
	}{
		{"public Mastodon ticket answered and resolved", "mastodon:brand", func(w *world, n int64) {
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: n, Agent: alice})
			w.act(bot.Action{Verb: bot.DoReply, Ticket: n, Agent: alice, Text: "We fixed your card."}) // held once
			mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: n, Agent: alice, Text: "We fixed your card."})
			mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: n, Agent: alice})
			w.tickAfter(time.Hour)
			w.tickAfter(time.Hour)
		}},
		{"public Mastodon ticket handed over", "mastodon:brand", func(w *world, n int64) {
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: n, Agent: alice})
			mustAct(t, w, bot.Action{Verb: bot.DoTransfer, Ticket: n, Agent: alice, To: bob})
			w.tickAfter(time.Minute)
		}},
		{"feed ticket resolved elsewhere", "feed:alerts", func(w *world, n int64) {
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: n, Agent: alice})
			mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: n, Agent: alice, Text: "elsewhere https://blog.example/acme#c3"})
			w.tickAfter(time.Hour)
			w.tickAfter(time.Hour)
		}},
		{"feed ticket handed over", "feed:alerts", func(w *world, n int64) {
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: n, Agent: alice})
			mustAct(t, w, bot.Action{Verb: bot.DoTransfer, Ticket: n, Agent: alice, To: bob})
			w.tickAfter(time.Minute)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, masto, feed := listening(t)
			n := w.heard(tc.source, "1001", "@acme my card is blocked", false)
			tc.steps(w, n)
			src := map[string]*customers{"mastodon:brand": masto, "feed:alerts": feed}[tc.source]
			src.mu.Lock()
			defer src.mu.Unlock()
			for _, m := range src.got {
				if m.Purpose != bot.ForReply {
					t.Errorf("caredesk sent %q (purpose %q) to the customer's public post on %s, which no agent sent", m.Text, m.Purpose, tc.source)
				}
			}
			if tc.source == "feed:alerts" && len(src.got) > 0 {
				t.Errorf("%d messages were sent to a feed, which cannot be answered", len(src.got))
			}
		})
	}
}

// TestReviewResolveElsewhereNeedsTheLink: "/desk resolve N elsewhere"
// without the link is a mistake to point out, not a plain resolve that
// silently records no answer (the feed's ticket then counts as never
// answered in the reports).
func TestReviewResolveElsewhereNeedsTheLink(t *testing.T) {
	w, _, _ := listening(t)
	n := w.heard("feed:alerts", "tag:1", "Acme is the worst bank", false)
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: n, Agent: alice})
	res, err := w.act(bot.Action{Verb: bot.DoResolve, Ticket: n, Agent: alice, Text: "elsewhere"})
	if err == nil {
		t.Errorf("/desk resolve %d elsewhere (no link): %q, want a request for the link", n, res)
	}
	if tk := w.ticket(n); tk.State == bot.Resolved && tk.FirstReplyAt.IsZero() {
		t.Errorf("the ticket was resolved as never answered, though the agent said it was answered elsewhere")
	}
}

// TestReviewPublicConfirmationNotSpentOnARefusal: the one-time warning
// that a reply will be public is shown the first time an agent's reply
// would actually go. A /desk reply that is refused anyway (the ticket is
// someone else's, or resolved) must not use it up: the agent's first real
// public reply must still be held with the warning.
func TestReviewPublicConfirmationNotSpentOnARefusal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		refuse func(w *world, n int64)
	}{
		{"someone else's ticket", func(w *world, n int64) {
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: n, Agent: alice})
		}},
		{"a resolved ticket", func(w *world, n int64) {
			mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: n, Agent: alice})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, masto, _ := listening(t)
			other := w.heard("mastodon:brand", "1001", "@acme my card is blocked", false)
			tc.refuse(w, other)
			// bob's /desk reply there fails, whether now or after resending.
			w.act(bot.Action{Verb: bot.DoReply, Ticket: other, Agent: bob, Text: "Hi"})
			w.act(bot.Action{Verb: bot.DoReply, Ticket: other, Agent: bob, Text: "Hi"})
			mine := w.heard("mastodon:brand", "1002", "@acme and my app crashes", false)
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: mine, Agent: bob})
			res, err := w.act(bot.Action{Verb: bot.DoReply, Ticket: mine, Agent: bob, Text: "Sorry, fixing it"})
			if err != nil || !strings.Contains(res, "your reply will be public too") {
				t.Errorf("bob's first public reply that could go: %q %v; want it held with the warning", res, err)
			}
			if texts := masto.texts(); len(texts) > 0 {
				t.Errorf("posted in public without the warning: %q", texts)
			}
		})
	}
}
