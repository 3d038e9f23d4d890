package feed_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/feed"
	"caredesk/bot"
	"caredesk/listen"
	"caredesk/sim/feedsim"
)

// complaint is a forum post about the brand, two hours old.
var complaint = feedsim.Item{
	ID: "https://forum.example/t/42", Link: "https://forum.example/t/42", Title: "Acme kartımı bloke etti",
	Description: "<p>Üç gündür <b>paramı</b> çekemiyorum &amp; kimse cevap vermiyor.</p>",
	Author:      "Ayşe Yılmaz", AuthorURI: "https://forum.example/u/ayse", Published: now.Add(-2 * time.Hour),
}

const complaintText = "Acme kartımı bloke etti\n\nÜç gündür paramı çekemiyorum & kimse cevap vermiyor."

// TestEachFormatOpensInbounds: an item of each format becomes the same
// post, as the core takes it.
func TestEachFormatOpensInbounds(t *testing.T) {
	forum := feedsim.Feed{Title: "Şikayet Forumu", Link: "https://forum.example", Language: "tr", Items: []feedsim.Item{complaint}}
	want := bot.Inbound{
		Source: "feed:forum", MessageID: complaint.ID, Conversation: complaint.ID,
		Customer: bot.Customer{ID: "Ayşe Yılmaz", Name: "Ayşe Yılmaz"},
		Text:     complaintText, At: complaint.Published, Network: "Şikayet Forumu",
		PostURL: complaint.Link, PostKey: complaint.Link, Language: "tr",
	}
	withURI := want
	withURI.Customer = bot.Customer{ID: complaint.AuthorURI, Name: "Ayşe Yılmaz", ProfileURL: complaint.AuthorURI}

	alertItem := complaint
	alertItem.ID, alertItem.Description = "", "Üç gündür paramı çekemiyorum & kimse cevap vermiyor."
	alert := feedsim.GoogleAlert("Acme", alertItem)
	fromAlert := withURI
	fromAlert.MessageID = alert.Items[0].ID
	fromAlert.Conversation = alert.Items[0].ID
	fromAlert.Network, fromAlert.Language = "Google Alert - Acme", ""
	alertItem.Author, alertItem.AuthorURI = "", ""
	anonAlert := feedsim.GoogleAlert("Acme", alertItem)
	fromAnon := fromAlert
	fromAnon.Customer = bot.Customer{ID: "forum.example", Name: "forum.example"} // the page's site, not google.com

	for _, tc := range []struct {
		name   string
		format feedsim.Format
		feed   feedsim.Feed
		want   bot.Inbound
	}{
		{"RSS 2.0", feedsim.RSS, forum, want},
		{"Atom", feedsim.Atom, forum, withURI},
		{"RSS 1.0", feedsim.RDF, forum, want},
		{"Google Alerts", feedsim.Atom, alert, fromAlert},
		{"Google Alerts without author", feedsim.Atom, anonAlert, fromAnon},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSite(t)
			setFeed(t, s, "/feed", tc.format, tc.feed)
			h := start(t, s.URL("/feed"), nil)
			if d := h.Poll(); d != time.Minute {
				t.Errorf("waits %v after a good poll, want Every", d)
			}
			got := h.r.Take()
			if len(got) != 1 {
				t.Fatalf("got %d posts, want 1: %+v", len(got), got)
			}
			if !got[0].At.Equal(tc.want.At) {
				t.Errorf("At = %v, want %v", got[0].At, tc.want.At)
			}
			got[0].At = tc.want.At
			if !reflect.DeepEqual(got[0], tc.want) {
				t.Errorf("got  %+v\nwant %+v", got[0], tc.want)
			}
			if st := h.States(); len(st) != 1 || !st[0].ok {
				t.Errorf("OnState: %+v", st)
			}
		})
	}
}

// TestPollsCheaply: a second poll of an unchanged feed is a 304 that
// hands nothing; a new item is handed once.
func TestPollsCheaply(t *testing.T) {
	s := startSite(t)
	setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: []feedsim.Item{complaint}})
	h := start(t, s.URL("/feed"), nil)
	h.Poll()
	if got := len(h.r.Take()); got != 1 {
		t.Fatalf("first poll handed %d, want 1", got)
	}
	sent := s.Bytes("/feed")
	h.Poll()
	if got := h.r.Take(); len(got) != 0 || s.NotModified("/feed") != 1 || s.Bytes("/feed") != sent {
		t.Errorf("second poll: handed %d, %d 304s, %d more bytes", len(got), s.NotModified("/feed"), s.Bytes("/feed")-sent)
	}
	newer := feedsim.Item{ID: "t/43", Link: "https://forum.example/t/43", Title: "Acme again", Published: now}
	if err := s.AddItem("/feed", newer); err != nil {
		t.Fatal(err)
	}
	h.Poll()
	if got := h.r.Take(); len(got) != 1 || got[0].MessageID != "t/43" {
		t.Errorf("after a new item: %+v", got)
	}
	h.Poll()
	if got := h.r.Take(); len(got) != 0 || s.NotModified("/feed") != 2 || s.Requests("/feed") != 4 {
		t.Errorf("fourth poll: handed %d, %d 304s in %d requests", len(got), s.NotModified("/feed"), s.Requests("/feed"))
	}
}

// TestRemembersWithoutValidators: a site that answers every poll in full
// does not make the listener hand its items again.
func TestRemembersWithoutValidators(t *testing.T) {
	s := startSite(t)
	setFeed(t, s, "/feed", feedsim.Atom, feedsim.Feed{Title: "forum", Items: []feedsim.Item{complaint}})
	s.IgnoreConditional("/feed")
	h := start(t, s.URL("/feed"), nil)
	h.Poll()
	h.Poll()
	if got := len(h.r.Take()); got != 1 || s.NotModified("/feed") != 0 {
		t.Errorf("handed %d in two full polls, want 1", got)
	}
}

// TestHandsAgainWhatWasNotStored: a post the core could not store is
// handed on the next poll, which therefore reads the feed in full.
func TestHandsAgainWhatWasNotStored(t *testing.T) {
	s := startSite(t)
	other := feedsim.Item{ID: "t/7", Title: "Acme other", Published: now}
	setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: []feedsim.Item{complaint, other}})
	h := listener(t, s.URL("/feed"), nil)
	h.r.Fail = 1
	h.run(testContext(t), false)
	h.Poll()
	if got := h.r.Take(); len(got) != 1 || got[0].MessageID != "t/7" {
		t.Fatalf("with the first refused: %+v", got)
	}
	h.Poll()
	if got := h.r.Take(); len(got) != 1 || got[0].MessageID != complaint.ID || s.NotModified("/feed") != 0 {
		t.Errorf("next poll: %+v, %d 304s", got, s.NotModified("/feed"))
	}
	h.Poll()
	if got := h.r.Take(); len(got) != 0 || s.NotModified("/feed") != 1 {
		t.Errorf("third poll: %+v, %d 304s", got, s.NotModified("/feed"))
	}
}

// TestSamePostSameKey: a page heard through Google Alerts (a redirect,
// with tracking parameters) and through the forum's own feed is one
// post.
func TestSamePostSameKey(t *testing.T) {
	s := startSite(t)
	shared := complaint
	shared.Link = "https://Forum.example:443/t/42?utm_source=alerts&ref_src=twsrc&UTM_ID=5#:~:text=charged%20twice"
	setFeed(t, s, "/alert", feedsim.Atom, feedsim.GoogleAlert("Acme", shared))
	setFeed(t, s, "/forum", feedsim.RSS, feedsim.Feed{Title: "forum", Items: []feedsim.Item{complaint}})
	var keys []string
	for _, path := range []string{"/alert", "/forum"} {
		h := start(t, s.URL(path), nil)
		h.Poll()
		for _, in := range h.r.Take() {
			keys = append(keys, in.PostKey)
		}
	}
	if len(keys) != 2 || keys[0] != keys[1] || keys[0] != "https://forum.example/t/42" {
		t.Errorf("PostKeys %q, want twice https://forum.example/t/42", keys)
	}
}

// TestItemsWithoutIDs: an item with a link only is known by its link, one
// with neither by a hash of its words; both are taken once, and a
// relative link is made absolute.
func TestItemsWithoutIDs(t *testing.T) {
	s := startSite(t)
	items := []feedsim.Item{
		{Link: "/t/9", Title: "Acme link only"},
		{Title: "Acme words only", Description: "no id, no link"},
		{Link: "javascript:alert(1)", Title: "Acme script link"},
	}
	setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: items})
	s.IgnoreConditional("/feed")
	h := start(t, s.URL("/feed"), nil)
	h.Poll()
	h.Poll()
	got := h.r.Take()
	if len(got) != 3 {
		t.Fatalf("handed %d, want 3: %+v", len(got), got)
	}
	if want := s.URL("/t/9"); got[0].MessageID != want || got[0].PostKey != want {
		t.Errorf("link only: %+v", got[0])
	}
	if in := got[1]; !strings.HasPrefix(in.MessageID, "sha256:") || in.PostKey != "" || in.PostURL != "" {
		t.Errorf("words only: key %q, PostKey %q", in.MessageID, in.PostKey)
	}
	if in := got[2]; in.MessageID != "javascript:alert(1)" || in.PostKey != "" || in.PostURL != "" {
		t.Errorf("a script link: key %q, PostKey %q, PostURL %q", in.MessageID, in.PostKey, in.PostURL)
	}
}

// TestTitlesArePlainText: HTML in titles, escaped or typed, reaches the
// desk as words.
func TestTitlesArePlainText(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format feedsim.Format
		item   feedsim.Item
		want   string
	}{
		{"RSS", feedsim.RSS, feedsim.Item{ID: "1", Title: "<b>Acme</b> &amp; my <i>card</i>"}, "Acme & my card"},
		{"RDF", feedsim.RDF, feedsim.Item{ID: "1", Title: "<script>x()</script>Acme <em>down</em>"}, "Acme down"},
		{"Atom html", feedsim.Atom, feedsim.Item{ID: "1", HTMLTitle: true, Title: "Acme &lt;3 <b>never</b>"}, "Acme <3 never"},
		{"Atom text", feedsim.Atom, feedsim.Item{ID: "1", Title: "a <b> is no tag here: Acme"}, "a <b> is no tag here: Acme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSite(t)
			setFeed(t, s, "/feed", tc.format, feedsim.Feed{Title: "forum", Items: []feedsim.Item{tc.item}})
			h := start(t, s.URL("/feed"), nil)
			h.Poll()
			if got := h.r.Take(); len(got) != 1 || got[0].Text != tc.want {
				t.Errorf("got %+v, want text %q", got, tc.want)
			}
		})
	}
}

// TestTakesOnlyWhatCounts: the brand's own items, old items and items
// the filter refuses are not handed; undated ones are.
func TestTakesOnlyWhatCounts(t *testing.T) {
	filter, err := listen.Filter{Include: []string{"acme"}, Exclude: []string{"hiring"}, Languages: []string{"tr"}}.Compile("test")
	if err != nil {
		t.Fatal(err)
	}
	items := []feedsim.Item{
		{ID: "own", Title: "Acme answers", Author: "ACME Destek", Published: now},
		{ID: "own-uri", Title: "Acme answers", Author: "someone", AuthorURI: "https://forum.example/u/acme", Published: now},
		{ID: "old", Title: "Acme years ago", Published: now.Add(-8 * 24 * time.Hour)},
		{ID: "week", Title: "Acme this week", Published: now.Add(-6 * 24 * time.Hour)},
		{ID: "undated", Title: "Acme when?"},
		{ID: "other", Title: "Nothing about the brand", Published: now},
		{ID: "job", Title: "Acme is hiring", Published: now},
		{ID: "english", Title: "Acme in English", Lang: "en", Published: now},
	}
	s := startSite(t)
	setFeed(t, s, "/feed", feedsim.Atom, feedsim.Feed{Title: "forum", Language: "tr", Items: items})
	h := start(t, s.URL("/feed"), func(o *feed.Options) {
		o.SkipAuthors = []string{"Acme Destek", "https://forum.example/u/acme"}
		o.Filter = filter
	})
	h.Poll()
	var got []string
	for _, in := range h.r.Take() {
		got = append(got, in.MessageID)
		if in.MessageID == "undated" && !in.At.IsZero() {
			t.Errorf("an undated item has At %v", in.At)
		}
	}
	if want := []string{"week", "undated"}; !reflect.DeepEqual(got, want) {
		t.Errorf("took %q, want %q", got, want)
	}
}

// TestRefusesWhatIsNotAFeed: a web page, broken XML, a body too large or
// an unknown charset is a sentence on the health board and no post, and
// the board hears when the feed works again.
func TestRefusesWhatIsNotAFeed(t *testing.T) {
	huge := strings.Repeat("<item><title>x</title></item>", 5<<20/29)
	for _, tc := range []struct {
		name     string
		body     string
		maxBytes int64
		want     string
	}{
		{"web page", "<!DOCTYPE html><html><body>Hi</body></html>", 0, "is not an RSS or Atom feed but a web page: give the address of its feed"},
		{"JSON", `{"items": []}`, 0, "is not an RSS or Atom feed: it is not XML"},
		{"broken XML", `<rss><channel><item></channel></rss>`, 0, "is not an RSS or Atom feed: its XML is broken"},
		{"other XML", `<?xml version="1.0"?><sitemap/>`, 0, "is not an RSS or Atom feed: its root element is <sitemap>"},
		{"empty", "", 0, "is not an RSS or Atom feed: it is empty"},
		{"too large", "<rss><channel>" + huge + "</channel></rss>", 0, "is larger than 4 MiB"},
		{"over MaxBytes", "<rss><channel>" + huge[:100<<10] + "</channel></rss>", 64 << 10, "is larger than 64 KiB"},
		{"charset", `<?xml version="1.0" encoding="KOI8-R"?><rss/>`, 0, `written in charset "KOI8-R", which caredesk cannot read`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSite(t)
			s.SetRaw("/feed", "text/html", []byte(tc.body))
			h := start(t, s.URL("/feed"), func(o *feed.Options) { o.MaxBytes = tc.maxBytes })
			if d := h.Poll(); d != 2*time.Minute {
				t.Errorf("waits %v after a failure, want twice Every", d)
			}
			st := h.States()
			if len(st) != 1 || st[0].ok || !strings.Contains(st[0].reason, tc.want) {
				t.Errorf("OnState %+v, want false and %q", st, tc.want)
			}
			setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: []feedsim.Item{complaint}})
			h.Poll()
			if st := h.States(); len(st) != 1 || !st[0].ok || len(h.r.Take()) != 1 {
				t.Errorf("after the feed came back: OnState %+v", st)
			}
		})
	}
}

// TestBacksOff: failures double the wait up to half an hour; a good poll
// returns to Every; a host that is missing or refuses is said so.
func TestBacksOff(t *testing.T) {
	s := startSite(t)
	setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "forum"})
	s.FailNext("/feed", 6, http.StatusInternalServerError, "")
	h := start(t, s.URL("/feed"), func(o *feed.Options) { o.Every = 5 * time.Minute })
	var waits []time.Duration
	for range 7 {
		waits = append(waits, h.Poll())
	}
	want := []time.Duration{10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 5 * time.Minute}
	if !reflect.DeepEqual(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	if st := h.States(); len(st) != 7 || st[0].reason != fmt.Sprintf("the feed at %s answered 500 Internal Server Error", s.URL("/feed")) || !st[6].ok {
		t.Errorf("OnState %+v", st)
	}
	for _, tc := range []struct {
		status int
		want   string
	}{
		{404, "there is no feed at " + s.URL("/feed") + " (404 Not Found): check the source's url"},
		{403, "the feed at " + s.URL("/feed") + " refuses caredesk (403 Forbidden)"},
	} {
		s.FailNext("/feed", 1, tc.status, "")
		h.Poll()
		if st := h.States(); len(st) != 1 || !strings.HasPrefix(st[0].reason, tc.want) {
			t.Errorf("%d: OnState %+v, want %q", tc.status, st, tc.want)
		}
	}
}

// TestHonoursRetryAfter: a 429 makes the listener wait as long as the
// site asked, without asking it again meanwhile.
func TestHonoursRetryAfter(t *testing.T) {
	s := startSite(t)
	setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: []feedsim.Item{complaint}})
	s.FailNext("/feed", 1, http.StatusTooManyRequests, "600")
	h := start(t, s.URL("/feed"), nil)
	for i := range 2 {
		// The second poll is let happen early, as a restart of the
		// listener would: it still does not ask the site.
		if d := h.Poll(); d < 590*time.Second || d > 600*time.Second {
			t.Errorf("poll %d waits %v, want about the 600 s asked", i, d)
		}
	}
	if st := h.States(); len(st) != 2 || st[0].ok || !strings.Contains(st[0].reason, "429") {
		t.Errorf("OnState %+v", st)
	}
	if n := s.Requests("/feed"); n != 1 {
		t.Errorf("the site was asked %d times, want once", n)
	}
}

// TestComesBackAfterRetryAfter really waits a short Retry-After, then
// takes the post.
func TestComesBackAfterRetryAfter(t *testing.T) {
	s := startSite(t)
	setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: []feedsim.Item{complaint}})
	s.FailNext("/feed", 1, http.StatusTooManyRequests, "1")
	h := listener(t, s.URL("/feed"), func(o *feed.Options) { o.Every = time.Second })
	h.run(testContext(t), true)
	h.Poll()
	h.Poll()
	if got := h.r.Take(); len(got) != 1 || s.Requests("/feed") != 2 {
		t.Errorf("after Retry-After: %d posts in %d requests", len(got), s.Requests("/feed"))
	}
	if st := h.States(); len(st) != 2 || st[0].ok || !st[1].ok {
		t.Errorf("OnState %+v, want false then true", st)
	}
}

// TestReadsOldCharsets: a Turkish site in windows-1254 and a Polish one
// in ISO-8859-2 read as UTF-8.
func TestReadsOldCharsets(t *testing.T) {
	for _, enc := range []string{"windows-1254", "ISO-8859-9"} {
		s := startSite(t)
		setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "Şikayet", Encoding: enc, Items: []feedsim.Item{complaint}})
		h := start(t, s.URL("/feed"), nil)
		h.Poll()
		if got := h.r.Take(); len(got) != 1 || got[0].Text != complaintText || got[0].Network != "Şikayet" {
			t.Errorf("%s: %+v", enc, got)
		}
	}
	polish := feedsim.Item{ID: "1", Title: "Acme: zażółć gęślą jaźń"}
	s := startSite(t)
	setFeed(t, s, "/feed", feedsim.RDF, feedsim.Feed{Title: "forum", Encoding: "ISO-8859-2", Items: []feedsim.Item{polish}})
	h := start(t, s.URL("/feed"), nil)
	h.Poll()
	if got := h.r.Take(); len(got) != 1 || got[0].Text != polish.Title {
		t.Errorf("ISO-8859-2: %+v", got)
	}
}

// TestSendIsPermanent: an agent's reply is refused with a sentence that
// says where to answer.
func TestSendIsPermanent(t *testing.T) {
	s := startSite(t)
	setFeed(t, s, "/feed", feedsim.RSS, feedsim.Feed{Title: "forum", Items: []feedsim.Item{complaint}})
	h := start(t, s.URL("/feed"), nil)
	h.Poll()
	in := h.r.Take()[0]
	for _, m := range []bot.Outgoing{
		{Conversation: in.Conversation, Text: "Merhaba"},
		{Conversation: "unknown", Ticket: bot.Ticket{PostURL: complaint.Link}, Text: "Merhaba"},
	} {
		ref, err := h.l.Send(context.Background(), m)
		want := "a feed cannot be answered: answer the post where it was published (https://forum.example/t/42), then resolve the ticket"
		if ref != "" || !bot.IsPermanent(err) || err.Error() != want {
			t.Errorf("Send: %q, %v", ref, err)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		o    feed.Options
		want string
	}{
		{feed.Options{URL: "https://x.example/feed"}, "a feed source needs a name"},
		{feed.Options{Name: "f", URL: "ftp://x.example/feed"}, `feed source "f": url "ftp://x.example/feed" is not an http or https address`},
		{feed.Options{Name: "f", URL: "x.example/feed"}, `is not an http or https address`},
	} {
		if _, err := feed.New(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want %q", tc.o, err, tc.want)
		}
	}
}
