package mastodonsim

import (
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// account is a person on the fediverse, as the instance knows them.
type account struct {
	id, username, acct, domain string // domain "" for a local account
	displayName                string
	followers                  int
	bot                        bool
}

// status is a post, as the instance keeps it: its words as written, which
// Mastodon renders as HTML.
type status struct {
	id, text, spoiler, visibility, language string
	inReplyTo                               string
	author                                  *account
	mentions                                []*account
	tags                                    []string // lower case, without "#"
	at                                      time.Time
	deleted                                 bool
}

// Profile is what a person's account shows besides their handle.
type Profile struct {
	DisplayName string // "" shows the username, as Mastodon clients do
	Followers   int
	Bot         bool // the account says it is automated
}

// SetProfile creates or changes the account acct ("alice" on this
// instance, "bob@other.example" on another) and returns its id.
func (s *Server) SetProfile(acct string, p Profile) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountLocked(acct)
	a.displayName, a.followers, a.bot = p.DisplayName, p.Followers, p.Bot
	return a.id
}

// AccountID returns the id of the account acct, creating it when new.
// The brand's is AccountID(BrandAcct).
func (s *Server) AccountID(acct string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accountLocked(acct).id
}

// accountLocked returns the account acct, created when new. s.mu must be
// held.
func (s *Server) accountLocked(acct string) *account {
	acct = strings.TrimPrefix(acct, "@")
	if a := s.accounts[strings.ToLower(acct)]; a != nil {
		return a
	}
	user, domain, _ := strings.Cut(acct, "@")
	a := &account{id: s.newIDLocked(), username: user, acct: acct, domain: domain}
	s.accounts[strings.ToLower(acct)] = a
	return a
}

func (s *Server) newIDLocked() string {
	id := s.nextID
	s.nextID++
	return strconv.FormatInt(id, 10)
}

// PostOption changes a status that Post makes.
type PostOption func(*status)

// Visibility makes the status public (the default), unlisted, private
// (followers only) or direct (the mentioned people only).
func Visibility(v string) PostOption { return func(st *status) { st.visibility = v } }

// Language sets the status's ISO 639 language, as the author's app says.
func Language(lang string) PostOption { return func(st *status) { st.language = lang } }

// Spoiler puts the status behind a content warning.
func Spoiler(text string) PostOption { return func(st *status) { st.spoiler = text } }

// At dates the status, for posts older than the listener's MaxAge.
func At(t time.Time) PostOption { return func(st *status) { st.at = t } }

// InReplyTo makes the status a reply to the status id.
func InReplyTo(id string) PostOption { return func(st *status) { st.inReplyTo = id } }

// Post publishes text as a status of acct and returns its id. Mentions
// ("@acme", "@bob@other.example") and hashtags in text become links, as
// Mastodon renders them, and a mention of the brand notifies it.
func (s *Server) Post(acct, text string, opts ...PostOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changed.Notify()
	st := &status{text: text, visibility: "public", author: s.accountLocked(acct), at: s.now()}
	for _, o := range opts {
		o(st)
	}
	return s.addLocked(st).id
}

// Mention publishes text by acct, starting with "@brand" when it does
// not mention the brand yet, so that the brand is notified.
func (s *Server) Mention(acct, text string, opts ...PostOption) string {
	if !mentions(text, s.brand) {
		text = "@" + s.brand + " " + text
	}
	return s.Post(acct, text, opts...)
}

// Direct is Mention as a private message: visible only to the brand.
func (s *Server) Direct(acct, text string, opts ...PostOption) string {
	return s.Mention(acct, text, append(opts, Visibility("direct"))...)
}

// Delete deletes the status id, as its author would: it is not found
// any more, and its notifications go with it.
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changed.Notify()
	if st := s.byID[id]; st != nil {
		st.deleted = true
	}
}

// Reply is a status the brand posted through the API.
type Reply struct {
	ID             string
	Status         string // the text as sent
	InReplyToID    string
	Visibility     string
	Language       string
	IdempotencyKey string
	Mentions       []string // the accts it mentions
}

// Replies returns what the brand posted through the API, in order. A
// repeat under the same Idempotency-Key is not posted again, and not
// listed again.
func (s *Server) Replies() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reply(nil), s.replies...)
}

var (
	mentionRe = regexp.MustCompile(`(^|[^\p{L}\p{N}_/])@([A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+[A-Za-z0-9])?)`)
	tagRe     = regexp.MustCompile(`(^|[^\p{L}\p{N}_/&])#([\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)`)
	urlRe     = regexp.MustCompile(`https?://[^\s<>"]+`)
)

func mentions(text, acct string) bool {
	for _, m := range mentionRe.FindAllStringSubmatch(text, -1) {
		if strings.EqualFold(m[2], acct) {
			return true
		}
	}
	return false
}

// addLocked files st under a new id, with its mentions and tags, and
// notifies the brand of a mention. s.mu must be held.
func (s *Server) addLocked(st *status) *status {
	st.id = s.newIDLocked()
	for _, m := range mentionRe.FindAllStringSubmatch(st.text, -1) {
		st.mentions = append(st.mentions, s.accountLocked(m[2]))
	}
	for _, m := range tagRe.FindAllStringSubmatch(st.text, -1) {
		st.tags = append(st.tags, strings.ToLower(m[2]))
	}
	s.statuses = append(s.statuses, st)
	s.byID[st.id] = st
	if st.author.acct != s.brand && mentions(st.text, s.brand) {
		s.notifications = append(s.notifications, notification{id: s.newIDLocked(), kind: "mention", at: st.at, status: st})
	}
	return st
}

// notification is one of the brand's notifications.
type notification struct {
	id, kind string
	at       time.Time
	status   *status
}

// visibleToBrand says whether the brand's token may read st.
func (s *Server) visibleToBrand(st *status) bool {
	if st.deleted {
		return false
	}
	switch st.visibility {
	case "public", "unlisted":
		return true
	}
	if st.author.acct == s.brand {
		return true
	}
	for _, m := range st.mentions {
		if m.acct == s.brand {
			return true
		}
	}
	return false
}

// html renders text as Mastodon does: paragraphs, line breaks, and
// mentions, hashtags and links as anchors; everything else escaped.
func (s *Server) html(text string) string {
	var paras []string
	for p := range strings.SplitSeq(strings.TrimSpace(text), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, "<p>"+strings.ReplaceAll(s.inline(p), "\n", "<br />")+"</p>")
		}
	}
	return strings.Join(paras, "")
}

// inline renders one paragraph's mentions, hashtags and links.
func (s *Server) inline(p string) string {
	type span struct {
		start, end int
		html       string
	}
	var spans []span
	for _, m := range mentionRe.FindAllStringSubmatchIndex(p, -1) {
		acct := p[m[4]:m[5]]
		user, _, _ := strings.Cut(acct, "@")
		spans = append(spans, span{m[4] - 1, m[5], fmt.Sprintf(`<span class="h-card" translate="no"><a href="%s" class="u-url mention">@<span>%s</span></a></span>`, html.EscapeString(s.profileURLOf(acct)), html.EscapeString(user))})
	}
	for _, m := range tagRe.FindAllStringSubmatchIndex(p, -1) {
		tag := p[m[4]:m[5]]
		spans = append(spans, span{m[4] - 1, m[5], fmt.Sprintf(`<a href="%s/tags/%s" class="mention hashtag" rel="tag">#<span>%s</span></a>`, s.URL(), html.EscapeString(strings.ToLower(tag)), html.EscapeString(tag))})
	}
	for _, m := range urlRe.FindAllStringIndex(p, -1) {
		u := p[m[0]:m[1]]
		spans = append(spans, span{m[0], m[1], fmt.Sprintf(`<a href="%s" target="_blank" rel="nofollow noopener" translate="no">%s</a>`, html.EscapeString(u), html.EscapeString(u))})
	}
	var b strings.Builder
	at := 0
	for at < len(p) {
		next := -1
		for i, sp := range spans {
			if sp.start >= at && (next < 0 || sp.start < spans[next].start) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		b.WriteString(html.EscapeString(p[at:spans[next].start]))
		b.WriteString(spans[next].html)
		at = spans[next].end
	}
	if at < len(p) {
		b.WriteString(html.EscapeString(p[at:]))
	}
	return b.String()
}

// profileURLOf is the public page of acct.
func (s *Server) profileURLOf(acct string) string {
	user, domain, remote := strings.Cut(acct, "@")
	if remote {
		return "https://" + domain + "/@" + user
	}
	return s.URL() + "/@" + user
}

// chars counts text as Mastodon does against its limit: every link as
// 23 characters, a mention without its domain.
func chars(text string) int {
	text = urlRe.ReplaceAllString(text, strings.Repeat("x", 23))
	text = mentionRe.ReplaceAllStringFunc(text, func(m string) string {
		if i := strings.Index(m, "@"); i >= 0 {
			user, _, _ := strings.Cut(m[i+1:], "@")
			return m[:i+1] + user
		}
		return m
	})
	return utf8.RuneCountInString(text)
}
