package mastodonsim

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Account is Mastodon's Account entity, the fields caredesk reads and a
// few more.
type Account struct {
	ID             string `json:"id"`
	Username       string `json:"username"`
	Acct           string `json:"acct"`
	DisplayName    string `json:"display_name"`
	Locked         bool   `json:"locked"`
	Bot            bool   `json:"bot"`
	CreatedAt      string `json:"created_at"`
	Note           string `json:"note"`
	URL            string `json:"url"`
	Avatar         string `json:"avatar"`
	FollowersCount int    `json:"followers_count"`
	FollowingCount int    `json:"following_count"`
	StatusesCount  int    `json:"statuses_count"`
}

// Mention is a mentioned account in a Status.
type Mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

// Tag is a hashtag in a Status.
type Tag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Status is Mastodon's Status entity.
type Status struct {
	ID                 string    `json:"id"`
	URI                string    `json:"uri"`
	URL                string    `json:"url"`
	CreatedAt          string    `json:"created_at"`
	Account            Account   `json:"account"`
	Content            string    `json:"content"`
	Visibility         string    `json:"visibility"`
	Sensitive          bool      `json:"sensitive"`
	SpoilerText        string    `json:"spoiler_text"`
	InReplyToID        *string   `json:"in_reply_to_id"`
	InReplyToAccountID *string   `json:"in_reply_to_account_id"`
	Language           *string   `json:"language"`
	Mentions           []Mention `json:"mentions"`
	Tags               []Tag     `json:"tags"`
	Emojis             []any     `json:"emojis"`
	MediaAttachments   []any     `json:"media_attachments"`
	RepliesCount       int       `json:"replies_count"`
	ReblogsCount       int       `json:"reblogs_count"`
	FavouritesCount    int       `json:"favourites_count"`
	Reblog             *Status   `json:"reblog"`
}

// Notification is Mastodon's Notification entity.
type Notification struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	CreatedAt string  `json:"created_at"`
	Account   Account `json:"account"`
	Status    *Status `json:"status,omitempty"`
}

// timeFormat is how Mastodon writes times: ISO 8601 in UTC with
// milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z"

func (s *Server) accountJSON(a *account) Account {
	name := a.displayName
	if name == "" {
		name = a.username
	}
	return Account{
		ID: a.id, Username: a.username, Acct: a.acct, DisplayName: name, Bot: a.bot,
		CreatedAt: "2022-11-05T00:00:00.000Z", URL: s.profileURLOf(a.acct),
		Avatar: s.URL() + "/avatars/original/missing.png", FollowersCount: a.followers,
	}
}

// statusJSON is st as the API shows it. s.mu must be held.
func (s *Server) statusJSON(st *status) Status {
	out := Status{
		ID: st.id, CreatedAt: st.at.UTC().Format(timeFormat), Account: s.accountJSON(st.author),
		Content: s.html(st.text), Visibility: st.visibility, SpoilerText: st.spoiler, Sensitive: st.spoiler != "",
		Mentions: []Mention{}, Tags: []Tag{}, Emojis: []any{}, MediaAttachments: []any{},
	}
	user, domain, remote := strings.Cut(st.author.acct, "@")
	if remote {
		out.URI = "https://" + domain + "/users/" + user + "/statuses/" + st.id
		out.URL = "https://" + domain + "/@" + user + "/" + st.id
	} else {
		out.URI = s.URL() + "/users/" + user + "/statuses/" + st.id
		out.URL = s.URL() + "/@" + user + "/" + st.id
	}
	if st.language != "" {
		out.Language = &st.language
	}
	if parent := s.byID[st.inReplyTo]; parent != nil {
		out.InReplyToID, out.InReplyToAccountID = &parent.id, &parent.author.id
	}
	for _, m := range st.mentions {
		out.Mentions = append(out.Mentions, Mention{ID: m.id, Username: m.username, URL: s.profileURLOf(m.acct), Acct: m.acct})
	}
	for _, t := range st.tags {
		out.Tags = append(out.Tags, Tag{Name: t, URL: s.URL() + "/tags/" + t})
	}
	return out
}

func (s *Server) verifyCredentials(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.accountJSON(s.accountLocked(s.brand))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, a)
}

// page is the paging of a list: since_id, min_id, max_id and limit, as
// Mastodon reads them.
type page struct {
	since, min, max string
	limit           int
}

func pageOf(r *http.Request, defaultLimit, maxLimit int) page {
	q := r.URL.Query()
	p := page{since: q.Get("since_id"), min: q.Get("min_id"), max: q.Get("max_id"), limit: defaultLimit}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		p.limit = min(n, maxLimit)
	}
	return p
}

// take returns the ids of ids (ascending) that p selects, newest first:
// those above since_id and below max_id; with min_id, the ones just
// above it.
func (p page) take(ids []string) []int {
	var in []int
	for i, id := range ids {
		if p.since != "" && !after(id, p.since) || p.min != "" && !after(id, p.min) || p.max != "" && !after(p.max, id) {
			continue
		}
		in = append(in, i)
	}
	if p.min != "" && p.since == "" && len(in) > p.limit {
		in = in[:p.limit] // the oldest above min_id
	} else if len(in) > p.limit {
		in = in[len(in)-p.limit:]
	}
	slices.Reverse(in)
	return in
}

// after says whether id a is newer than id b: Mastodon's ids are numbers
// that grow with time, sent as strings.
func after(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	types, exclude := q["types[]"], q["exclude_types[]"]
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []notification
	var ids []string
	for _, n := range s.notifications {
		if n.status.deleted || len(types) > 0 && !slices.Contains(types, n.kind) || slices.Contains(exclude, n.kind) {
			continue
		}
		list, ids = append(list, n), append(ids, n.id)
	}
	out := []Notification{}
	for _, i := range pageOf(r, 40, 80).take(ids) {
		n := list[i]
		st := s.statusJSON(n.status)
		out = append(out, Notification{ID: n.id, Type: n.kind, CreatedAt: n.at.UTC().Format(timeFormat), Account: st.Account, Status: &st})
	}
	writeJSON(w, http.StatusOK, out)
}

// search is GET /api/v2/search: statuses the brand may see whose text
// holds every word of q, without regard to case.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	words := strings.Fields(strings.ToLower(q.Get("q")))
	if len(words) == 0 {
		writeError(w, http.StatusBadRequest, "Search query is missing")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	statuses := []Status{}
	if t := q.Get("type"); t == "" || t == "statuses" {
		statuses = s.pick(r, 20, 40, func(st *status) bool {
			text := strings.ToLower(st.text + " " + st.spoiler)
			for _, w := range words {
				if !strings.Contains(text, strings.TrimLeft(w, "#")) {
					return false
				}
			}
			return st.visibility == "public" || st.visibility == "unlisted"
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": []any{}, "statuses": statuses, "hashtags": []any{}})
}

// tagTimeline is GET /api/v1/timelines/tag/:hashtag: public statuses with
// the hashtag.
func (s *Server) tagTimeline(w http.ResponseWriter, r *http.Request) {
	tag := strings.ToLower(strings.TrimPrefix(r.PathValue("hashtag"), "#"))
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.pick(r, 20, 40, func(st *status) bool {
		return st.visibility == "public" && slices.Contains(st.tags, tag)
	}))
}

// pick returns the statuses that match and r's paging selects, newest
// first. s.mu must be held.
func (s *Server) pick(r *http.Request, defaultLimit, maxLimit int, match func(*status) bool) []Status {
	var list []*status
	var ids []string
	for _, st := range s.statuses {
		if !st.deleted && match(st) {
			list, ids = append(list, st), append(ids, st.id)
		}
	}
	out := []Status{}
	for _, i := range pageOf(r, defaultLimit, maxLimit).take(ids) {
		out = append(out, s.statusJSON(list[i]))
	}
	return out
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[r.PathValue("id")]
	if st == nil || !s.visibleToBrand(st) {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeJSON(w, http.StatusOK, s.statusJSON(st))
}

// Context is Mastodon's Context entity: the thread around a status.
type Context struct {
	Ancestors   []Status `json:"ancestors"`   // oldest first
	Descendants []Status `json:"descendants"` // depth first, oldest branch first
}

// statusContext is GET /api/v1/statuses/:id/context: the statuses the
// status replies to, up the thread, and the replies below it, those the
// brand may see. As on Mastodon, a status the brand may not see (or a
// deleted one) is 404, and the ancestors stop where the thread reaches
// one: their oldest is then not the thread's root, and it still names
// the status it replies to.
func (s *Server) statusContext(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byID[r.PathValue("id")]
	if st == nil || !s.visibleToBrand(st) {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	out := Context{Ancestors: []Status{}, Descendants: []Status{}}
	seen := map[string]bool{st.id: true}
	for p := s.byID[st.inReplyTo]; p != nil && !seen[p.id] && s.visibleToBrand(p); p = s.byID[p.inReplyTo] {
		seen[p.id] = true
		out.Ancestors = append(out.Ancestors, s.statusJSON(p))
	}
	slices.Reverse(out.Ancestors)
	var below func(parent string)
	below = func(parent string) {
		for _, c := range s.statuses {
			if c.inReplyTo == parent && !seen[c.id] && s.visibleToBrand(c) {
				seen[c.id] = true
				out.Descendants = append(out.Descendants, s.statusJSON(c))
				below(c.id)
			}
		}
	}
	below(st.id)
	writeJSON(w, http.StatusOK, out)
}

// keyTTL is how long Mastodon remembers an Idempotency-Key.
const keyTTL = time.Hour

// postStatus is POST /api/v1/statuses, by form or JSON, as the brand.
func (s *Server) postStatus(w http.ResponseWriter, r *http.Request) {
	p, ok := statusParams(w, r)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if k, ok := s.keys[s.token+"\x00"+key]; key != "" && ok && now.Sub(k.at) < keyTTL {
		writeJSON(w, http.StatusOK, s.statusJSON(s.byID[k.id]))
		return
	}
	switch {
	case strings.TrimSpace(p.Status) == "":
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: Text can't be blank")
		return
	case chars(p.Status) > MaxChars:
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: Text character limit of 500 exceeded")
		return
	case !slices.Contains([]string{"public", "unlisted", "private", "direct"}, p.Visibility):
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: Visibility is not included in the list")
		return
	}
	if p.InReplyToID != "" {
		if parent := s.byID[p.InReplyToID]; parent == nil || !s.visibleToBrand(parent) {
			writeError(w, http.StatusNotFound, "The post you are trying to reply to does not appear to exist.")
			return
		}
	}
	st := s.addLocked(&status{
		text: p.Status, visibility: p.Visibility, language: p.Language, spoiler: p.SpoilerText,
		inReplyTo: p.InReplyToID, author: s.accountLocked(s.brand), at: now,
	})
	if key != "" {
		s.keys[s.token+"\x00"+key] = keyed{id: st.id, at: now}
	}
	reply := Reply{ID: st.id, Status: p.Status, InReplyToID: p.InReplyToID, Visibility: p.Visibility, Language: p.Language, IdempotencyKey: key}
	for _, m := range st.mentions {
		reply.Mentions = append(reply.Mentions, m.acct)
	}
	s.replies = append(s.replies, reply)
	writeJSON(w, http.StatusOK, s.statusJSON(st))
}

// postParams are the parameters of POST /api/v1/statuses that the
// simulator reads.
type postParams struct {
	Status      string `json:"status"`
	InReplyToID string `json:"in_reply_to_id"`
	Visibility  string `json:"visibility"`
	Language    string `json:"language"`
	SpoilerText string `json:"spoiler_text"`
}

// statusParams reads a post's parameters from a form or a JSON body, as
// Mastodon takes both; it answers 422 and reports false when it cannot.
func statusParams(w http.ResponseWriter, r *http.Request) (postParams, bool) {
	var p postParams
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "Validation failed: the body is not JSON")
			return p, false
		}
	} else {
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "Validation failed: the form cannot be read")
			return p, false
		}
		p = postParams{Status: r.PostForm.Get("status"), InReplyToID: r.PostForm.Get("in_reply_to_id"),
			Visibility: r.PostForm.Get("visibility"), Language: r.PostForm.Get("language"), SpoilerText: r.PostForm.Get("spoiler_text")}
	}
	if p.Visibility == "" {
		p.Visibility = "public"
	}
	return p, true
}
