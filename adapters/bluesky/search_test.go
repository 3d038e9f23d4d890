package bluesky_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"caredesk/adapters/bluesky"
)

// A search that fails is said on the health board, the mentions of the
// same poll are handed, and the posts it would have found are taken once
// it works again.
func TestFailingSearchIsToldAndCaughtUp(t *testing.T) {
	f := setup(t, func(o *bluesky.Options) { o.Searches = []string{"acme"} })
	mention := f.net.Mention("ayse.bsky.social", "my card is blocked")
	var missed []string
	for i := range 30 {
		missed = append(missed, f.net.Post("crowd"+strconv.Itoa(i)+".bsky.social", "acme is down"))
	}
	f.net.FailNext("app.bsky.feed.searchPosts", 1, http.StatusBadGateway)
	s, got := f.poll(t)
	if s.ok || !strings.Contains(s.reason, `the search "acme" failed: app.bsky.feed.searchPosts answered 502`) || !strings.Contains(s.reason, "mentions are still taken") {
		t.Errorf("OnState(%v, %q), want a warning that names the failing search", s.ok, s.reason)
	}
	if u := uris(got); !slices.Equal(u, []string{mention}) {
		t.Errorf("the poll whose search failed handed %v, want the mention %s", u, mention)
	}
	slices.Sort(missed)
	if u := uris(f.mustPoll(t)); !slices.Equal(u, missed) {
		t.Errorf("the next poll handed %d posts, want the %d the failed search missed", len(u), len(missed))
	}
}

// A search pages back only as far as the last poll read: a quiet poll
// costs one page, a burst as many as it needs, and a post the core
// refused in a burst's older page is handed again though no page holds
// it any more.
func TestSearchPagesBackToTheLastPoll(t *testing.T) {
	f := setup(t, func(o *bluesky.Options) { o.Searches = []string{"acme"} })
	for i := range 40 {
		f.net.Post("early"+strconv.Itoa(i)+".bsky.social", "acme again")
	}
	if got := f.mustPoll(t); len(got) != 40 {
		t.Fatalf("the first poll handed %d posts, want the 40 of the last week", len(got))
	}
	calls := f.net.Calls("app.bsky.feed.searchPosts")
	if got := f.mustPoll(t); len(got) != 0 {
		t.Errorf("a quiet poll handed %v", uris(got))
	}
	if n := f.net.Calls("app.bsky.feed.searchPosts") - calls; n != 1 {
		t.Errorf("a quiet poll asked searchPosts %d times, want one page", n)
	}
	for i := range 150 {
		f.net.Post("crowd"+strconv.Itoa(i)+".bsky.social", "acme is down "+strconv.Itoa(i))
	}
	f.inbox.refuse = 1 // the oldest of the burst: on its last page
	if got := f.mustPoll(t); len(got) != 149 {
		t.Fatalf("the burst's poll handed %d posts, want 149 of 150 (one refused)", len(got))
	}
	calls = f.net.Calls("app.bsky.feed.searchPosts")
	if got := f.mustPoll(t); len(got) != 1 || !strings.HasSuffix(got[0].Text, "down 0") {
		t.Errorf("the next poll handed %v, want the refused post", uris(got))
	}
	if n := f.net.Calls("app.bsky.feed.searchPosts") - calls; n != 1 {
		t.Errorf("the poll after the burst asked searchPosts %d times, want one page", n)
	}
}

// A customer's posts in one thread are one conversation, its first post's
// (the thread's root), whoever's thread it is; the reply answers their
// latest post, in that thread.
func TestConversationIsTheThreadsRoot(t *testing.T) {
	f := setup(t, nil)
	own := f.net.Post(brand, "Our app is back up.")
	answer := f.net.Reply("ayse.bsky.social", own, "not for me")
	other := f.net.Reply("mehmet.bsky.social", own, "nor for me")
	got := f.mustPoll(t)
	if len(got) != 2 {
		t.Fatalf("handed %v, want the two replies", uris(got))
	}
	for _, in := range got {
		if in.Conversation != own {
			t.Errorf("the reply %s in the brand's thread has conversation %q, want the thread's root %s", in.MessageID, in.Conversation, own)
		}
	}
	m := reply(own, "Sorry, checking.", "caredesk-70")
	m.ReplyTo = answer
	if _, err := f.l.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	posts := f.net.BrandPosts()
	p := posts[len(posts)-1]
	if p.Parent == nil || p.Parent.URI != answer || p.Root == nil || p.Root.URI != own {
		t.Errorf("the reply's refs: root %+v parent %+v, want root %s parent %s (not %s)", p.Root, p.Parent, own, answer, other)
	}
}
