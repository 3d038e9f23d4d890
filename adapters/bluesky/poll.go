package bluesky

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
	"caredesk/listen"
)

// postView is a post as the AppView shows it (app.bsky.feed.defs#postView),
// and as a notification carries it (uri, cid, author, record, indexedAt,
// plus reason).
type postView struct {
	URI       string     `json:"uri"`
	CID       string     `json:"cid"`
	Author    author     `json:"author"`
	Record    postRecord `json:"record"`
	IndexedAt string     `json:"indexedAt"`
	Reason    string     `json:"reason"` // notifications only
}

type author struct {
	DID            string `json:"did"`
	Handle         string `json:"handle"`
	DisplayName    string `json:"displayName"`
	FollowersCount *int   `json:"followersCount"`
}

// postRecord is an app.bsky.feed.post record, as much as caredesk reads.
type postRecord struct {
	Type      string   `json:"$type"`
	Text      string   `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs,omitempty"`
	Reply     *reply   `json:"reply,omitempty"`
}

type reply struct {
	Root   strongRef `json:"root"`
	Parent strongRef `json:"parent"`
}

// strongRef is com.atproto.repo.strongRef: a record and its version.
type strongRef struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

// maxNotePages is how many pages of notifications one poll reads at most,
// so that a first start or a storm does not page back for ever.
const maxNotePages = 5

// Paging of a search: the first page is small, as most polls find few
// new posts; a burst pages on in bigger ones (searchPosts takes up to
// 100), at most maxSearchPages in one poll.
const (
	searchFirstPage = 10
	searchMorePages = 100
	maxSearchPages  = 10
)

// searchFailed is a poll that handed the notifications (and direct
// messages) it read, but one of whose searches failed: it is read again,
// as far back as it must, on the next poll.
type searchFailed struct {
	query string
	err   error
}

func (e *searchFailed) Error() string {
	return fmt.Sprintf("the search %q failed: %v", e.query, e.err)
}

func (e *searchFailed) Unwrap() error { return e.err }

// poll hands r the posts that are new since the last poll: mentions,
// replies and quotes from the notifications, search results that pass
// the filter, and unread direct messages. A post that both found is
// handed once; a post r refused is handed again next time.
//
// A failing notifications call fails the poll and hands nothing; a
// failing search does not hold back the rest: what was read is handed,
// and the error (a *searchFailed) is returned with the direct messages'.
func (l *Listener) poll(ctx context.Context, r Receiver) error {
	s, err := l.session(ctx)
	if err != nil {
		return err
	}
	now := l.now()
	cutoff := now.Add(-l.maxAge)
	found := map[string]postView{}
	l.mu.Lock()
	for uri, p := range l.pending {
		found[uri] = p
	}
	l.mu.Unlock()
	newest, err := l.notifications(ctx, cutoff, found)
	if err != nil {
		return err
	}
	var problems []error
	for _, q := range l.searches {
		if err := l.search(ctx, q, cutoff, found); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			l.log.Warn("a Bluesky search failed; it is read again at the next poll", "query", q, "err", err)
			problems = append(problems, &searchFailed{query: q, err: err})
		}
	}
	l.mu.Lock()
	// Each post's time is worked out once: sorting and recording use it,
	// and a post with no time of its own takes now's.
	type heard struct {
		p  postView
		at time.Time
	}
	var fresh []heard
	for uri, p := range found {
		if _, done := l.handed[uri]; done || p.Author.DID == s.did || p.Author.DID == "" || p.URI == "" {
			delete(l.pending, uri)
			continue
		}
		at := l.postedAt(p)
		if at.Before(cutoff) {
			delete(l.pending, uri)
			continue
		}
		fresh = append(fresh, heard{p, at})
	}
	for uri, at := range l.handed {
		if at.Before(cutoff.Add(-24 * time.Hour)) {
			delete(l.handed, uri)
		}
	}
	l.mu.Unlock()
	slices.SortFunc(fresh, func(a, b heard) int { return a.at.Compare(b.at) })
	for _, h := range fresh {
		p := h.p
		in := l.inbound(ctx, p, h.at)
		if err := r.Receive(ctx, in); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			l.log.Error("a Bluesky post was not stored; it is handed again at the next poll", "uri", p.URI, "err", err)
			// Kept, since neither the notifications nor the search may
			// read it again: both page back only to what they read.
			l.mu.Lock()
			l.pending[p.URI] = p
			l.mu.Unlock()
			continue
		}
		l.mu.Lock()
		l.handed[p.URI] = h.at
		delete(l.pending, p.URI)
		l.mu.Unlock()
	}
	if !newest.IsZero() {
		l.mu.Lock()
		l.notesSince = newest
		l.mu.Unlock()
	}
	if err := l.directMessages(ctx, r, s.did, cutoff); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// notifications adds to found the mentions, replies and quotes among the
// brand's notifications, paging back to those the last poll read, and
// returns the newest one's indexedAt.
func (l *Listener) notifications(ctx context.Context, cutoff time.Time, found map[string]postView) (time.Time, error) {
	l.mu.Lock()
	since := l.notesSince
	l.mu.Unlock()
	firstPoll := since.IsZero()
	if since.Before(cutoff) {
		since = cutoff
	}
	var newest time.Time
	cursor := ""
	for range maxNotePages {
		// After the first poll, a minute's notifications are a few: a
		// short first page keeps a quiet poll small (the AppView answers
		// whole post views, a kilobyte each), and paging goes on as far
		// as a busy minute needs.
		limit := "50"
		if cursor == "" && !firstPoll {
			limit = "10"
		}
		q := url.Values{"limit": {limit}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Notifications []postView `json:"notifications"`
			Cursor        string     `json:"cursor"`
		}
		if err := l.call(ctx, "app.bsky.notification.listNotifications", q, nil, &page); err != nil {
			return time.Time{}, err
		}
		older := false
		for _, n := range page.Notifications {
			at := listen.Time(n.IndexedAt)
			if at.After(newest) {
				newest = at
			}
			if !at.IsZero() && at.Before(since) {
				older = true
			}
			switch n.Reason {
			case "mention", "reply", "quote":
				found[n.URI] = n
			}
		}
		if older || page.Cursor == "" || page.Cursor == cursor || len(page.Notifications) == 0 {
			break
		}
		cursor = page.Cursor
	}
	return newest, nil
}

// search adds to found the latest posts of the query q that the filter
// takes. It pages back (sort=latest, newest first, with the cursor
// searchPosts returns) until a page holds a post the query's last
// successful poll read, or posts older than cutoff, or the results end,
// so that a burst of posts between two polls is all read; at most
// maxSearchPages pages. When a page fails, what the query read is not
// remembered, so the next poll pages back as far again.
func (l *Listener) search(ctx context.Context, q string, cutoff time.Time, found map[string]postView) error {
	l.mu.Lock()
	before := l.searched[q]
	l.mu.Unlock()
	read := map[string]bool{}
	cursor, limit := "", searchFirstPage
	for n := 0; ; n++ {
		if n == maxSearchPages {
			l.log.Warn("more Bluesky posts matched a search since the last poll than one poll reads; the oldest of them are not taken", "query", q, "read", len(read))
			break
		}
		query := url.Values{"q": {q}, "limit": {strconv.Itoa(limit)}, "sort": {"latest"}}
		if cursor != "" {
			query.Set("cursor", cursor)
		}
		var page struct {
			Posts  []postView `json:"posts"`
			Cursor string     `json:"cursor"`
		}
		if err := l.call(ctx, "app.bsky.feed.searchPosts", query, nil, &page); err != nil {
			return err
		}
		reached := false
		for _, p := range page.Posts {
			read[p.URI] = true
			if before[p.URI] {
				reached = true
			}
			if _, ok := found[p.URI]; ok {
				continue
			}
			if l.filter.Match(p.Record.Text, firstLang(p.Record.Langs)) {
				found[p.URI] = p
			}
		}
		// Newest first: the page's last post is its oldest.
		if len(page.Posts) > 0 && l.postedAt(page.Posts[len(page.Posts)-1]).Before(cutoff) {
			reached = true
		}
		if reached || page.Cursor == "" || page.Cursor == cursor || len(page.Posts) == 0 {
			break
		}
		cursor, limit = page.Cursor, searchMorePages
	}
	if len(read) > 0 {
		l.mu.Lock()
		l.searched[q] = read
		l.mu.Unlock()
	}
	return nil
}

// inbound is p as the core takes it.
func (l *Listener) inbound(ctx context.Context, p postView, at time.Time) bot.Inbound {
	name := p.Author.DisplayName
	if strings.TrimSpace(name) == "" {
		name = p.Author.Handle
	}
	public := postURL(p.URI, p.Author)
	return bot.Inbound{
		Source:       SourceName(l.name),
		MessageID:    p.URI,
		Conversation: thread(p),
		Customer: bot.Customer{
			ID: p.Author.DID, Name: name, Handle: p.Author.Handle,
			ProfileURL: "https://bsky.app/profile/" + profileID(p.Author),
			Followers:  l.reach(ctx, p.Author),
		},
		Text:     p.Record.Text,
		At:       at,
		Network:  Network,
		PostURL:  public,
		PostKey:  public, // as a feed or a link names the post
		Language: firstLang(p.Record.Langs),
	}
}

// thread is the conversation p belongs to: its thread's first post (the
// root of its record's reply), or p itself when it starts one. A
// customer's answer in the brand's thread thus joins the ticket of their
// first post; the core keeps each customer's tickets apart.
func thread(p postView) string {
	if p.Record.Reply != nil && strings.HasPrefix(p.Record.Reply.Root.URI, "at://") {
		return p.Record.Reply.Root.URI
	}
	return p.URI
}

// followersTTL is how long an author's count of followers is believed.
const followersTTL = 24 * time.Hour

// reach is how many followers a has: as the post says, or as getProfile
// says (remembered a day), or 0 when Bluesky would not say.
func (l *Listener) reach(ctx context.Context, a author) int {
	if a.FollowersCount != nil {
		return *a.FollowersCount
	}
	l.mu.Lock()
	f, ok := l.followers[a.DID]
	l.mu.Unlock()
	if ok && l.now().Sub(f.at) < followersTTL {
		return f.n
	}
	var profile struct {
		FollowersCount int `json:"followersCount"`
	}
	if err := l.call(ctx, "app.bsky.actor.getProfile", url.Values{"actor": {a.DID}}, nil, &profile); err != nil {
		l.log.Warn("could not learn a Bluesky author's followers", "did", a.DID, "err", err)
		return 0
	}
	l.mu.Lock()
	l.followers[a.DID] = followers{n: profile.FollowersCount, at: l.now()}
	l.mu.Unlock()
	return profile.FollowersCount
}

// postedAt is when p was written: its record's createdAt, unless that is
// missing or ahead of when Bluesky saw it (a client's clock is anyone's),
// then its indexedAt.
func (l *Listener) postedAt(p postView) time.Time {
	created, indexed := listen.Time(p.Record.CreatedAt), listen.Time(p.IndexedAt)
	switch {
	case !created.IsZero() && (indexed.IsZero() || !created.After(indexed.Add(5*time.Minute))):
		return created
	case !indexed.IsZero():
		return indexed
	}
	return l.now()
}

func firstLang(langs []string) string {
	if len(langs) == 0 {
		return ""
	}
	return langs[0]
}

// profileID is how bsky.app names a in addresses: its handle, or its DID
// when the handle does not resolve ("handle.invalid").
func profileID(a author) string {
	if a.Handle == "" || a.Handle == "handle.invalid" {
		return a.DID
	}
	return a.Handle
}

// postURL is the bsky.app address of the post uri
// (at://DID/app.bsky.feed.post/RKEY) by a.
func postURL(uri string, a author) string {
	rkey := uri[strings.LastIndexByte(uri, '/')+1:]
	return "https://bsky.app/profile/" + profileID(a) + "/post/" + url.PathEscape(rkey)
}
