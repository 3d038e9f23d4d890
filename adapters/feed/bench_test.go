package feed_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"caredesk/adapters/feed"
	"caredesk/bot"
	"caredesk/listen"
	"caredesk/sim/feedsim"
)

type counter int

func (c *counter) Receive(context.Context, bot.Inbound) error { *c++; return nil }

// items are n forum posts of a few sentences each, newest first.
func items(from, n int) []feedsim.Item {
	var out []feedsim.Item
	for i := from + n - 1; i >= from; i-- {
		out = append(out, feedsim.Item{
			ID: fmt.Sprintf("https://forum.example/t/%d", i), Link: fmt.Sprintf("https://forum.example/t/%d", i),
			Title:       fmt.Sprintf("Acme complaint %d", i),
			Description: "<p>I have been waiting for my <b>refund</b> for three weeks and nobody answers the phone. The app says the card is blocked, the branch says it is not.</p>",
			Author:      "customer", Published: now.Add(-time.Duration(i) * time.Minute),
		})
	}
	return out
}

// BenchmarkPoll measures one poll of a 50-item RSS feed: the bytes the
// site sent per poll (bytes/poll) and the time and allocations of the
// whole round trip, the simulator's share included.
//
//   - full: a site without validators; every poll reads and parses the
//     whole feed, and hands nothing (all seen).
//   - new-item: one new item per poll; a full read, and one post handed.
//   - 304: nothing changed; a conditional request answered 304.
func BenchmarkPoll(b *testing.B) {
	for _, mode := range []string{"full", "new-item", "304"} {
		b.Run(mode, func(b *testing.B) {
			s, err := feedsim.New()
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.SetFeed("/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: items(0, 50)}); err != nil {
				b.Fatal(err)
			}
			if mode == "full" {
				s.IgnoreConditional("/feed")
			}
			l, err := feed.New(feed.Options{
				Name: "forum", URL: s.URL("/feed"), MaxAge: 365 * 24 * time.Hour,
				Client: &listen.Client{PerHost: rate.Inf},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Now:    func() time.Time { return now },
			})
			if err != nil {
				b.Fatal(err)
			}
			var handed counter
			ctx := context.Background()
			if err := feed.PollOnce(ctx, l, &handed); err != nil {
				b.Fatal(err)
			}
			sent := s.Bytes("/feed")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if mode == "new-item" {
					b.StopTimer()
					if err := s.SetFeed("/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: items(i+1, 50)}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				if err := feed.PollOnce(ctx, l, &handed); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(s.Bytes("/feed")-sent)/float64(b.N), "bytes/poll")
			b.ReportMetric(float64(int(handed)-50)/float64(b.N), "handed/poll")
		})
	}
}
