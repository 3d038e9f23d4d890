package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"caredesk/adapters/bluesky"
	"caredesk/adapters/feed"
	"caredesk/adapters/mastodon"
	"caredesk/bot"
	"caredesk/config"
	"caredesk/health"
	"caredesk/listen"
)

// listener is a source caredesk polls itself; the leading replica runs
// it, as it holds Telegram's long poll, so that one replica asks.
type listener struct {
	config.Listener
	part  *health.Part
	run   func(ctx context.Context, r hearer) error
	check func(ctx context.Context) error // one call as a poll's first, for caredesk doctor
}

// hearer is the core as a listener hands it what it heard.
type hearer interface {
	Receive(ctx context.Context, in bot.Inbound) error
}

// The pace of calls to a Mastodon instance or a Bluesky server: well
// within their limits per account, and quick enough for a reply split in
// parts.
const (
	accountRate  = 5
	accountBurst = 10
)

// userAgent is how caredesk's listeners name themselves to the servers
// they poll: who asks, and where to learn more (the desk's own address,
// when it has one).
func userAgent(cfg config.Config) string {
	ua := "caredesk/" + short(thisBuild().Revision) + " (social customer care bot"
	if cfg.PublicURL != "" {
		ua += "; +" + cfg.PublicURL
	}
	return ua + ")"
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// listeners builds the file's listeners, each a source on the board whose
// failures warn (see health.Part.WarnOnly). Nothing is asked of the
// network yet: a listener's first poll is its check, and a feed that is
// down at start is no reason to keep the desk from starting.
func listeners(cfg config.Config, log *slog.Logger, board *health.Board, sources map[string]bot.Source) ([]listener, error) {
	// Feeds are other people's sites, asked at the polite pace. An
	// account's API has its own limits per token (Mastodon's 300 calls
	// in 5 minutes), which its 429s enforce; the agents' replies must not
	// wait two seconds a call behind the polls.
	client := &listen.Client{HTTP: &http.Client{Timeout: 30 * time.Second}, UserAgent: userAgent(cfg)}
	accounts := &listen.Client{HTTP: client.HTTP, UserAgent: client.UserAgent, PerHost: accountRate, Burst: accountBurst}
	var out []listener
	for _, l := range cfg.File.Listeners {
		filter, err := l.Filter.Compile(l.Source())
		if err != nil {
			return nil, err // the file's check read it already
		}
		// Named with its source too: two feeds of one site share a host.
		part := board.Source(l.Source(), fmt.Sprintf("%s (%s)", l.Display, l.Source()))
		part.WarnOnly()
		if l.SilenceAlarm > 0 {
			part.WatchSilence(l.SilenceAlarm)
		}
		lg := log.With("network", l.Kind) // the listener names its source
		var src interface {
			bot.Source
			Check(ctx context.Context) error
		}
		var run func(ctx context.Context, r hearer) error
		switch l.Kind {
		case config.KindFeed:
			f, err := feed.New(feed.Options{Name: l.Name, URL: l.URL, Display: l.Display, SkipAuthors: l.SkipAuthors,
				Every: l.Every, MaxAge: l.MaxAge, Filter: filter, Client: client, Logger: lg, OnState: part.Report})
			if err != nil {
				return nil, err // its sentences name the source
			}
			src, run = f, func(ctx context.Context, r hearer) error { return f.Run(ctx, r) }
		case config.KindMastodon:
			m, err := mastodon.New(mastodon.Options{Name: l.Name, Instance: l.URL, Token: l.Token, Searches: l.Searches,
				Every: l.Every, MaxAge: l.MaxAge, Filter: filter, Client: accounts, Logger: lg, OnState: part.Report})
			if err != nil {
				return nil, err // its sentences name the source
			}
			src, run = m, func(ctx context.Context, r hearer) error { return m.Run(ctx, r) }
		case config.KindBluesky:
			b, err := bluesky.New(bluesky.Options{Name: l.Name, Service: l.URL, Handle: l.Handle, AppPassword: l.Token, Searches: l.Searches,
				Every: l.Every, MaxAge: l.MaxAge, Filter: filter, Client: accounts, Logger: lg, OnState: part.Report})
			if err != nil {
				return nil, err // its sentences name the source
			}
			src, run = b, func(ctx context.Context, r hearer) error { return b.Run(ctx, r) }
		}
		sources[l.Source()] = src
		out = append(out, listener{Listener: l, part: part, run: run, check: src.Check})
	}
	return out, nil
}
