package bluesky_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"caredesk/adapters/bluesky"
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

// TestReviewFailingSearchDoesNotHoldBackMentions: mentions are addressed
// to the brand and always taken (README). A search that Bluesky refuses
// or cannot serve (searchPosts is often the first thing an AppView sheds)
// must not keep the mentions already read from reaching the desk: the
// Mastodon listener hands its mentions before the searches, the Bluesky
// one drops them all while any search fails.
func TestReviewFailingSearchDoesNotHoldBackMentions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
	}{
		{"search refused (400)", 400},
		{"search unavailable (502)", 502},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t, func(o *bluesky.Options) { o.Searches = []string{"acme"} })
			uri := f.net.Mention("ayse.bsky.social", "my card is blocked")
			f.net.FailNext("app.bsky.feed.searchPosts", 3, tc.status)
			var got []string
			for range 3 {
				_, ins := f.poll(t)
				got = append(got, uris(ins)...)
			}
			if !slices.Equal(got, []string{uri}) {
				t.Errorf("three polls while the search fails handed %v, want the mention %s", got, uri)
			}
		})
	}
}

// TestReviewSearchBurstBetweenPollsIsAllTaken: during a crisis more posts
// match a search between two polls than one page of searchPosts holds
// (25, newest first). Every one is a complaint the search found and the
// filter takes; none may be skipped for good because a newer page hid it.
func TestReviewSearchBurstBetweenPollsIsAllTaken(t *testing.T) {
	for _, n := range []int{25, 26, 60} {
		t.Run(strconv.Itoa(n)+" posts", func(t *testing.T) {
			f := setup(t, func(o *bluesky.Options) { o.Searches = []string{"acme"} })
			f.mustPoll(t)
			for i := range n {
				f.net.Post("crowd"+strconv.Itoa(i)+".bsky.social", "acme is down again "+strconv.Itoa(i))
			}
			got := 0
			for range 4 {
				got += len(f.mustPoll(t))
			}
			if got != n {
				t.Errorf("%d posts matched the search between two polls; %d were handed", n, got)
			}
		})
	}
}
