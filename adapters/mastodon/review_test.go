package mastodon_test

import (
	"strconv"
	"testing"

	"caredesk/bot"
	"caredesk/sim/mastodonsim"
)

// TestReviewFollowUpInTheThreadJoinsTheTicket: a ticket is one customer
// conversation. When the customer answers the brand's reply in the same
// thread, that status belongs to the ticket the first mention opened (the
// same Conversation), so the core adds it there; today each status is its
// own conversation and every answer in the thread opens a new ticket.
func TestReviewFollowUpInTheThreadJoinsTheTicket(t *testing.T) {
	for _, tc := range []struct {
		name       string
		visibility string
	}{
		{"public", "public"},
		{"direct", "direct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := instance(t)
			first := s.Mention("pia@other.example", "my order never came", mastodonsim.Visibility(tc.visibility))
			l, _ := listener(t, s, nil)
			in := &inbox{}
			run(t, l, in)
			waitFor(t, s, "the mention", func() bool { return len(in.all()) == 1 })
			conv := in.all()[0].Conversation
			answer, err := l.Send(testContext(t), bot.Outgoing{Ticket: bot.Ticket{ID: 7}, Conversation: conv, ReplyTo: first, Text: "Sorry Pia, checking.", Key: "caredesk-1"})
			if err != nil {
				t.Fatal(err)
			}
			followUp := s.Mention("pia@other.example", "still nothing", mastodonsim.InReplyTo(answer), mastodonsim.Visibility(tc.visibility))
			waitFor(t, s, "the follow-up", func() bool { return len(in.all()) == 2 })
			g := in.all()[1]
			if g.MessageID != followUp {
				t.Fatalf("handed %+v, want the follow-up %s", g, followUp)
			}
			if g.Conversation != conv {
				t.Errorf("the customer's answer in the thread has conversation %q, not the ticket's %q: it opens a second ticket", g.Conversation, conv)
			}
		})
	}
}

// TestReviewFollowersOnlyPostIsPrivate: a followers-only post is answered
// with a direct reply (README, Send), so its ticket must not be shown as
// public: today Inbound.Private is false, the root says "Replies are
// public" and the agent is warned that the reply will be public.
func TestReviewFollowersOnlyPostIsPrivate(t *testing.T) {
	for _, tc := range []struct {
		visibility  string
		wantPrivate bool
	}{
		{"public", false},
		{"unlisted", false},
		{"private", true}, // followers-only
		{"direct", true},
	} {
		t.Run(tc.visibility, func(t *testing.T) {
			s := instance(t)
			s.Mention("pia@other.example", "my order never came", mastodonsim.Visibility(tc.visibility))
			l, _ := listener(t, s, nil)
			in := &inbox{}
			run(t, l, in)
			waitFor(t, s, "the mention", func() bool { return len(in.all()) == 1 })
			if got := in.all()[0].Private; got != tc.wantPrivate {
				t.Errorf("a %s post handed with Private=%v, want %v (Send answers it %s)", tc.visibility, got, tc.wantPrivate, map[bool]string{true: "directly", false: "in public"}[tc.wantPrivate])
			}
		})
	}
}

// TestReviewMentionsWaitingAtStartAreAllTaken: a listener starts with no
// cursor after every restart and every change of leading replica, which is
// when mentions pile up (a deploy during an outage, a failover). Every
// mention within max_age must open a ticket, as the Bluesky listener pages
// its notifications back to max_age; today the first poll reads the newest
// 40 and the older ones are never asked for again.
func TestReviewMentionsWaitingAtStartAreAllTaken(t *testing.T) {
	for _, n := range []int{40, 41, 95} {
		t.Run(strconv.Itoa(n)+" mentions", func(t *testing.T) {
			s := instance(t)
			for i := range n {
				s.Mention("crowd"+strconv.Itoa(i), "outage report "+strconv.Itoa(i))
			}
			l, _ := listener(t, s, nil)
			in := &inbox{}
			run(t, l, in)
			polled(t, s, 3)
			if got := len(in.all()); got != n {
				t.Errorf("%d mentions were waiting when the listener started; it handed %d", n, got)
			}
		})
	}
}
