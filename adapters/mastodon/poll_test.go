package mastodon_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/mastodon"
	"caredesk/bot"
	"caredesk/listen"
	"caredesk/sim/mastodonsim"
)

func TestMentionOpensOneInbound(t *testing.T) {
	s := instance(t)
	s.SetProfile("alice", mastodonsim.Profile{DisplayName: "Alice Yılmaz", Followers: 1200})
	id := s.Mention("alice", "my card was charged <twice> & nobody answers #fail", mastodonsim.Language("tr"))
	l, _ := listener(t, s, nil)
	in := &inbox{}
	run(t, l, in)
	polled(t, s, 2) // the second poll hands nothing new

	got := in.all()
	if len(got) != 1 {
		t.Fatalf("handed %d posts, want the mention once: %+v", len(got), got)
	}
	want := bot.Inbound{
		Source: "mastodon:brand", MessageID: id, Conversation: id,
		Customer: bot.Customer{ID: s.AccountID("alice"), Name: "Alice Yılmaz", Handle: "alice", ProfileURL: s.URL() + "/@alice", Followers: 1200},
		Text:     "@acme my card was charged <twice> & nobody answers #fail",
		Network:  "Mastodon", PostURL: s.URL() + "/@alice/" + id, PostKey: s.URL() + "/@alice/" + id, Language: "tr",
	}
	g := got[0]
	if time.Since(g.At) > time.Minute || g.At.After(time.Now()) {
		t.Errorf("At = %v, want when the post was made", g.At)
	}
	g.At = time.Time{}
	if !equalInbound(g, want) {
		t.Errorf("handed\n%+v\nwant\n%+v", g, want)
	}

	// A mention after the first poll is found from the cursor on; a
	// customer of another server keeps their whole handle and page.
	id2 := s.Mention("bob@other.example", "still waiting")
	waitFor(t, s, "the second mention", func() bool { return len(in.all()) == 2 })
	g = in.all()[1]
	if g.MessageID != id2 || g.Customer.Handle != "bob@other.example" || g.Customer.Name != "bob" || g.PostURL != "https://other.example/@bob/"+id2 {
		t.Errorf("second mention handed as %+v", g)
	}
}

func equalInbound(a, b bot.Inbound) bool {
	return a.Source == b.Source && a.MessageID == b.MessageID && a.Conversation == b.Conversation &&
		a.Customer == b.Customer && a.Text == b.Text && a.At.Equal(b.At) && a.Network == b.Network &&
		a.PostURL == b.PostURL && a.PostKey == b.PostKey && a.Language == b.Language && a.Private == b.Private
}

func TestDirectMessageIsPrivate(t *testing.T) {
	s := instance(t)
	id := s.Direct("carol", "my account number is 1234, please call me")
	s.Post("carol", "a post for my followers about @acme", mastodonsim.Visibility("private"))
	l, _ := listener(t, s, nil)
	in := &inbox{}
	run(t, l, in)
	polled(t, s, 1)
	got := in.all()
	// Both are answered directly (Send), so both tickets are private.
	if len(got) != 2 || got[0].MessageID != id || !got[0].Private || !got[1].Private {
		t.Errorf("handed %+v, want the direct message and the followers-only mention as private", got)
	}
}

func TestSearchesAndFilter(t *testing.T) {
	s := instance(t)
	var want []string
	for _, tc := range []struct {
		acct, text string
		taken      bool
	}{
		{"dan", "Acme refund still missing after 3 weeks", true},
		{"erin", "acme refund desk is hiring, apply now", false}, // excluded word
		{"fay", "refund from my landlord finally", false},        // no word of the filter
		{"gus", "why is the #AcmeDown page blank", true},         // the hashtag's timeline
		{"acme", "Our refund policy for Acme customers", false},  // the brand's own post
		{"hal", "ACME refunds? never heard", true},
	} {
		s.Post(tc.acct, tc.text)
		if tc.taken {
			want = append(want, tc.text)
		}
	}
	s.Post("ian", "old acme refund complaint", mastodonsim.At(time.Now().Add(-30*24*time.Hour)))
	s.Post("jo", "acme refund, but followers only", mastodonsim.Visibility("private"))
	m, err := listen.Filter{Include: []string{"acme"}, Exclude: []string{"hiring"}}.Compile("test")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := listener(t, s, func(o *mastodon.Options) {
		o.Searches = []string{"refund", "#acmedown"}
		o.Filter = m
	})
	in := &inbox{}
	run(t, l, in)
	polled(t, s, 2)
	got := in.texts()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("handed %q, want %q", got, want)
	}
	if calls := s.Calls(mastodonsim.RouteTag); calls < 2 {
		t.Errorf("the hashtag timeline was read %d times, want every poll", calls)
	}
}

func TestMentionFoundBySearchTooIsHandedOnce(t *testing.T) {
	refusing, _ := listen.Filter{Include: []string{"nothing-like-it"}}.Compile("test")
	for _, tc := range []struct {
		name   string
		filter listen.Matcher
	}{
		// Every stream finds it: it is handed once all the same.
		{"no filter", listen.Matcher{}},
		// The filter would refuse the post as a search result: as a
		// mention it is taken anyway.
		{"a filter that refuses it", refusing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := instance(t)
			id := s.Mention("kim", "where is my refund #acmedown")
			l, _ := listener(t, s, func(o *mastodon.Options) {
				o.Searches = []string{"refund", "where refund", "#AcmeDown"}
				o.Filter = tc.filter
			})
			in := &inbox{}
			run(t, l, in)
			polled(t, s, 2)
			if got := in.all(); len(got) != 1 || got[0].MessageID != id {
				t.Errorf("handed %+v, want the mention once", got)
			}
			if s.Calls(mastodonsim.RouteSearch) < 4 || s.Calls(mastodonsim.RouteTag) < 2 {
				t.Errorf("searched %d times and read the tag %d times, want every search every poll", s.Calls(mastodonsim.RouteSearch), s.Calls(mastodonsim.RouteTag))
			}
		})
	}
}

func TestManyMentionsBetweenPollsAreAllTaken(t *testing.T) {
	s := instance(t)
	l, _ := listener(t, s, nil)
	in := &inbox{}
	run(t, l, in)
	polled(t, s, 1)
	const n = 95 // more than two pages of 40
	for i := range n {
		s.Mention("crowd", "outage report "+strconv.Itoa(i))
	}
	waitFor(t, s, "every mention", func() bool { return len(in.all()) >= n })
	polled(t, s, 1)
	got := in.all()
	seen := map[string]bool{}
	for i, in := range got {
		if seen[in.MessageID] || i > 0 && len(in.MessageID) == len(got[i-1].MessageID) && in.MessageID < got[i-1].MessageID {
			t.Fatalf("mention %d (%s) handed twice or out of order", i, in.MessageID)
		}
		seen[in.MessageID] = true
	}
	if len(got) != n {
		t.Errorf("handed %d mentions, want %d", len(got), n)
	}
}

func TestOldAndOwnPostsAreNotTaken(t *testing.T) {
	s := instance(t)
	s.Mention("lee", "from last month", mastodonsim.At(time.Now().Add(-40*24*time.Hour)))
	s.Mention("lee", "from two days ago", mastodonsim.At(time.Now().Add(-48*time.Hour)))
	s.Post("acme", "@acme talking to ourselves about refunds")
	l, _ := listener(t, s, func(o *mastodon.Options) {
		o.MaxAge = 24 * time.Hour
		o.Searches = []string{"refunds"}
	})
	in := &inbox{}
	run(t, l, in)
	polled(t, s, 1)
	id := s.Mention("lee", "today")
	waitFor(t, s, "today's mention", func() bool { return len(in.all()) > 0 })
	polled(t, s, 1)
	if got := in.all(); len(got) != 1 || got[0].MessageID != id {
		t.Errorf("handed %+v, want only today's mention", got)
	}
}

func TestRefusedPostIsHandedAgain(t *testing.T) {
	s := instance(t)
	id := s.Mention("max", "please help")
	l, st := listener(t, s, nil)
	in := &inbox{refuse: 1}
	run(t, l, in)
	waitFor(t, s, "the post handed again", func() bool { return len(in.all()) == 1 })
	polled(t, s, 1)
	if got := in.all(); len(got) != 1 || got[0].MessageID != id {
		t.Errorf("handed %+v, want the refused mention once more", got)
	}
	if !st.is(true) {
		t.Errorf("a refusal of the core was told as Mastodon failing: %+v", st.list)
	}
}

func TestRevokedTokenAndRecovery(t *testing.T) {
	s := instance(t)
	s.RevokeToken() // already at start: verify_credentials fails
	l, st := listener(t, s, nil)
	in := &inbox{}
	run(t, l, in)
	waitFor(t, s, "a failed state", func() bool { return st.is(false) })
	last, _ := st.last()
	want := "Mastodon rejected the access token of source brand (401): create a new one under Preferences → Development with read and write:statuses scopes"
	if last.reason != want {
		t.Errorf("reason %q, want %q", last.reason, want)
	}

	s.RestoreToken()
	waitFor(t, s, "a working state", func() bool { return st.is(true) })
	id := s.Mention("ned", "hello?")
	waitFor(t, s, "the mention", func() bool { return len(in.all()) == 1 })

	// Revoked while running: the notifications are refused.
	s.RevokeToken()
	waitFor(t, s, "a failed state", func() bool { return st.is(false) })
	if last, _ := st.last(); last.reason != want {
		t.Errorf("reason %q, want %q", last.reason, want)
	}
	s.RestoreToken()
	waitFor(t, s, "a working state", func() bool { return st.is(true) })
	if got := in.all(); len(got) != 1 || got[0].MessageID != id {
		t.Errorf("handed %+v, want the one mention", got)
	}
}

func TestTooManyRequestsIsWaitedFor(t *testing.T) {
	s := instance(t)
	s.FailNext(mastodonsim.RouteNotifications, 1, http.StatusTooManyRequests, time.Second)
	id := s.Mention("oz", "hello")
	l, st := listener(t, s, nil)
	in := &inbox{}
	run(t, l, in)
	waitFor(t, s, "the mention after the pause", func() bool { return len(in.all()) == 1 })
	// A listener that did not wait would poll every 5 ms into the pause
	// the client keeps, and fail each time.
	st.mu.Lock()
	defer st.mu.Unlock()
	var failed []state
	for _, x := range st.list {
		if !x.ok {
			failed = append(failed, x)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0].reason, "asks source brand to slow down; it polls again after") || in.all()[0].MessageID != id {
		t.Errorf("failed states %+v, want the one pause told", failed)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    mastodon.Options
		want string
	}{
		{mastodon.Options{Instance: "https://mastodon.social", Token: "t"}, "a Mastodon source needs a name"},
		{mastodon.Options{Name: "x", Token: "t"}, "instance is empty"},
		{mastodon.Options{Name: "x", Instance: "mastodon.social", Token: "t"}, `instance "mastodon.social" is not the address of a server`},
		{mastodon.Options{Name: "x", Instance: "https://mastodon.social/@acme", Token: "t"}, "is not the address of a server"},
		{mastodon.Options{Name: "x", Instance: "https://mastodon.social"}, "the access token is empty"},
		{mastodon.Options{Name: "x", Instance: "https://mastodon.social", Token: "t", Searches: []string{"#"}}, `search "#" is empty`},
	} {
		_, err := mastodon.New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want it to say %q", tc.o, err, tc.want)
		}
	}
	if _, err := mastodon.New(mastodon.Options{Name: "x", Instance: "https://mastodon.social/", Token: "t", Searches: []string{"#acme", "acme bank"}}); err != nil {
		t.Errorf("New refused good options: %v", err)
	}
}

func TestHostileAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		reason string   // what the health board is told; "" for a poll that works
		texts  []string // what is handed
	}{
		{"an HTML page", "<html><body>Maintenance</body></html>", "is not the JSON Mastodon answers", nil},
		{"a body too large", `[` + strings.Repeat(" ", 5<<20) + `]`, "is larger than", nil},
		{"statuses without an id or an author", `[{"id":"1","type":"mention","status":{"id":"","content":"x","account":{"id":"9"}}},{"id":"2","type":"mention","status":{"id":"5","content":"y"}},{"id":"3","type":"mention","status":null},{"id":"4","type":"follow"},{"id":"5","type":"mention","status":{"id":"6","content":"z","account":{"id":"9","acct":"x"}}}]`, "", []string{"z"}},
		{"a script in the content", `[{"id":"1","type":"mention","status":{"id":"5","created_at":"bad date","content":"<p>hi<script>alert(1)</script></p>","account":{"id":"9","acct":"x"}}}]`, "", []string{"hi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := instance(t)
			s.AnswerNext(mastodonsim.RouteNotifications, 1, http.StatusOK, []byte(tc.body))
			l, st := listener(t, s, nil)
			in := &inbox{}
			run(t, l, in)
			polled(t, s, 1)
			st.mu.Lock()
			first := st.list[0]
			st.mu.Unlock()
			if tc.reason == "" && !first.ok || tc.reason != "" && (first.ok || !strings.Contains(first.reason, tc.reason)) {
				t.Errorf("first state %+v, want %q", first, tc.reason)
			}
			if got := in.texts(); !slices.Equal(got, tc.texts) {
				t.Errorf("handed %q, want %q", got, tc.texts)
			}
		})
	}
}
