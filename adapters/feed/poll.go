package feed

import (
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

// accept prefers feeds, and takes anything, since many sites serve their
// feeds as text/html or text/plain.
const accept = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"

// poll asks for the feed once and hands its new items to r. Its error is
// a sentence for the health board.
func (l *Listener) poll(ctx context.Context, r Receiver) error {
	doc, etag, lastModified, err := l.load(ctx)
	if err != nil || doc == nil {
		return err // nil doc: 304, nothing changed
	}
	if l.hand(ctx, r, doc) {
		// Every item is stored: the next poll may be a 304. Otherwise the
		// old validators stay, so that the next poll reads the feed again
		// and hands what was not taken.
		l.etag, l.lastModified = etag, lastModified
	}
	return nil
}

// load fetches and parses the feed; a nil doc with a nil error is a 304.
func (l *Listener) load(ctx context.Context) (doc *Document, etag, lastModified string, err error) {
	body, etag, lastModified, err := l.fetch(ctx)
	if err != nil || body == nil {
		return nil, "", "", err
	}
	doc, err = Parse(body)
	if err != nil {
		var cs charsetError
		if errors.As(err, &cs) {
			return nil, "", "", fmt.Errorf("the feed at %s is %w", l.where(), err)
		}
		return nil, "", "", fmt.Errorf("the page at %s is %w", l.where(), err)
	}
	return doc, etag, lastModified, nil
}

// Check reads the feed once, unconditionally, as `caredesk doctor` asks:
// nil when it answers and is a feed; the error is the sentence a poll's
// failure would show. It hands nothing to the core.
func (l *Listener) Check(ctx context.Context) error {
	probe := &Listener{o: l.o, url: l.url} // without validators: a 304 would say nothing
	_, _, _, err := probe.load(ctx)
	return err
}

// fetch GETs the feed, conditionally when an earlier answer had
// validators. A nil body with a nil error is a 304.
func (l *Listener) fetch(ctx context.Context) (body []byte, etag, lastModified string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url.String(), nil)
	if err != nil {
		return nil, "", "", fmt.Errorf("the feed's address %s cannot be asked: %v", l.where(), err)
	}
	req.Header.Set("Accept", accept)
	if l.etag != "" {
		req.Header.Set("If-None-Match", l.etag)
	}
	if l.lastModified != "" {
		req.Header.Set("If-Modified-Since", l.lastModified)
	}
	resp, err := l.o.Client.Do(req)
	if err != nil {
		if _, busy := listen.IsBusy(err); busy || ctx.Err() != nil {
			return nil, "", "", err
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the address is said once, without its query
		}
		return nil, "", "", fmt.Errorf("the feed at %s cannot be reached (%v): check the network, any proxy, and the source's url", l.url.Host, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, "", "", nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, "", "", fmt.Errorf("the feed at %s refuses caredesk (%s): it may be private or closed to robots; open it in a browser to see", l.where(), resp.Status)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, "", "", fmt.Errorf("there is no feed at %s (%s): check the source's url", l.where(), resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, "", "", fmt.Errorf("the feed at %s answered %s", l.where(), resp.Status)
	}
	body, err = l.read(resp)
	if err != nil {
		return nil, "", "", err
	}
	return body, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), nil
}

// read reads the body, at most MaxBytes: a longer one is refused whole,
// since half a feed is broken XML.
func (l *Listener) read(resp *http.Response) ([]byte, error) {
	b, err := listen.ReadBody(resp, l.o.MaxBytes)
	var large *listen.TooLargeError
	switch {
	case errors.As(err, &large):
		return nil, fmt.Errorf("the feed at %s is larger than %s", l.url.Host, size(l.o.MaxBytes))
	case err != nil:
		return nil, fmt.Errorf("the feed at %s broke off (%v)", l.url.Host, err)
	}
	return b, nil
}

// size says n bytes in MiB, KiB or bytes, whichever is whole.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// where is the feed's address without its query, which may hold a key.
func (l *Listener) where() string {
	return l.url.Scheme + "://" + l.url.Host + l.url.Path
}

// hand gives r the items of doc not handed by the last poll, each once.
// It reports whether r took every one.
func (l *Listener) hand(ctx context.Context, r Receiver, doc *Document) bool {
	now := l.o.Now()
	display := l.display(doc)
	seen := make(map[string]bool, len(doc.Entries))
	links := make(map[string]string, len(doc.Entries))
	all := true
	for _, e := range doc.Entries {
		link := l.canonical(e.Link)
		// The same item twice in one feed is handed once.
		if e.KeyFrom == "link" && link != "" {
			e.Key = link // a relative link, made absolute: the same page however written
		}
		if seen[e.Key] {
			continue
		}
		seen[e.Key] = true
		if link != "" {
			links[e.Key] = link
		}
		if l.seen[e.Key] {
			continue
		}
		if e.KeyFrom != "id" {
			l.o.Logger.Info("feed item without an id: known by its "+e.KeyFrom, "key", e.Key, "title", e.Title)
		}
		in, skip := l.inbound(e, doc, link, display, now)
		if skip != "" {
			l.o.Logger.Debug("feed item not taken: "+skip, "key", e.Key, "title", e.Title)
			continue
		}
		if err := r.Receive(ctx, in); err != nil {
			l.o.Logger.Warn("feed item not stored; it is handed again on the next poll", "key", e.Key, "err", err)
			delete(seen, e.Key)
			all = false
			if ctx.Err() != nil {
				break
			}
		}
	}
	l.seen = seen
	l.mu.Lock()
	l.links = links
	l.mu.Unlock()
	return all
}

// inbound is e as the core takes it, or why it is not taken.
func (l *Listener) inbound(e Entry, doc *Document, link, display string, now time.Time) (bot.Inbound, string) {
	if e.Title == "" && e.Excerpt == "" && link == "" {
		return bot.Inbound{}, "it is empty"
	}
	if l.skip[strings.ToLower(e.AuthorName)] || l.skip[strings.ToLower(e.AuthorURI)] {
		return bot.Inbound{}, "the brand's own"
	}
	if !e.At.IsZero() && now.Sub(e.At) > l.o.MaxAge {
		return bot.Inbound{}, "older than max_age"
	}
	if !l.o.Filter.Match(e.Title+" "+e.Excerpt, e.Language) {
		return bot.Inbound{}, "the filter does not match"
	}
	// Without an author, the customer is the site the post is on: for a
	// forum's feed that is the feed's own site, for Google Alerts the
	// page's, not google.com's.
	site, siteName := l.url.Hostname(), first(doc.Title, l.url.Hostname())
	if u, err := url.Parse(link); err == nil && u.Hostname() != "" && u.Hostname() != site {
		site, siteName = u.Hostname(), u.Hostname()
	}
	profile := l.canonical(e.AuthorURI)
	c := bot.Customer{ID: first(profile, e.AuthorURI, e.AuthorName, site), Name: first(e.AuthorName, siteName), ProfileURL: profile}
	return bot.Inbound{
		Source:       SourceName(l.o.Name),
		MessageID:    e.Key,
		Conversation: e.Key,
		Customer:     c,
		Text:         text(e.Title, e.Excerpt),
		At:           e.At,
		Network:      display,
		PostURL:      link,
		PostKey:      link,
		Language:     e.Language,
	}, ""
}

// text is the title, a blank line, then the excerpt; one of them when the
// other is empty or repeats it, as feeds whose description is the title.
func text(title, excerpt string) string {
	switch {
	case excerpt == "" || excerpt == title:
		return title
	case title == "" || strings.HasPrefix(excerpt, title+"\n"):
		return excerpt
	}
	return title + "\n\n" + excerpt
}

func (l *Listener) display(doc *Document) string {
	return first(l.o.Display, doc.Title, l.url.Hostname())
}

// tracking are query parameters that say who shared a link, not which
// page it is: the same post shared twice is one post.
// Any utm_ parameter is one too.
var tracking = []string{"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "ref_src", "ref_url", "_hsenc", "_hsmi"}

// canonical is link as the post's public identity: made absolute against
// the feed's address, only http or https (a javascript: link is no
// post), host in lower case, no default port, no text fragment, no tracking
// parameters. "" when link is none of that.
func (l *Listener) canonical(link string) string {
	if link == "" {
		return ""
	}
	u, err := l.url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.Host = strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		u.Host = strings.TrimSuffix(u.Host, ":"+port)
	}
	// A fragment can be the item itself (a blog's #comment-4, a forum's
	// #p102 on the topic's page): two people's posts must not share a
	// key. Only a text fragment (#:~:text=…, which search engines add) is
	// no part of what the post is.
	if strings.HasPrefix(u.Fragment, ":~:") {
		u.Fragment, u.RawFragment = "", ""
	}
	u.User = nil
	if u.RawQuery != "" {
		q := u.Query()
		dropped := false
		for k := range q {
			if strings.HasPrefix(strings.ToLower(k), "utm_") || slices.Contains(tracking, strings.ToLower(k)) {
				q.Del(k)
				dropped = true
			}
		}
		if dropped {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}
