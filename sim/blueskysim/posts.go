package blueskysim

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Ref is a strong reference to a record: its at:// URI and its CID.
type Ref struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

// Post is an app.bsky.feed.post record on the simulated network.
type Post struct {
	URI       string
	CID       string
	RKey      string
	Author    Account
	Text      string
	Langs     []string
	CreatedAt string // as the record says, RFC 3339
	IndexedAt time.Time
	Root      *Ref // the thread's first post, for a reply
	Parent    *Ref // the post it answers, for a reply
	Quote     *Ref // the post it quotes
	Deleted   bool
}

// PostOption changes a post a helper makes.
type PostOption func(*Post)

// Langs says which languages the post is in (its record's langs).
func Langs(langs ...string) PostOption { return func(p *Post) { p.Langs = langs } }

// At dates the post: its createdAt and indexedAt.
func At(t time.Time) PostOption {
	return func(p *Post) { p.CreatedAt, p.IndexedAt = t.UTC().Format(time.RFC3339Nano), t }
}

// notification is one entry of the brand's notifications.
type notification struct {
	post   *Post
	reason string
}

// Post publishes a post by handle, with no notification to the brand
// unless it mentions, answers or quotes the brand's (Mention, Reply,
// Quote do that), and returns its at:// URI.
func (s *Server) Post(handle, text string, opts ...PostOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publish(handle, text, opts...).URI
}

// Mention publishes a post by handle that mentions the brand ("@" and its
// handle are added to text when text does not hold them) and notifies the
// brand of it, and returns its URI.
func (s *Server) Mention(handle, text string, opts ...PostOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.Contains(text, "@"+s.brand.Handle) {
		text = "@" + s.brand.Handle + " " + text
	}
	p := s.publish(handle, text, opts...)
	s.notes = append(s.notes, notification{post: p, reason: "mention"})
	return p.URI
}

// Reply publishes handle's answer to the post parentURI, in that post's
// thread, and notifies the brand, as Bluesky does, when the parent or the
// thread's first post is the brand's. It
// returns its URI, or "" when there is no such post.
func (s *Server) Reply(handle, parentURI, text string, opts ...PostOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := s.byURI[parentURI]
	if parent == nil {
		return ""
	}
	root := &Ref{URI: parent.URI, CID: parent.CID}
	if parent.Root != nil {
		root = parent.Root
	}
	opts = append(opts, func(p *Post) { p.Root, p.Parent = root, &Ref{URI: parent.URI, CID: parent.CID} })
	p := s.publish(handle, text, opts...)
	if top := s.byURI[root.URI]; parent.Author.DID == s.brand.DID || top != nil && top.Author.DID == s.brand.DID {
		s.notes = append(s.notes, notification{post: p, reason: "reply"})
	}
	return p.URI
}

// Quote publishes handle's post quoting quotedURI, and notifies the brand
// when the quoted post is the brand's. It returns its URI.
func (s *Server) Quote(handle, quotedURI, text string, opts ...PostOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.byURI[quotedURI]
	if q == nil {
		return ""
	}
	opts = append(opts, func(p *Post) { p.Quote = &Ref{URI: q.URI, CID: q.CID} })
	p := s.publish(handle, text, opts...)
	if q.Author.DID == s.brand.DID {
		s.notes = append(s.notes, notification{post: p, reason: "quote"})
	}
	return p.URI
}

// Delete deletes the post uri, as its author does: it is gone from
// searches, notifications and getPosts.
func (s *Server) Delete(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.byURI[uri]; p != nil {
		p.Deleted = true
	}
	s.changed.Notify()
}

// Posts returns every post not deleted, in the order they were made.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, p := range s.posts {
		if !p.Deleted {
			out = append(out, *p)
		}
	}
	return out
}

// BrandPosts returns the posts the brand made (through createRecord), in
// order, with their record keys and reply references.
func (s *Server) BrandPosts() []Post {
	var out []Post
	for _, p := range s.Posts() {
		if p.Author.DID == s.Brand().DID {
			out = append(out, p)
		}
	}
	return out
}

// publish stores a post by handle; the caller holds s.mu.
func (s *Server) publish(handle, text string, opts ...PostOption) *Post {
	now := s.now()
	s.seq++
	p := &Post{Author: *s.account(handle), Text: text, CreatedAt: now.UTC().Format(time.RFC3339Nano), IndexedAt: now,
		RKey: tid(now.Add(time.Duration(s.seq)*time.Microsecond), uint16(s.seq))}
	for _, o := range opts {
		o(p)
	}
	s.store(p)
	return p
}

// store gives p its URI and CID and keeps it; the caller holds s.mu.
func (s *Server) store(p *Post) {
	p.URI = "at://" + p.Author.DID + "/app.bsky.feed.post/" + p.RKey
	body, _ := json.Marshal(s.record(p))
	p.CID = cid(body)
	s.posts = append(s.posts, p)
	s.byURI[p.URI] = p
	s.changed.Notify()
}

// record is p's app.bsky.feed.post record as JSON has it.
func (s *Server) record(p *Post) map[string]any {
	r := map[string]any{"$type": "app.bsky.feed.post", "text": p.Text, "createdAt": p.CreatedAt}
	if len(p.Langs) > 0 {
		r["langs"] = p.Langs
	}
	if p.Parent != nil {
		r["reply"] = map[string]any{"root": p.Root, "parent": p.Parent}
	}
	if p.Quote != nil {
		r["embed"] = map[string]any{"$type": "app.bsky.embed.record", "record": p.Quote}
	}
	return r
}

// view is p as app.bsky.feed.defs#postView.
func (s *Server) view(p *Post) map[string]any {
	return map[string]any{
		"uri": p.URI, "cid": p.CID, "author": basic(p.Author), "record": s.record(p),
		"replyCount": 0, "repostCount": 0, "likeCount": 0, "indexedAt": p.IndexedAt.UTC().Format(time.RFC3339Nano),
	}
}

// basic is app.bsky.actor.defs#profileViewBasic, which carries no counts.
func basic(a Account) map[string]any {
	v := map[string]any{"did": a.DID, "handle": a.Handle}
	if a.DisplayName != "" {
		v["displayName"] = a.DisplayName
	}
	return v
}

// listNotifications answers the brand's notifications, newest first; the
// cursor pages to older ones.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	limit := limitOf(r, 50, 100)
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	var live []notification
	for i := len(s.notes) - 1; i >= 0; i-- {
		if !s.notes[i].post.Deleted {
			live = append(live, s.notes[i])
		}
	}
	out := []map[string]any{}
	end := min(start+limit, len(live))
	for _, n := range live[min(start, end):end] {
		out = append(out, map[string]any{
			"uri": n.post.URI, "cid": n.post.CID, "author": basic(n.post.Author), "reason": n.reason,
			"record": s.record(n.post), "isRead": false, "indexedAt": n.post.IndexedAt.UTC().Format(time.RFC3339Nano),
		})
	}
	answer := map[string]any{"notifications": out}
	if end < len(live) {
		answer["cursor"] = strconv.Itoa(end)
	}
	writeJSON(w, answer)
}

// searchPosts finds posts whose text holds q, any case, newest first (as
// sort=latest has them), limit at a time. When more match than the page
// holds, the answer carries a cursor, opaque to the client, that asks for
// the next page; the last page has none. The cursor names where the page
// ended, so posts made meanwhile neither shift the pages nor show up in
// them: the client finds those on its next first page.
func (s *Server) searchPosts(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	if q == "" {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", `Error: Params must have the property "q"`)
		return
	}
	limit := limitOf(r, 25, 100)
	from := len(s.posts) // scanning down from here
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, searchCursor))
		if !strings.HasPrefix(c, searchCursor) || err != nil || n < 0 || n > len(s.posts) {
			xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Invalid cursor")
			return
		}
		from = n
	}
	matches := func(p *Post) bool { return !p.Deleted && strings.Contains(strings.ToLower(p.Text), q) }
	out := []map[string]any{}
	i := from - 1
	for ; i >= 0 && len(out) < limit; i-- {
		if matches(s.posts[i]) {
			out = append(out, s.view(s.posts[i]))
		}
	}
	total := 0
	for _, p := range s.posts {
		if matches(p) {
			total++
		}
	}
	answer := map[string]any{"posts": out, "hitsTotal": total}
	for j := i; j >= 0; j-- {
		if matches(s.posts[j]) {
			answer["cursor"] = searchCursor + strconv.Itoa(i+1)
			break
		}
	}
	writeJSON(w, answer)
}

// searchCursor starts the simulator's searchPosts cursors.
const searchCursor = "sp"

// getPosts answers the posts of uris that exist; a deleted one is simply
// missing, as on Bluesky.
func (s *Server) getPosts(w http.ResponseWriter, r *http.Request) {
	uris := r.URL.Query()["uris"]
	if len(uris) == 0 || len(uris) > 25 {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "uris must hold 1 to 25 at-uris")
		return
	}
	out := []map[string]any{}
	for _, u := range uris {
		if p := s.byURI[u]; p != nil && !p.Deleted {
			out = append(out, s.view(p))
		}
	}
	writeJSON(w, map[string]any{"posts": out})
}

// getProfile answers app.bsky.actor.defs#profileViewDetailed.
func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) {
	a := s.accounts[strings.TrimPrefix(r.URL.Query().Get("actor"), "@")]
	if a == nil {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Profile not found")
		return
	}
	v := basic(*a)
	v["followersCount"], v["followsCount"], v["postsCount"] = a.Followers, 0, 0
	writeJSON(w, v)
}

// createRecord publishes a post of the brand's. A record key that is
// already used is refused with a 500, as the reference PDS answered
// before the lexicon named that error (bluesky-social/indigo#873).
func (s *Server) createRecord(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Repo       string          `json:"repo"`
		Collection string          `json:"collection"`
		RKey       string          `json:"rkey"`
		Record     json.RawMessage `json:"record"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Request body is not JSON")
		return
	}
	if in.Repo != s.brand.DID && in.Repo != s.brand.Handle {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Invalid repo")
		return
	}
	if in.Collection != "app.bsky.feed.post" {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "the simulator takes app.bsky.feed.post records only")
		return
	}
	var rec struct {
		Type      string   `json:"$type"`
		Text      string   `json:"text"`
		CreatedAt string   `json:"createdAt"`
		Langs     []string `json:"langs"`
		Reply     *struct {
			Root   *Ref `json:"root"`
			Parent *Ref `json:"parent"`
		} `json:"reply"`
	}
	if err := json.Unmarshal(in.Record, &rec); err != nil || rec.Type != "app.bsky.feed.post" {
		xrpcError(w, http.StatusBadRequest, "InvalidRecord", `Record/$type must be "app.bsky.feed.post"`)
		return
	}
	switch {
	case rec.CreatedAt == "":
		xrpcError(w, http.StatusBadRequest, "InvalidRecord", `Record must have the property "createdAt"`)
		return
	case graphemes(rec.Text) > 300:
		xrpcError(w, http.StatusBadRequest, "InvalidRecord", "Record/text must not be longer than 300 graphemes")
		return
	case rec.Reply != nil && (rec.Reply.Root == nil || rec.Reply.Parent == nil || rec.Reply.Root.CID == "" || rec.Reply.Parent.CID == ""):
		xrpcError(w, http.StatusBadRequest, "InvalidRecord", "Record/reply must have root and parent strong refs")
		return
	}
	rkey := in.RKey
	if rkey == "" {
		s.seq++
		rkey = tid(s.now().Add(time.Duration(s.seq)*time.Microsecond), uint16(s.seq))
	} else if !validTID(rkey) {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Invalid rkey: app.bsky.feed.post records take a TID")
		return
	}
	uri := "at://" + s.brand.DID + "/app.bsky.feed.post/" + rkey
	if s.byURI[uri] != nil {
		xrpcError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	p := &Post{Author: s.brand, RKey: rkey, Text: rec.Text, Langs: rec.Langs, CreatedAt: rec.CreatedAt, IndexedAt: s.now()}
	if rec.Reply != nil {
		p.Root, p.Parent = rec.Reply.Root, rec.Reply.Parent
	}
	s.store(p)
	writeJSON(w, map[string]any{"uri": p.URI, "cid": p.CID, "validationStatus": "valid"})
}

// getRecord answers one record of a repo, deleted ones included until
// they are gone (the simulator keeps none: deleted is gone).
func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a := s.accounts[q.Get("repo")]
	if a == nil {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Could not find repo: "+q.Get("repo"))
		return
	}
	p := s.byURI["at://"+a.DID+"/"+q.Get("collection")+"/"+q.Get("rkey")]
	if p == nil || p.Deleted {
		xrpcError(w, http.StatusBadRequest, "RecordNotFound", "Could not locate record")
		return
	}
	writeJSON(w, map[string]any{"uri": p.URI, "cid": p.CID, "value": s.record(p)})
}

func limitOf(r *http.Request, def, most int) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n < 1 {
		return def
	}
	return min(n, most)
}

// graphemes approximates Bluesky's count of a text's length by runes.
func graphemes(s string) int { return len([]rune(s)) }

// cid is a stable stand-in for a record's CID: a hash of its JSON, in
// the look of a CIDv1 (base32, "bafyrei…").
func cid(body []byte) string {
	sum := sha256.Sum256(body)
	return "bafyrei" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
}

// tidAlphabet is base32-sortable, the alphabet of TIDs.
const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// tid is the TID of t (microseconds) with clock id clock.
func tid(t time.Time, clock uint16) string {
	v := uint64(t.UnixMicro())<<10 | uint64(clock&1023)
	v &^= 1 << 63
	b := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		b[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(b)
}

// validTID says whether s is a TID as the record key syntax has it: 13
// characters of the alphabet, the first of which keeps the top bit 0.
func validTID(s string) bool {
	if len(s) != 13 || !strings.ContainsRune("234567abcdefghij", rune(s[0])) {
		return false
	}
	return !slices.ContainsFunc([]byte(s), func(c byte) bool { return !strings.ContainsRune(tidAlphabet, rune(c)) })
}
