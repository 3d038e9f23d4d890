package mastodonsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"caredesk/sim/mastodonsim"
)

const token = "sim-token"

func start(t *testing.T) *mastodonsim.Server {
	t.Helper()
	s, err := mastodonsim.New(mastodonsim.Options{Token: token, BrandAcct: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// call asks the instance as a client would, with tok, and decodes the
// JSON answer into v (when not nil); it returns the status code and
// headers.
func call(t *testing.T, s *mastodonsim.Server, tok, method, path string, form url.Values, key string, v any) (int, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header
}

func TestEveryCallNeedsTheToken(t *testing.T) {
	s := start(t)
	for _, path := range []string{"/api/v1/accounts/verify_credentials", "/api/v1/notifications", "/api/v2/search?q=x", "/api/v1/timelines/tag/x", "/api/v1/statuses/1"} {
		var e map[string]string
		if code, _ := call(t, s, "wrong", http.MethodGet, path, nil, "", &e); code != http.StatusUnauthorized || e["error"] != "The access token is invalid" {
			t.Errorf("%s with a wrong token: %d %v", path, code, e)
		}
	}
	var me mastodonsim.Account
	if code, h := call(t, s, token, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, "", &me); code != 200 || me.Acct != "acme" || me.ID != s.AccountID("acme") || h.Get("X-RateLimit-Remaining") == "" {
		t.Errorf("verify_credentials: %d %+v", code, me)
	}
	s.RevokeToken()
	if code, _ := call(t, s, token, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, "", nil); code != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d", code)
	}
}

func TestMentionsAreNotificationsRenderedAsHTML(t *testing.T) {
	s := start(t)
	first := s.Mention("alice", "card <declined> & #AcmeDown, see https://status.example")
	s.Post("bob", "not about the brand")
	second := s.Direct("carol@other.example", "private")
	var list []mastodonsim.Notification
	call(t, s, token, http.MethodGet, "/api/v1/notifications?types[]=mention", nil, "", &list)
	if len(list) != 2 || list[0].Status.ID != second || list[1].Status.ID != first || list[0].Type != "mention" {
		t.Fatalf("notifications %+v, want the two mentions newest first", list)
	}
	st := list[1].Status
	for _, want := range []string{`<p><span class="h-card" translate="no"><a href="` + s.URL() + `/@acme" class="u-url mention">@<span>acme</span></a></span> card &lt;declined&gt; &amp; <a href="` + s.URL() + `/tags/acmedown" class="mention hashtag" rel="tag">#<span>AcmeDown</span></a>`, `<a href="https://status.example"`} {
		if !strings.Contains(st.Content, want) {
			t.Errorf("content %s, want it to hold %s", st.Content, want)
		}
	}
	if st.URL != s.URL()+"/@alice/"+first || st.URI != s.URL()+"/users/alice/statuses/"+first || st.Account.Acct != "alice" || st.Visibility != "public" {
		t.Errorf("status %+v", st)
	}
	if list[0].Status.Visibility != "direct" || list[0].Status.URL != "https://other.example/@carol/"+second {
		t.Errorf("direct %+v", list[0].Status)
	}
	var newer []mastodonsim.Notification
	call(t, s, token, http.MethodGet, "/api/v1/notifications?types[]=mention&since_id="+list[0].ID, nil, "", &newer)
	if len(newer) != 0 {
		t.Errorf("since the newest: %+v", newer)
	}
	s.Delete(first)
	var left, follows []mastodonsim.Notification
	call(t, s, token, http.MethodGet, "/api/v1/notifications?types[]=mention", nil, "", &left)
	call(t, s, token, http.MethodGet, "/api/v1/notifications?types[]=follow", nil, "", &follows)
	var gone map[string]string
	if code, _ := call(t, s, token, http.MethodGet, "/api/v1/statuses/"+first, nil, "", &gone); code != 404 || gone["error"] != "Record not found" {
		t.Errorf("a deleted status: %d %v", code, gone)
	}
	if len(left) != 1 || left[0].Status.ID != second || len(follows) != 0 {
		t.Errorf("after a deletion, mentions %+v and follows %+v, want the direct message alone", left, follows)
	}
}

func TestSearchAndTags(t *testing.T) {
	s := start(t)
	a := s.Post("dan", "ACME refund please #help")
	s.Post("erin", "refund from someone else")
	s.Post("fay", "acme refund for followers", mastodonsim.Visibility("private"))
	var found struct {
		Statuses []mastodonsim.Status `json:"statuses"`
	}
	call(t, s, token, http.MethodGet, "/api/v2/search?type=statuses&q=acme+Refund", nil, "", &found)
	if len(found.Statuses) != 1 || found.Statuses[0].ID != a {
		t.Errorf("search %+v", found.Statuses)
	}
	var tagged []mastodonsim.Status
	call(t, s, token, http.MethodGet, "/api/v1/timelines/tag/Help", nil, "", &tagged)
	if len(tagged) != 1 || tagged[0].ID != a {
		t.Errorf("tag timeline %+v", tagged)
	}
}

func TestPostStatus(t *testing.T) {
	s := start(t)
	orig := s.Mention("gil", "hello")
	form := url.Values{"status": {"@gil hi there"}, "in_reply_to_id": {orig}, "visibility": {"unlisted"}, "language": {"en"}}
	var st, again mastodonsim.Status
	if code, _ := call(t, s, token, http.MethodPost, "/api/v1/statuses", form, "k-1", &st); code != 200 || st.InReplyToID == nil || *st.InReplyToID != orig {
		t.Fatalf("post: %d %+v", code, st)
	}
	call(t, s, token, http.MethodPost, "/api/v1/statuses", form, "k-1", &again)
	if again.ID != st.ID || len(s.Replies()) != 1 {
		t.Errorf("the same key twice: %s and %s, %d replies", st.ID, again.ID, len(s.Replies()))
	}
	r := s.Replies()[0]
	if r.Visibility != "unlisted" || r.Language != "en" || r.IdempotencyKey != "k-1" || r.InReplyToID != orig || len(r.Mentions) != 1 || r.Mentions[0] != "gil" {
		t.Errorf("reply %+v", r)
	}
	for _, tc := range []struct {
		form url.Values
		code int
		want string
	}{
		{url.Values{"status": {strings.Repeat("x", 501)}}, 422, "Validation failed: Text character limit of 500 exceeded"},
		{url.Values{"status": {"  "}}, 422, "Validation failed: Text can't be blank"},
		{url.Values{"status": {"hi"}, "visibility": {"friends"}}, 422, "Validation failed: Visibility is not included in the list"},
		{url.Values{"status": {"hi"}, "in_reply_to_id": {"1"}}, 404, "The post you are trying to reply to does not appear to exist."},
	} {
		var e map[string]string
		if code, _ := call(t, s, token, http.MethodPost, "/api/v1/statuses", tc.form, "", &e); code != tc.code || e["error"] != tc.want {
			t.Errorf("post %v: %d %v, want %d %q", tc.form, code, e, tc.code, tc.want)
		}
	}
	// A link counts 23 characters, as on Mastodon.
	long := "https://example.com/" + strings.Repeat("a", 600)
	if code, _ := call(t, s, token, http.MethodPost, "/api/v1/statuses", url.Values{"status": {long}}, "", nil); code != 200 {
		t.Errorf("a long link: %d", code)
	}
}

func TestFailNext(t *testing.T) {
	s := start(t)
	s.FailNext(mastodonsim.RouteNotifications, 1, http.StatusTooManyRequests, 3*time.Second)
	code, h := call(t, s, token, http.MethodGet, "/api/v1/notifications", nil, "", nil)
	if code != 429 || h.Get("Retry-After") != "3" || h.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429: %d %v", code, h)
	}
	if code, _ := call(t, s, token, http.MethodGet, "/api/v1/notifications", nil, "", nil); code != 200 || s.Calls(mastodonsim.RouteNotifications) != 2 {
		t.Errorf("after the failure: %d, %d calls", code, s.Calls(mastodonsim.RouteNotifications))
	}
}

func TestRateLimit(t *testing.T) {
	s, err := mastodonsim.New(mastodonsim.Options{Token: token, RateLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for i, want := range []int{200, 200, 429} {
		code, h := call(t, s, token, http.MethodGet, "/api/v1/notifications", nil, "", nil)
		if code != want || h.Get("X-RateLimit-Remaining") != strconv.Itoa(max(1-i, 0)) || h.Get("X-RateLimit-Reset") == "" || h.Get("Retry-After") != "" {
			t.Errorf("call %d: %d %v, want %d with Mastodon's headers", i+1, code, h, want)
		}
	}
}

func TestStatusContext(t *testing.T) {
	s := start(t)
	root := s.Mention("pia@other.example", "my order never came")
	answer := s.Post("acme", "@pia@other.example sorry", mastodonsim.InReplyTo(root))
	follow := s.Mention("pia@other.example", "still nothing", mastodonsim.InReplyTo(answer))
	aside := s.Post("zed", "a followers-only aside", mastodonsim.InReplyTo(root), mastodonsim.Visibility("private"))
	other := s.Mention("pia@other.example", "another branch", mastodonsim.InReplyTo(root))
	ids := func(list []mastodonsim.Status) []string {
		var out []string
		for _, st := range list {
			out = append(out, st.ID)
		}
		return out
	}
	var c mastodonsim.Context
	if code, _ := call(t, s, token, http.MethodGet, "/api/v1/statuses/"+follow+"/context", nil, "", &c); code != 200 ||
		!slices.Equal(ids(c.Ancestors), []string{root, answer}) || len(c.Descendants) != 0 {
		t.Errorf("context of the follow-up: %d %v / %v, want ancestors %s %s", code, ids(c.Ancestors), ids(c.Descendants), root, answer)
	}
	// The descendants depth first; the brand does not see the aside.
	if code, _ := call(t, s, token, http.MethodGet, "/api/v1/statuses/"+root+"/context", nil, "", &c); code != 200 ||
		len(c.Ancestors) != 0 || !slices.Equal(ids(c.Descendants), []string{answer, follow, other}) {
		t.Errorf("context of the root: %d %v / %v, want descendants %s %s %s (not %s)", code, ids(c.Ancestors), ids(c.Descendants), answer, follow, other, aside)
	}
	// The ancestors stop at a deleted status: the oldest still names it.
	s.Delete(root)
	if code, _ := call(t, s, token, http.MethodGet, "/api/v1/statuses/"+follow+"/context", nil, "", &c); code != 200 ||
		!slices.Equal(ids(c.Ancestors), []string{answer}) || c.Ancestors[0].InReplyToID == nil || *c.Ancestors[0].InReplyToID != root {
		t.Errorf("context with the root deleted: %d %v, want the answer alone, naming %s", code, ids(c.Ancestors), root)
	}
	for _, id := range []string{root, "999", aside} {
		if code, _ := call(t, s, token, http.MethodGet, "/api/v1/statuses/"+id+"/context", nil, "", nil); code != 404 {
			t.Errorf("context of %s (deleted, unknown, not visible): %d, want 404", id, code)
		}
	}
	if code, _ := call(t, s, "wrong", http.MethodGet, "/api/v1/statuses/"+follow+"/context", nil, "", nil); code != 401 {
		t.Errorf("context with a wrong token: %d, want 401", code)
	}
	if n := s.Calls(mastodonsim.RouteContext); n != 7 {
		t.Errorf("%d context calls counted, want 7", n)
	}
}
