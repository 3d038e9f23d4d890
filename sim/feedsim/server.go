// Package feedsim is a local web site that serves RSS and Atom feeds over
// loopback, as a forum, a complaint site, a subreddit or Google Alerts
// would, so that caredesk's feed listener can be driven without the
// internet.
//
// What it follows:
//
//   - RSS 2.0 (the RSS Advisory Board's specification): <rss
//     version="2.0"><channel> with title, link, description, language, and
//     items with title, link, guid (isPermaLink), description (HTML,
//     escaped), author ("email (name)"), pubDate (RFC 822 dates, written
//     with four-digit years as RFC 1123 does) and category; plus the
//     common extensions content:encoded (CDATA) and dc:creator, and an
//     atom:link rel="self" in the channel, as validators ask for.
//   - Atom 1.0 (RFC 4287): <feed> with id, title, link, updated and
//     xml:lang; entries with id, title (type text or html), link
//     rel="alternate", published, updated (RFC 3339), author (name, uri,
//     email), summary and content (type html) and category term. Google
//     Alerts' feeds are Atom whose links go through
//     https://www.google.com/url?...&url=<the page> (GoogleAlert).
//   - RSS 1.0 (RDF Site Summary): <rdf:RDF> with a channel and items
//     beside it, rdf:about, title, link, description, dc:creator, dc:date
//     and dc:language.
//   - HTTP conditional requests (RFC 9110 section 13): every feed has a
//     strong ETag (a hash of its bytes) and a Last-Modified (when it last
//     changed, to the second). A GET with If-None-Match naming the current
//     ETag is answered 304 Not Modified without a body; If-Modified-Since
//     is only looked at when If-None-Match is absent (13.1.3), and a date
//     not before Last-Modified is a 304 too.
//
// What it does not: HEAD, ranges, gzip, redirects, authentication, and
// any charset conversion beyond the single-byte ones Feed.Encoding names.
//
// Tests, end-to-end runs of the binary and `caredesk demo` publish feeds
// from Go values (SetFeed, AddItem, GoogleAlert) or bytes (SetRaw, for a
// web page, broken XML or a huge body), break the site on purpose
// (FailNext, IgnoreConditional) and measure what polling costs
// (Requests, NotModified, Bytes), waiting on it with Wait instead of
// sleeping. It is ordinary code, not a test helper, so that a demo can
// run it.
package feedsim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"caredesk/sim/change"
)

// Server is a running feed site. All methods are safe for concurrent use.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{} // closed when Serve returned

	mu      sync.Mutex
	changed change.Signal // see Wait
	now     func() time.Time
	paths   map[string]*page
}

// page is what the site serves at one path, and what it served there.
type page struct {
	format       Format
	feed         *Feed // nil for raw bodies
	body         []byte
	contentType  string
	etag         string
	lastModified time.Time
	ignoreCond   bool // answer every request in full, as sites without validators do

	faults      []fault
	requests    int
	notModified int
	bytes       int64
}

type fault struct {
	status     int
	retryAfter string
}

// New starts a feed site on a free loopback port. It serves nothing
// until SetFeed, AddItem or SetRaw; other paths are 404.
func New() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("feedsim: listen on loopback: %w", err)
	}
	s := &Server{ln: ln, done: make(chan struct{}), now: time.Now, paths: map[string]*page{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// URL is the address of path on the site, like URL("/feed.xml").
func (s *Server) URL(path string) string { return "http://" + s.ln.Addr().String() + path }

// Close stops the site; requests under way are cut off.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// SetNow gives the site a clock for Last-Modified; time.Now when nil.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now == nil {
		now = time.Now
	}
	s.now = now
}

// SetFeed publishes feed at path in format, replacing what was there. Its
// ETag and Last-Modified change only when its bytes do, as a site's
// cache would. It returns an error only for a feed that cannot be
// encoded.
func (s *Server) SetFeed(path string, format Format, feed Feed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setFeed(path, format, feed)
}

// AddItem puts item on top of the feed at path, as a new post does. A
// path without a feed gets an RSS feed named after it.
func (s *Server) AddItem(path string, item Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.page(path)
	feed, format := Feed{Title: "feed " + path, Link: "https://site.example" + path}, RSS
	if p.feed != nil {
		feed, format = *p.feed, p.format
	}
	feed.Items = append([]Item{item}, feed.Items...)
	return s.setFeed(path, format, feed)
}

// setFeed renders and publishes feed; s.mu is held, so that two AddItems
// cannot lose one another's item.
func (s *Server) setFeed(path string, format Format, feed Feed) error {
	body, err := Render(format, feed)
	if err != nil {
		return err
	}
	p := s.page(path)
	p.format, p.feed = format, &feed
	p.feed.Items = append([]Item(nil), feed.Items...)
	s.publish(p, body, format.contentType())
	return nil
}

// SetRaw serves body at path as contentType, for what is not a feed: a
// web page, broken XML, a body larger than a reader takes.
func (s *Server) SetRaw(path, contentType string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.page(path)
	p.feed = nil
	s.publish(p, body, contentType)
}

// IgnoreConditional makes path answer every request in full, with no
// ETag nor Last-Modified, as many small sites do: a reader must then
// tell new items from old by itself.
func (s *Server) IgnoreConditional(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.page(path).ignoreCond = true
}

// FailNext makes the next n requests for path fail with status, and
// Retry-After: retryAfter when it is not "" (seconds or an HTTP date).
func (s *Server) FailNext(path string, n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.page(path)
	for range n {
		p.faults = append(p.faults, fault{status: status, retryAfter: retryAfter})
	}
}

// Requests is how many requests path took, failed, 304 and full.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.page(path).requests
}

// NotModified is how many requests for path were answered 304.
func (s *Server) NotModified(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.page(path).notModified
}

// Bytes is how many body bytes path sent in all.
func (s *Server) Bytes(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.page(path).bytes
}

// ETag is the current entity tag of path, "" for none.
func (s *Server) ETag(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.page(path).etag
}

// Wait returns nil as soon as cond is true, re-checking it whenever the
// site answers a request or changes a feed, or an error when ctx ends
// first. cond must not block; it may call the Server's methods.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	if err := s.changed.Wait(ctx, cond); err != nil {
		return fmt.Errorf("feedsim: condition not met: %w", err)
	}
	return nil
}

// page returns path's page, made empty when new. s.mu is held.
func (s *Server) page(path string) *page {
	p := s.paths[path]
	if p == nil {
		p = &page{}
		s.paths[path] = p
	}
	return p
}

// publish sets p's body, with new validators when the bytes changed.
// s.mu is held.
func (s *Server) publish(p *page, body []byte, contentType string) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if etag != p.etag {
		p.etag = etag
		p.lastModified = s.now().UTC().Truncate(time.Second)
	}
	p.body, p.contentType = body, contentType
	s.changed.Notify()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, ok := s.answer(w, r)
	if !ok {
		return
	}
	// The body is written without the lock, so that a slow reader of a
	// huge feed does not stop the test that drives the site.
	n, _ := w.Write(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paths[r.URL.Path].bytes += int64(n)
	s.changed.Notify()
}

// answer writes the status and headers of r's answer, and returns the
// body still to write when there is one.
func (s *Server) answer(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changed.Notify()
	p, ok := s.paths[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return nil, false
	}
	p.requests++
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "only GET", http.StatusMethodNotAllowed)
		return nil, false
	}
	if len(p.faults) > 0 {
		f := p.faults[0]
		p.faults = p.faults[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, "simulated failure", f.status)
		return nil, false
	}
	if p.body == nil {
		http.NotFound(w, r)
		return nil, false
	}
	h := w.Header()
	h.Set("Content-Type", p.contentType)
	if !p.ignoreCond {
		h.Set("ETag", p.etag)
		h.Set("Last-Modified", p.lastModified.Format(http.TimeFormat))
		if notModified(r, p) {
			p.notModified++
			w.WriteHeader(http.StatusNotModified)
			return nil, false
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	return p.body, true
}

// notModified applies RFC 9110's order: If-None-Match when present (a
// weak comparison, as 13.1.2 asks for GET), else If-Modified-Since.
func notModified(r *http.Request, p *page) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return matchesETag(inm, p.etag)
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	return err == nil && !p.lastModified.After(ims)
}

// matchesETag reports whether a list of entity tags ("*" or `"a", W/"b"`)
// names etag.
func matchesETag(list, etag string) bool {
	for _, tag := range splitTags(list) {
		if tag == "*" || trimWeak(tag) == trimWeak(etag) {
			return true
		}
	}
	return false
}

func splitTags(list string) []string {
	var tags []string
	cur := []byte{}
	quoted := false
	for i := 0; i < len(list); i++ {
		c := list[i]
		switch {
		case c == '"':
			quoted = !quoted
			cur = append(cur, c)
		case c == ',' && !quoted:
			tags = append(tags, string(cur))
			cur = cur[:0]
		case (c == ' ' || c == '\t') && !quoted:
		default:
			cur = append(cur, c)
		}
	}
	return append(tags, string(cur))
}

func trimWeak(tag string) string {
	if len(tag) > 2 && tag[:2] == "W/" {
		return tag[2:]
	}
	return tag
}
