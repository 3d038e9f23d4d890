// Package bluesky listens to Bluesky for posts about the brand — its
// notifications (mentions, replies, quotes) and searches — and answers
// them as replies in the customer's thread. It speaks XRPC over plain HTTP
// to one entryway (bsky.social by default), which serves the brand's PDS
// and proxies the AppView's app.bsky.* queries, logging in with an app
// password.
package bluesky

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

// Network is Bluesky's display name on the desk.
const Network = "Bluesky"

// Defaults of Options.
const (
	DefaultService = "https://bsky.social"
	DefaultEvery   = time.Minute
	DefaultMaxAge  = 7 * 24 * time.Hour
)

// SourceName is the name of the Bluesky source name among caredesk's
// sources, as tickets and deliveries carry it.
func SourceName(name string) string { return "bluesky:" + name }

// Options configure a Listener.
type Options struct {
	Name        string         // the source's name from the YAML
	Service     string         // the entryway's base URL; DefaultService when ""
	Handle      string         // the brand's handle (or DID), which logs in
	AppPassword string         // an app password of the brand's account, never its main password
	Searches    []string       // searchPosts queries whose results count, through Filter
	Every       time.Duration  // poll interval; DefaultEvery when 0
	MaxAge      time.Duration  // posts older than this are not taken; DefaultMaxAge when 0
	Filter      listen.Matcher // which search results count; notifications always do
	// Client asks Bluesky politely (a 429 waits until its RateLimit-Reset).
	// nil: a client of its own.
	Client *listen.Client
	Logger *slog.Logger // nil: slog.Default()
	// OnState is told whether polling works: (false, a sentence) when it
	// fails, (true, "") when a poll worked.
	OnState func(ok bool, reason string)
	Now     func() time.Time // nil: time.Now
}

// Listener polls one Bluesky account's notifications and searches, and
// posts the desk's replies. It is a bot.Source, safe for concurrent use:
// Run and Send share the session.
type Listener struct {
	name, service    string
	handle, password string
	searches         []string
	every, maxAge    time.Duration
	filter           listen.Matcher
	client           *listen.Client
	log              *slog.Logger
	onState          func(bool, string)
	now              func() time.Time

	sessMu sync.Mutex // held while logging in or refreshing, so one goroutine does it
	mu     sync.Mutex
	sess   session
	// handed are the posts handed to the Receiver, by at:// URI, with
	// their time; a post is handed once even when it stays in the
	// notifications and the searches for days.
	handed map[string]time.Time
	// pending are posts found that the Receiver refused, by at:// URI:
	// handed again at the next poll, though neither the notifications nor
	// a search may read them again.
	pending map[string]postView
	// searched is, by query, the at:// URIs its last successful poll
	// read: the next poll pages back until it meets one of them.
	searched map[string]map[string]bool
	// notesSince is the newest notification's indexedAt of the last poll:
	// older pages are not read again.
	notesSince time.Time
	followers  map[string]followers // by DID
	// dmOffUntil is when direct messages are looked at again, after the
	// chat service refused the app password.
	dmOffUntil time.Time
}

// followers is what getProfile said of an author's reach, and when.
type followers struct {
	n  int
	at time.Time
}

// A Listener replies in public threads and can take a ticket to the
// customer's direct messages.
var (
	_ bot.Source        = (*Listener)(nil)
	_ bot.PrivateOpener = (*Listener)(nil)
)

// New checks o and returns a Listener; it does no network I/O.
func New(o Options) (*Listener, error) {
	var problems []error
	if o.Name == "" {
		problems = append(problems, errors.New("a Bluesky source needs a name"))
	}
	where := fmt.Sprintf("Bluesky source %q", o.Name)
	if o.Service == "" {
		o.Service = DefaultService
	}
	if u, err := url.Parse(o.Service); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		problems = append(problems, fmt.Errorf("%s: service %q is not an address like https://bsky.social", where, o.Service))
	}
	o.Handle = strings.TrimPrefix(strings.TrimSpace(o.Handle), "@")
	if o.Handle == "" {
		problems = append(problems, fmt.Errorf("%s: the handle is missing: write the brand's handle, like acme.bsky.social", where))
	}
	if o.AppPassword == "" {
		problems = append(problems, fmt.Errorf("%s: the app password is missing: create one under Settings → Privacy and security → App passwords", where))
	}
	for _, q := range o.Searches {
		if strings.TrimSpace(q) == "" {
			problems = append(problems, fmt.Errorf("%s: a search is empty: write the words to search for", where))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Client == nil {
		o.Client = &listen.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.OnState == nil {
		o.OnState = func(bool, string) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Listener{
		name: o.Name, service: strings.TrimRight(o.Service, "/"), handle: o.Handle, password: o.AppPassword,
		searches: o.Searches, every: o.Every, maxAge: o.MaxAge, filter: o.Filter, client: o.Client,
		log: o.Logger.With("source", SourceName(o.Name)), onState: o.OnState, now: o.Now,
		handed: map[string]time.Time{}, pending: map[string]postView{}, searched: map[string]map[string]bool{},
		followers: map[string]followers{},
	}, nil
}

// Receiver takes the posts a Listener hears; the core stores them.
type Receiver interface {
	Receive(ctx context.Context, in bot.Inbound) error
}

// Run polls until ctx ends, then returns nil. A poll that fails is logged
// and told to OnState, and the next one waits twice as long (up to 30
// minutes), or until Bluesky's rate limit resets. A poll of which only
// searches failed handed the mentions (and direct messages) it read: it
// is told to OnState as failing, but the next poll keeps the pace, so
// that mentions are not slowed by a search Bluesky sheds.
func (l *Listener) Run(ctx context.Context, r Receiver) error {
	failures := 0
	for {
		err := l.poll(ctx, r)
		wait := l.every
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if searchesOnly(err) {
				failures = 0
			} else {
				failures++
				wait = listen.Backoff(l.every, failures)
			}
			if until, busy := listen.IsBusy(err); busy {
				wait = max(wait, until.Sub(l.now()))
			}
			l.log.Warn("Bluesky poll failed", "err", err, "next_in", wait)
			l.onState(false, l.sentence(err))
		default:
			failures = 0
			l.onState(true, "")
		}
		if !listen.Wait(ctx, wait) {
			return nil
		}
	}
}

// sentence is what the health board says of a poll's error.
func (l *Listener) sentence(err error) string {
	var ae *authError
	if errors.As(err, &ae) {
		return ae.Error()
	}
	if until, busy := listen.IsBusy(err); busy {
		return fmt.Sprintf("Bluesky asked source %s to slow down: polling again after %s", l.name, until.UTC().Format(time.RFC3339))
	}
	if searchesOnly(err) {
		return fmt.Sprintf("Bluesky source %s: %s; its mentions are still taken, and the search is tried again at the next poll", l.name, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		host := l.service
		if u, perr := url.Parse(l.service); perr == nil && u.Host != "" {
			host = u.Host
		}
		return fmt.Sprintf("the Bluesky server %s of source %s cannot be reached (%v): check the network, any proxy, and the source's service", host, l.name, ue.Err)
	}
	return fmt.Sprintf("Bluesky source %s could not be polled: %v", l.name, err)
}

// searchesOnly says err is only searches that failed (*searchFailed),
// one or several: the poll handed the rest.
func searchesOnly(err error) bool {
	var sf *searchFailed
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !errors.As(e, &sf) {
				return false
			}
		}
		return len(j.Unwrap()) > 0
	}
	return errors.As(err, &sf)
}

// Check logs in once with the app password, as `caredesk doctor` asks;
// the error is the sentence the health board would show.
func (l *Listener) Check(ctx context.Context) error {
	if _, err := l.login(ctx); err != nil {
		return errors.New(l.sentence(err))
	}
	return nil
}
