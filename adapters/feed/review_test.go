package feed_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"caredesk/adapters/bluesky"
	"caredesk/listen"
	"caredesk/sim/blueskysim"
	"caredesk/sim/feedsim"
)

// TestReviewDistinctItemsAreDistinctPosts: PostKey is a post's identity
// across listeners, and the core opens one ticket per PostKey. Items that
// are different posts (their own guid) must not share one: a WordPress or
// forum comments feed links each comment as the page plus #comment-N, and
// stripping the fragment makes every comment on one page "the same post",
// so the core drops all but the first complaint.
func TestReviewDistinctItemsAreDistinctPosts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items []feedsim.Item
	}{
		{"a comments feed (one page, #comment-N)", []feedsim.Item{
			{ID: "https://blog.example/2026/acme-card/#comment-3", Link: "https://blog.example/2026/acme-card/#comment-3", Title: "Comment on Acme card by Jane", Description: "Acme blocked my card too", Author: "Jane", Published: now.Add(-2 * time.Hour)},
			{ID: "https://blog.example/2026/acme-card/#comment-4", Link: "https://blog.example/2026/acme-card/#comment-4", Title: "Comment on Acme card by Omar", Description: "Acme never refunded me", Author: "Omar", Published: now.Add(-time.Hour)},
		}},
		{"a forum's posts, anchors on the topic", []feedsim.Item{
			{ID: "post-101", Link: "https://forum.example/t/acme-outage/42#p101", Title: "Re: Acme outage", Description: "still down for me, acme", Author: "ali", Published: now.Add(-2 * time.Hour)},
			{ID: "post-102", Link: "https://forum.example/t/acme-outage/42#p102", Title: "Re: Acme outage", Description: "acme charged me twice", Author: "eva", Published: now.Add(-time.Hour)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := startSite(t)
			setFeed(t, site, "/feed", feedsim.RSS, feedsim.Feed{Title: "Comments", Link: "https://blog.example/", Items: tc.items})
			h := start(t, site.URL("/feed"), nil)
			h.Poll()
			got := h.r.Take()
			if len(got) != len(tc.items) {
				t.Fatalf("handed %d items, want %d", len(got), len(tc.items))
			}
			keys := map[string]string{}
			for _, in := range got {
				if other, dup := keys[in.PostKey]; dup && in.PostKey != "" {
					t.Errorf("items %q and %q, two posts by two people, share PostKey %q: the core opens one ticket and drops the other complaint", other, in.MessageID, in.PostKey)
				}
				keys[in.PostKey] = in.MessageID
			}
		})
	}
}

// TestReviewBlueskyPostHeardByAFeedAndTheAccount: README: "The same post
// heard twice — ... a feed and an account — opens one ticket: posts are
// known by their public address". A Google Alert that finds a Bluesky
// post links its public page (the address caredesk itself shows as the
// ticket's PostURL); the Bluesky listener hearing the same post as a
// mention must give it the same PostKey, or the core opens two tickets.
func TestReviewBlueskyPostHeardByAFeedAndTheAccount(t *testing.T) {
	net, err := blueskysim.New(blueskysim.Options{Handle: "acme.bsky.social", AppPassword: "abcd-efgh-ijkl-mnop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Close)
	net.Mention("ayse.bsky.social", "acme blocked my card")
	states := make(chan bool, 10)
	bl, err := bluesky.New(bluesky.Options{Name: "acme", Service: net.URL(), Handle: "acme.bsky.social", AppPassword: "abcd-efgh-ijkl-mnop",
		Every: time.Hour, Client: &listen.Client{HTTP: &http.Client{}, PerHost: rate.Inf}, OnState: func(ok bool, _ string) { states <- ok }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testContext(t), 10*time.Second)
	heard := &receiver{}
	done := make(chan error, 1)
	go func() { done <- bl.Run(ctx, heard) }()
	if ok := <-states; !ok {
		t.Fatal("the Bluesky poll failed")
	}
	cancel()
	<-done
	mention := heard.Take()
	if len(mention) != 1 || mention[0].PostURL == "" {
		t.Fatalf("the Bluesky listener handed %+v, want the mention with its public address", mention)
	}
	page := mention[0].PostURL

	site := startSite(t)
	setFeed(t, site, "/alerts", feedsim.Atom, feedsim.GoogleAlert("acme", feedsim.Item{Title: "acme blocked my card", Link: page, Description: "acme blocked my card", Published: now.Add(-time.Hour)}))
	h := start(t, site.URL("/alerts"), nil)
	h.Poll()
	alert := h.r.Take()
	if len(alert) != 1 {
		t.Fatalf("the feed handed %d items, want the alert", len(alert))
	}
	if alert[0].PostKey != mention[0].PostKey {
		t.Errorf("one Bluesky post, two PostKeys: the feed's %q, the account's %q: two tickets for one post", alert[0].PostKey, mention[0].PostKey)
	}
}
