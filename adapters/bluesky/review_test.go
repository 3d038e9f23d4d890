package bluesky_test

import (
	"context"
	"testing"
)

// TestReviewFollowUpInTheThreadJoinsTheTicket: a ticket is one customer
// conversation. When the customer answers the brand's reply in the same
// thread ("still blocked"), that post belongs to the ticket the first post
// opened (its Conversation), so the core adds it there and the owner's
// next reply answers it (ReplyTo = the customer's latest post, as Send
// supports). Today each post is its own conversation, so every answer of
// the customer in the thread opens a new ticket that any agent may claim.
func TestReviewFollowUpInTheThreadJoinsTheTicket(t *testing.T) {
	for _, tc := range []struct {
		name string
		// post is the customer's first post; it returns its URI.
		post func(f *fixture) string
	}{
		{"a mention", func(f *fixture) string { return f.net.Mention("ayse.bsky.social", "my card is blocked") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t, nil)
			first := tc.post(f)
			got := f.mustPoll(t)
			if len(got) != 1 || got[0].MessageID != first {
				t.Fatalf("first poll handed %v, want %s", uris(got), first)
			}
			conv := got[0].Conversation
			answer, err := f.l.Send(context.Background(), reply(conv, "Sorry, checking now.", "caredesk-1"))
			if err != nil {
				t.Fatal(err)
			}
			followUp := f.net.Reply("ayse.bsky.social", answer, "still blocked")
			got = f.mustPoll(t)
			if len(got) != 1 || got[0].MessageID != followUp {
				t.Fatalf("second poll handed %v, want the follow-up %s", uris(got), followUp)
			}
			if got[0].Conversation != conv {
				t.Errorf("the customer's answer in the thread has conversation %q, not the ticket's %q: it opens a second ticket", got[0].Conversation, conv)
			}
		})
	}
}
