package bluesky_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"caredesk/adapters/bluesky"
	"caredesk/bot"
	"caredesk/listen"
	"caredesk/sim/blueskysim"
)

const (
	brand    = "acme.bsky.social"
	password = "abcd-efgh-ijkl-mnop"
)

// inbox is a Receiver that keeps what it was handed, refusing the next
// refuse posts as a core whose database is down would.
type inbox struct {
	mu     sync.Mutex
	got    []bot.Inbound
	refuse int
}

func (b *inbox) Receive(_ context.Context, in bot.Inbound) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refuse > 0 {
		b.refuse--
		return context.DeadlineExceeded
	}
	b.got = append(b.got, in)
	return nil
}

// take returns what was handed since the last take.
func (b *inbox) take() []bot.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := b.got
	b.got = nil
	return got
}

type state struct {
	ok     bool
	reason string
}

// fixture is a listener on a simulated Bluesky.
type fixture struct {
	net    *blueskysim.Server
	l      *bluesky.Listener
	states chan state
	inbox  *inbox
}

// setup starts a simulated Bluesky and a listener of the brand's on it;
// change adjusts the listener's options.
func setup(t *testing.T, change func(*bluesky.Options)) *fixture {
	t.Helper()
	net, err := blueskysim.New(blueskysim.Options{Handle: brand, AppPassword: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Close)
	f := &fixture{net: net, states: make(chan state, 100), inbox: &inbox{}}
	o := bluesky.Options{
		Name: "acme", Service: net.URL(), Handle: brand, AppPassword: password,
		Every:   time.Hour, // one poll per Run; tests poll with poll
		Client:  &listen.Client{HTTP: &http.Client{}, PerHost: rate.Inf},
		OnState: func(ok bool, reason string) { f.states <- state{ok, reason} },
	}
	if change != nil {
		change(&o)
	}
	if f.l, err = bluesky.New(o); err != nil {
		t.Fatal(err)
	}
	return f
}

// poll runs the listener for one poll and returns what it told the
// health board, and the posts it handed.
func (f *fixture) poll(t *testing.T) (state, []bot.Inbound) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.l.Run(ctx, f.inbox) }()
	var s state
	select {
	case s = <-f.states:
	case <-ctx.Done():
		t.Fatal("the listener did not finish a poll")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s, f.inbox.take()
}

// mustPoll polls once and fails the test when the poll failed.
func (f *fixture) mustPoll(t *testing.T) []bot.Inbound {
	t.Helper()
	s, got := f.poll(t)
	if !s.ok {
		t.Fatalf("the poll failed: %s", s.reason)
	}
	return got
}

func uris(ins []bot.Inbound) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.MessageID)
	}
	slices.Sort(out)
	return out
}

func TestMentionOpensInbound(t *testing.T) {
	f := setup(t, nil)
	f.net.SetProfile("ayse.bsky.social", "Ayşe Yılmaz", 12800)
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	uri := f.net.Mention("ayse.bsky.social", "my card was charged twice", blueskysim.Langs("tr", "en"), blueskysim.At(at))
	got := f.mustPoll(t)
	if len(got) != 1 {
		t.Fatalf("handed %d posts, want the mention: %+v", len(got), got)
	}
	in := got[0]
	post := f.net.Posts()[0]
	want := bot.Inbound{
		Source: "bluesky:acme", MessageID: uri, Conversation: uri,
		Customer: bot.Customer{ID: post.Author.DID, Name: "Ayşe Yılmaz", Handle: "ayse.bsky.social",
			ProfileURL: "https://bsky.app/profile/ayse.bsky.social", Followers: 12800},
		Text: "@" + brand + " my card was charged twice", At: at, Network: "Bluesky",
		// PostKey is the public address, as a feed linking the post names it.
		PostURL: "https://bsky.app/profile/ayse.bsky.social/post/" + post.RKey, PostKey: "https://bsky.app/profile/ayse.bsky.social/post/" + post.RKey, Language: "tr",
	}
	if !in.At.Equal(want.At) {
		t.Errorf("At = %v, want %v", in.At, want.At)
	}
	in.At = want.At
	if in.Source != want.Source || in.MessageID != want.MessageID || in.Conversation != want.Conversation ||
		in.Customer != want.Customer || in.Text != want.Text || in.Network != want.Network ||
		in.PostURL != want.PostURL || in.PostKey != want.PostKey || in.Language != want.Language || in.Private {
		t.Errorf("Inbound =\n%+v\nwant\n%+v", in, want)
	}
	if got := f.mustPoll(t); len(got) != 0 {
		t.Errorf("the second poll handed %d posts again, want none: %+v", len(got), got)
	}
}

func TestRefusedPostIsHandedAgain(t *testing.T) {
	f := setup(t, nil)
	uri := f.net.Mention("ayse.bsky.social", "hello?")
	f.inbox.refuse = 1
	if got := f.mustPoll(t); len(got) != 0 {
		t.Fatalf("handed %v while the core refused it", uris(got))
	}
	if got := uris(f.mustPoll(t)); !slices.Equal(got, []string{uri}) {
		t.Errorf("the next poll handed %v, want the refused post %s again", got, uri)
	}
}

func TestSearchFilter(t *testing.T) {
	m, err := listen.Filter{Include: []string{"acme"}, Exclude: []string{"hiring"}, Languages: []string{"tr", "en"}}.Compile("test")
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, func(o *bluesky.Options) { o.Searches, o.Filter = []string{"acme"}, m })
	var want []string
	for _, tc := range []struct {
		text  string
		langs []string
		taken bool
	}{
		{"ACME'nin faturası yine yanlış", []string{"tr"}, true},
		{"acme support never answers", nil, true}, // no language said: taken
		{"Acme is hiring agents", []string{"en"}, false},
		{"Acme nu răspunde", []string{"ro"}, false},
		{"pacme is another shop", []string{"en"}, false}, // found by the search, not a word of the filter
	} {
		uri := f.net.Post("someone.bsky.social", tc.text, blueskysim.Langs(tc.langs...))
		if tc.taken {
			want = append(want, uri)
		}
	}
	f.net.Post(brand, "Acme: our new card is here") // the brand's own post
	slices.Sort(want)
	if got := uris(f.mustPoll(t)); !slices.Equal(got, want) {
		t.Errorf("handed %v, want %v", got, want)
	}
}

func TestBrandsOwnPostsAndDuplicates(t *testing.T) {
	f := setup(t, func(o *bluesky.Options) { o.Searches = []string{"acme", "card"} })
	mention := f.net.Mention("ayse.bsky.social", "acme: my card is blocked") // a notification and two searches
	f.net.Post(brand, "acme card news")                                      // the brand's own
	f.net.Mention(brand, "acme card: we are on it")                          // the brand's own, in its notifications
	got := f.mustPoll(t)
	if len(got) != 1 || got[0].MessageID != mention {
		t.Errorf("handed %v, want the customer's mention once", uris(got))
	}
}

func TestOldPostsNotTaken(t *testing.T) {
	f := setup(t, func(o *bluesky.Options) { o.MaxAge = 24 * time.Hour })
	f.net.Mention("ayse.bsky.social", "from last week", blueskysim.At(time.Now().Add(-7*24*time.Hour)))
	fresh := f.net.Mention("ayse.bsky.social", "from today")
	if got := uris(f.mustPoll(t)); !slices.Equal(got, []string{fresh}) {
		t.Errorf("handed %v, want only today's %s", got, fresh)
	}
}

func TestNewRefuses(t *testing.T) {
	_, err := bluesky.New(bluesky.Options{Name: "acme", Service: "bsky.social", Searches: []string{" "}})
	for _, want := range []string{"service \"bsky.social\" is not an address", "the handle is missing", "the app password is missing", "a search is empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New: %v, want it to say %q", err, want)
		}
	}
}

func TestRepliesAndQuotesOfTheBrand(t *testing.T) {
	f := setup(t, nil)
	own := f.net.Post(brand, "Our app is back up.")
	answer := f.net.Reply("ayse.bsky.social", own, "not for me")
	quote := f.net.Quote("mehmet.bsky.social", own, "they say so every week")
	again := f.net.Reply("mehmet.bsky.social", answer, "same here") // in the brand's thread: Bluesky notifies the brand
	f.net.Reply("mehmet.bsky.social", quote, "lol")                 // in someone else's thread: no notification
	want := []string{answer, quote, again}
	slices.Sort(want)
	if got := uris(f.mustPoll(t)); !slices.Equal(got, want) {
		t.Errorf("handed %v, want the replies and the quote %v", got, want)
	}
}

func TestFailedPoll(t *testing.T) {
	f := setup(t, nil)
	f.net.Mention("ayse.bsky.social", "hello?")
	f.net.FailNext("app.bsky.notification.listNotifications", 1, http.StatusBadGateway)
	s, got := f.poll(t)
	if s.ok || !strings.HasPrefix(s.reason, "Bluesky source acme could not be polled: app.bsky.notification.listNotifications answered 502") || len(got) != 0 {
		t.Errorf("OnState(%v, %q) and %d posts, want a failure that says what answered what", s.ok, s.reason, len(got))
	}
	if got := f.mustPoll(t); len(got) != 1 {
		t.Errorf("the next poll handed %d posts, want the mention", len(got))
	}
}
