// Package feed listens to an RSS or Atom feed — Google Alerts for the
// brand's name, a forum's or a complaint site's feed, a subreddit's or a
// search's — and hands each new item about the brand to the core as a
// public post, which opens a ticket. A feed cannot be answered: agents
// answer where the post was published, then resolve the ticket.
//
// It reads RSS 2.0, Atom 1.0 and RSS 1.0 (RDF) with encoding/xml (Parse),
// polls with conditional requests so that a feed that did not change
// costs a 304, and never lets bad input (a web page, broken XML, a huge
// body, items without ids) become more than a log line and a health
// board sentence.
package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"caredesk/bot"
	"caredesk/listen"
)

// Network is how the desk names feeds when a source has no Display.
const Network = "Feed"

// Defaults and limits of Options.
const (
	DefaultEvery    = 5 * time.Minute
	DefaultMaxAge   = 7 * 24 * time.Hour
	DefaultMaxBytes = listen.DefaultMaxBody
	// MaxBackoff is the longest wait after failed polls: a feed that is
	// down for a day is still asked every half hour.
	MaxBackoff = listen.MaxBackoff
)

// SourceName is the core's name of the feed source called name.
func SourceName(name string) string { return "feed:" + name }

// Receiver takes the posts the listener hears; the core's inbound
// service is one. An error means the post was not stored: it is handed
// again on the next poll.
type Receiver interface {
	Receive(ctx context.Context, in bot.Inbound) error
}

// Options configure a Listener. Name and URL are required.
type Options struct {
	Name string // the source's name from the YAML
	URL  string // the feed's address, http or https
	// Display is how the desk names the source ("Şikayetvar", "Google
	// Alerts"); the feed's own title, else its host, when "".
	Display string
	// SkipAuthors are the brand's own names on the feed (author name or
	// uri, without regard to case): their items never open tickets.
	SkipAuthors []string
	MaxBytes    int64          // the largest feed read; DefaultMaxBytes when 0
	Every       time.Duration  // poll interval; DefaultEvery when 0, at least a second
	MaxAge      time.Duration  // items older than this are not taken; DefaultMaxAge when 0
	Filter      listen.Matcher // which items are about the brand
	Client      *listen.Client // shared, polite; a new one when nil
	Logger      *slog.Logger   // slog.Default() when nil
	// OnState tells the health board whether polling works: (false, a
	// sentence) after a failed poll, (true, "") after one that worked.
	OnState func(ok bool, reason string)
	Now     func() time.Time // for MaxAge; time.Now when nil
}

// Listener polls one feed. Run it once; Send may be called at any time.
type Listener struct {
	o    Options
	url  *url.URL
	skip map[string]bool // folded SkipAuthors
	// wait sleeps between polls; tests replace it to see the waits
	// without sleeping (export_test.go).
	wait func(ctx context.Context, d time.Duration) bool

	// Conditional request validators and the keys of the last good poll,
	// touched only by Run's goroutine.
	etag, lastModified string
	seen               map[string]bool

	mu    sync.Mutex
	links map[string]string // key → link, for Send's sentence
}

// New checks o; it does no network I/O.
func New(o Options) (*Listener, error) {
	if strings.TrimSpace(o.Name) == "" {
		return nil, errors.New("a feed source needs a name")
	}
	u, err := url.Parse(strings.TrimSpace(o.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("feed source %q: url %q is not an http or https address: give the feed's full address, like https://example.com/feed.xml", o.Name, o.URL)
	}
	if o.Every == 0 {
		o.Every = DefaultEvery
	}
	o.Every = max(o.Every, time.Second)
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Client == nil {
		o.Client = &listen.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = o.Logger.With("source", SourceName(o.Name))
	if o.OnState == nil {
		o.OnState = func(bool, string) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &Listener{o: o, url: u, skip: map[string]bool{}, wait: listen.Wait, links: map[string]string{}}
	for _, a := range o.SkipAuthors {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			l.skip[a] = true
		}
	}
	return l, nil
}

// Run polls the feed until ctx ends, then returns nil. A failed poll is
// logged and told to OnState, and the next waits twice as long as the
// last, up to MaxBackoff, or until the time a busy host named.
func (l *Listener) Run(ctx context.Context, r Receiver) error {
	failures := 0
	for ctx.Err() == nil {
		err := l.poll(ctx, r)
		if ctx.Err() != nil {
			return nil
		}
		wait := l.o.Every
		if err == nil {
			failures = 0
			l.o.OnState(true, "")
		} else {
			failures++
			l.o.Logger.Warn("feed poll failed", "err", err, "failures", failures)
			l.o.OnState(false, err.Error())
			if until, busy := listen.IsBusy(err); busy {
				wait = max(time.Until(until), l.o.Every)
			} else {
				wait = listen.Backoff(l.o.Every, failures)
			}
		}
		if !l.wait(ctx, wait) {
			return nil
		}
	}
	return nil
}

// Send refuses: a feed has no way to answer. The sentence tells the agent
// where to answer instead.
func (l *Listener) Send(ctx context.Context, m bot.Outgoing) (string, error) {
	link := m.Ticket.PostURL
	if link == "" {
		l.mu.Lock()
		link = l.links[m.Conversation]
		l.mu.Unlock()
	}
	where := "where it was published"
	if link != "" {
		where += " (" + link + ")"
	}
	return "", bot.Permanent(errors.New("a feed cannot be answered: answer the post " + where + ", then resolve the ticket"))
}
