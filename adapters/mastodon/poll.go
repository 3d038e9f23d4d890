package mastodon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
	"caredesk/listen"
)

// pageSize is how many notifications or statuses one request asks for,
// Mastodon's most for searches and timelines.
const pageSize = 40

// maxPages is how many pages one stream reads in one poll to catch up
// after a pause: 200 posts, and the rest on the next poll.
const maxPages = 5

// Run polls the brand's mentions and the searches every Options.Every
// until ctx ends, handing each new post to r; then it returns nil. A poll
// that fails is logged and told to OnState, and the next one waits
// longer (twice as long each time, up to 30 minutes, and at least as
// long as the instance asked).
func (l *Listener) Run(ctx context.Context, r Receiver) error {
	failures := 0
	for {
		err := l.poll(ctx, r)
		if ctx.Err() != nil {
			return nil
		}
		wait := l.o.Every
		var refused *receiveError
		switch {
		case errors.As(err, &refused):
			// The core could not store a post: Mastodon is fine, and
			// the post is asked for again on the next poll.
			l.log.Error("a Mastodon post was not stored; it is asked for again on the next poll", "err", err)
			l.o.OnState(true, "")
			failures = 0
		case err != nil:
			failures++
			l.log.Warn("polling Mastodon failed", "err", err, "failures", failures)
			l.o.OnState(false, l.reason(err))
			wait = listen.Backoff(l.o.Every, failures)
			if until, ok := listen.IsBusy(err); ok {
				wait = max(wait, time.Until(until))
			}
		default:
			failures = 0
			l.o.OnState(true, "")
		}
		if !listen.Wait(ctx, wait) {
			return nil
		}
	}
}

// receiveError is the core refusing a post: not Mastodon's fault.
type receiveError struct{ err error }

func (e *receiveError) Error() string { return "storing a post: " + e.err.Error() }
func (e *receiveError) Unwrap() error { return e.err }

// reason is the sentence the health board shows for a failed poll.
func (l *Listener) reason(err error) string {
	var api *apiError
	switch {
	case errors.As(err, &api) && api.Code == http.StatusUnauthorized:
		return fmt.Sprintf("Mastodon rejected the access token of source %s (401): create a new one under Preferences → Development with read and write:statuses scopes", l.o.Name)
	case errors.As(err, &api) && api.Code == http.StatusForbidden:
		return fmt.Sprintf("Mastodon refused source %s (403: %s): give its access token the read and write:statuses scopes under Preferences → Development", l.o.Name, api.Message)
	case errors.As(err, &api) && api.Code == http.StatusNotFound:
		return fmt.Sprintf("%s did not answer as a Mastodon server (404 for %s): check the instance of source %s", l.base, api.Route, l.o.Name)
	case errors.As(err, &api):
		return fmt.Sprintf("source %s: %v", l.o.Name, err)
	}
	if until, ok := listen.IsBusy(err); ok {
		return fmt.Sprintf("Mastodon at %s asks source %s to slow down; it polls again after %s", l.host(), l.o.Name, until.UTC().Format(time.RFC3339))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("the Mastodon instance %s of source %s cannot be reached (%v): check the network, any proxy, and the source's instance", l.host(), l.o.Name, ue.Err)
	}
	return fmt.Sprintf("source %s: %v", l.o.Name, err)
}

func (l *Listener) host() string {
	if u, err := url.Parse(l.base); err == nil {
		return u.Host
	}
	return l.base
}

// poll reads every stream once: mentions first, so that a post that is
// both a mention and a search result counts as a mention (which the
// filter does not judge), then the searches. A post is handed once per
// poll however many streams hold it.
func (l *Listener) poll(ctx context.Context, r Receiver) error {
	own, err := l.ownID(ctx)
	if err != nil {
		return err
	}
	handed := map[string]bool{}
	var refused error
	streams := append([]stream{l.mentionStream()}, l.searchStreams()...)
	for _, s := range streams {
		err := l.read(ctx, s, own, handed, r)
		var re *receiveError
		if errors.As(err, &re) {
			refused = cmp.Or(refused, err)
			continue
		}
		if err != nil {
			return err
		}
	}
	return refused
}

// Check asks Mastodon once whether the token works (verify_credentials),
// as `caredesk doctor` does; the error is the sentence the health board
// would show.
func (l *Listener) Check(ctx context.Context) error {
	if _, err := l.ownID(ctx); err != nil {
		return errors.New(l.reason(err))
	}
	return nil
}

// ownID returns the brand's account id, asking verify_credentials until
// it answers once.
func (l *Listener) ownID(ctx context.Context) (string, error) {
	l.mu.Lock()
	id := l.own
	l.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var a account
	if err := l.call(ctx, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, nil, "", "the brand's account", &a); err != nil {
		return "", err
	}
	if a.ID == "" {
		return "", fmt.Errorf("verify_credentials of %s named no account: is it a Mastodon server?", l.base)
	}
	l.mu.Lock()
	l.own = a.ID
	l.mu.Unlock()
	l.log.Info("listening on Mastodon", "account", a.Acct, "id", a.ID)
	return a.ID, nil
}

// item is one entry of a stream: its cursor (the notification's or the
// status's id), when it arrived, and the status (nil for an entry that
// is no post to take, like another kind of notification).
type item struct {
	cursor string
	at     time.Time // zero when the instance did not say
	status *status
}

// query is the paging of one request: min_id asks for the items just
// newer than it, oldest of them first on the instance's side; max_id for
// those just older, newest first.
type query struct{ minID, maxID string }

func (q query) set(v url.Values) url.Values {
	if q.minID != "" {
		v.Set("min_id", q.minID)
	}
	if q.maxID != "" {
		v.Set("max_id", q.maxID)
	}
	return v
}

// stream is one list the listener follows with its own cursor.
type stream struct {
	key     string // the cursor's name
	mention bool   // addressed to the brand: taken without the filter
	paged   bool   // min_id pages through everything newer, max_id back
	fetch   func(ctx context.Context, q query) ([]item, error)
}

func (l *Listener) mentionStream() stream {
	return stream{key: "mentions", mention: true, paged: true, fetch: func(ctx context.Context, pq query) ([]item, error) {
		q := pq.set(url.Values{"types[]": {"mention"}, "limit": {strconv.Itoa(pageSize)}})
		var list []notification
		if err := l.call(ctx, http.MethodGet, "/api/v1/notifications", q, nil, "", "the notifications", &list); err != nil {
			return nil, err
		}
		items := make([]item, 0, len(list))
		for _, n := range list {
			it := item{cursor: n.ID, at: listen.Time(n.CreatedAt)}
			if n.Type == "mention" && n.Status != nil {
				it.status = n.Status
				if it.at.IsZero() {
					it.at = listen.Time(n.Status.CreatedAt)
				}
			}
			items = append(items, it)
		}
		return items, nil
	}}
}

func (l *Listener) searchStreams() []stream {
	var out []stream
	for _, s := range l.o.Searches {
		s = strings.TrimSpace(s)
		if tag, ok := strings.CutPrefix(s, "#"); ok && !strings.ContainsAny(tag, " \t") {
			out = append(out, stream{key: "tag:" + strings.ToLower(tag), paged: true, fetch: func(ctx context.Context, pq query) ([]item, error) {
				q := pq.set(url.Values{"limit": {strconv.Itoa(pageSize)}})
				var list []status
				err := l.call(ctx, http.MethodGet, "/api/v1/timelines/tag/"+url.PathEscape(tag), q, nil, "", "the #"+tag+" timeline", &list)
				return statusItems(list), err
			}})
			continue
		}
		out = append(out, stream{key: "search:" + s, fetch: func(ctx context.Context, pq query) ([]item, error) {
			q := pq.set(url.Values{"q": {s}, "type": {"statuses"}, "resolve": {"false"}, "limit": {strconv.Itoa(pageSize)}})
			var found struct {
				Statuses []status `json:"statuses"`
			}
			err := l.call(ctx, http.MethodGet, "/api/v2/search", q, nil, "", "a search for "+strconv.Quote(s), &found)
			return statusItems(found.Statuses), err
		}})
	}
	return out
}

func statusItems(list []status) []item {
	items := make([]item, 0, len(list))
	for i := range list {
		items = append(items, item{cursor: list[i].ID, at: listen.Time(list[i].CreatedAt), status: &list[i]})
	}
	return items
}

// backfillPages is how many pages a stream without a cursor reads back
// at most (a listener that just started, after a restart or a failover):
// 400 posts within MaxAge.
const backfillPages = 10

// read hands the new posts of s, oldest first, and moves its cursor past
// each one handed or passed over. A post the receiver refuses, or whose
// thread the instance could not say, stops the stream there, so that the
// next poll asks for it again.
//
// A paged stream without a cursor reads back from its newest post
// (max_id), up to backfillPages pages and no further than MaxAge: the
// posts that waited while no listener ran. The core knows the ones it
// was handed before by their ids, so handing them again is harmless. A
// search has no order to page back in: its first poll takes the latest
// page.
func (l *Listener) read(ctx context.Context, s stream, own string, handed map[string]bool, r Receiver) error {
	cur := l.cursor(s.key)
	if cur == "" {
		var items []item
		var err error
		if s.paged {
			items, err = l.backfill(ctx, s)
		} else {
			items, err = s.fetch(ctx, query{})
		}
		if err != nil {
			return err
		}
		_, err = l.hand(ctx, s, items, "", own, handed, r)
		return err
	}
	for range maxPages {
		items, err := s.fetch(ctx, query{minID: cur})
		if err != nil {
			return err
		}
		start := cur
		if cur, err = l.hand(ctx, s, items, cur, own, handed, r); err != nil {
			return err
		}
		if !s.paged || cur == start || len(items) < pageSize {
			return nil
		}
	}
	return nil
}

// backfill reads the paged stream s back from its newest item, a page
// at a time, until a page is short, reaches past MaxAge, or
// backfillPages were read.
func (l *Listener) backfill(ctx context.Context, s stream) ([]item, error) {
	var all []item
	maxID := ""
	for range backfillPages {
		items, err := s.fetch(ctx, query{maxID: maxID})
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		var oldest item
		for _, it := range items {
			if it.cursor != "" && (oldest.cursor == "" || compareIDs(it.cursor, oldest.cursor) < 0) {
				oldest = it
			}
		}
		switch {
		case len(items) < pageSize, oldest.cursor == "":
			return all, nil // no more
		case maxID != "" && compareIDs(oldest.cursor, maxID) >= 0:
			return all, nil // an instance that ignored max_id
		case !oldest.at.IsZero() && l.o.Now().Sub(oldest.at) > l.o.MaxAge:
			return all, nil // older ones are not taken anyway
		}
		maxID = oldest.cursor
	}
	return all, nil
}

// hand hands items of s, oldest first, that are newer than cur and
// returns the new cursor, which it also keeps: the newest item handed or
// passed over, or beginning when s has no item yet. When the receiver
// refuses a post (a *receiveError) or the thread of a post cannot be
// told, the cursor stays before it.
func (l *Listener) hand(ctx context.Context, s stream, items []item, cur, own string, handed map[string]bool, r Receiver) (string, error) {
	slices.SortFunc(items, func(a, b item) int { return compareIDs(a.cursor, b.cursor) })
	for _, it := range items {
		if it.cursor == "" || cur != "" && compareIDs(it.cursor, cur) <= 0 {
			continue // an instance that ignored min_id, or a repeat
		}
		if it.status != nil {
			if in, ok := l.inbound(it.status, own, s.mention); ok && !handed[in.MessageID] {
				root, err := l.root(ctx, it.status)
				if err != nil {
					l.setCursor(s.key, cur)
					return cur, err
				}
				in.Conversation = root
				handed[in.MessageID] = true
				if err := r.Receive(ctx, in); err != nil {
					l.setCursor(s.key, cur)
					return cur, &receiveError{err}
				}
			}
		}
		cur = it.cursor
	}
	if cur == "" {
		// Nothing yet: the next poll takes everything from here on,
		// not the latest page alone.
		cur = beginning
	}
	l.setCursor(s.key, cur)
	return cur, nil
}

// beginning is the cursor of a stream that was empty when first read:
// older than any id.
const beginning = "0"

func (l *Listener) cursor(key string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cursors[key]
}

func (l *Listener) setCursor(key, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cursors[key] = id
}

// compareIDs orders Mastodon ids: numbers that grow with time, sent as
// strings (and sortable strings on servers like Pleroma).
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// inbound is st as the core takes it, its Conversation still its own id
// (hand sets the thread's root), or false when it is not one to take:
// the brand's own, a boost, too old, without an id, or (for a search
// result) not passing the filter.
func (l *Listener) inbound(st *status, own string, mention bool) (bot.Inbound, bool) {
	if st == nil || st.ID == "" || st.Account == nil || st.Account.ID == "" {
		l.log.Warn("a Mastodon status without an id or author was skipped")
		return bot.Inbound{}, false
	}
	if st.Account.ID == own || st.Reblog != nil {
		return bot.Inbound{}, false
	}
	at := listen.Time(st.CreatedAt) // zero, which the core reads as now, when it is not a time
	if !at.IsZero() && l.o.Now().Sub(at) > l.o.MaxAge {
		return bot.Inbound{}, false
	}
	text := listen.Text(st.Content)
	if cw := strings.TrimSpace(listen.Text(st.SpoilerText)); cw != "" {
		text = "CW: " + cw + "\n\n" + text
	}
	if !mention && !l.o.Filter.Match(text, st.Language) {
		return bot.Inbound{}, false
	}
	a := st.Account
	name := strings.TrimSpace(a.DisplayName)
	if name == "" {
		name = a.Username
	}
	public := st.URL
	if public == "" {
		public = st.URI
	}
	return bot.Inbound{
		Source:       SourceName(l.o.Name),
		MessageID:    st.ID,
		Conversation: st.ID,
		Customer:     bot.Customer{ID: a.ID, Name: name, Handle: a.Acct, ProfileURL: a.URL, Followers: a.FollowersCount},
		Text:         text,
		At:           at,
		Network:      Network,
		PostURL:      public,
		PostKey:      public,
		Language:     st.Language,
		// Followers-only posts are answered directly too (Send).
		Private: st.Visibility == "direct" || st.Visibility == "private",
	}, true
}
