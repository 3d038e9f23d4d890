// Package mastodon listens to a Mastodon instance for posts about the
// brand — mentions of the brand's account, hashtags and keywords — and
// hands them to the core as complaints; the agents' replies go back as
// replies in the customer's thread. It speaks the documented REST API
// (docs.joinmastodon.org) with the brand's access token, without a client
// library.
package mastodon

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

// Network is how people call the source.
const Network = "Mastodon"

// SourceName is the core's name of the Mastodon source name.
func SourceName(name string) string { return "mastodon:" + name }

// Defaults of Options.
const (
	DefaultEvery  = time.Minute
	DefaultMaxAge = 7 * 24 * time.Hour
)

// Options configure a Listener.
type Options struct {
	Name string // the source's name from the configuration
	// Instance is the brand's Mastodon server, like
	// https://mastodon.example.
	Instance string
	// Token is the brand account's access token, with the read and
	// write:statuses scopes (Preferences → Development).
	Token string
	// Searches are what is looked for besides mentions of the brand:
	// "#hashtag" reads the hashtag's timeline, anything else is a
	// full-text search of statuses (which many instances limit to posts
	// the account wrote or interacted with).
	Searches []string
	Every    time.Duration  // poll interval; DefaultEvery when 0
	MaxAge   time.Duration  // posts older than this are not taken; DefaultMaxAge when 0
	Filter   listen.Matcher // which search results count; mentions always do
	Client   *listen.Client // nil: a new one
	Logger   *slog.Logger   // nil: slog.Default()
	// OnState is told whether polling works: (false, a sentence) when it
	// fails, (true, "") when a poll worked.
	OnState func(ok bool, reason string)
	Now     func() time.Time // nil: time.Now
}

// Receiver takes the posts a Listener hears.
type Receiver interface {
	Receive(ctx context.Context, in bot.Inbound) error
}

// Listener polls one Mastodon account's mentions and searches, and sends
// replies as that account. Send is safe to call while Run runs.
type Listener struct {
	o      Options
	base   string // Instance without a trailing slash
	client *listen.Client
	log    *slog.Logger

	mu      sync.Mutex
	own     string            // the brand's account id, "" until verify_credentials answered
	cursors map[string]string // stream → the newest id handled
	roots   map[string]string // status id → its thread's root (thread.go)
}

// A Listener replies to customers.
var _ bot.Source = (*Listener)(nil)

// New checks o and returns a Listener; it makes no request.
func New(o Options) (*Listener, error) {
	var problems []error
	where := fmt.Sprintf("mastodon source %q", o.Name)
	if strings.TrimSpace(o.Name) == "" {
		problems = append(problems, errors.New("a Mastodon source needs a name"))
	}
	u, err := url.Parse(o.Instance)
	switch {
	case o.Instance == "":
		problems = append(problems, fmt.Errorf("%s: instance is empty: set it to the address of the brand's Mastodon server, like https://mastodon.social", where))
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "":
		problems = append(problems, fmt.Errorf("%s: instance %q is not the address of a server: write it like https://mastodon.social", where, o.Instance))
	}
	if strings.TrimSpace(o.Token) == "" {
		problems = append(problems, fmt.Errorf("%s: the access token is empty: create one under Preferences → Development with the read and write:statuses scopes", where))
	}
	for _, s := range o.Searches {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "#")) == "" {
			problems = append(problems, fmt.Errorf("%s: search %q is empty: write a #hashtag or words to look for", where, s))
		}
	}
	if o.Every < 0 || o.MaxAge < 0 {
		problems = append(problems, fmt.Errorf("%s: every and max_age cannot be negative", where))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	if o.Every == 0 {
		o.Every = DefaultEvery
	}
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OnState == nil {
		o.OnState = func(bool, string) {}
	}
	l := &Listener{o: o, base: strings.TrimRight(o.Instance, "/"), client: o.Client, log: o.Logger, cursors: map[string]string{}}
	if l.client == nil {
		l.client = &listen.Client{}
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.log = l.log.With("source", SourceName(o.Name))
	return l, nil
}
