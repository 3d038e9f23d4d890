package feed_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"caredesk/adapters/feed"
	"caredesk/sim/feedsim"
)

func parse(t *testing.T, doc string) *feed.Document {
	t.Helper()
	d, err := feed.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestParsesDates: the layouts feeds use; anything else is zero.
func TestParsesDates(t *testing.T) {
	want := time.Date(2026, 3, 14, 9, 30, 5, 0, time.UTC)
	for _, s := range []string{
		"Sat, 14 Mar 2026 09:30:05 +0000",
		"Sat, 14 Mar 2026 09:30:05 GMT",
		"Sat, 14 Mar 2026 12:30:05 +0300",
		"Sat, 14 Mar 2026 12:30:05 GMT+0300",
		"Sat, 14 Mar 2026 09:30:05 UT",
		"14 Mar 2026 09:30:05 +0000",
		"Sat, 14 March 2026 09:30:05 +0000",
		"  Sat,  14 Mar 2026 09:30:05 +0000 ",
		"2026-03-14T09:30:05Z",
		"2026-03-14T12:30:05+03:00",
		"2026-03-14T09:30:05.000Z",
		"2026-03-14 09:30:05",
	} {
		d := parse(t, "<rss><channel><item><guid>1</guid><pubDate>"+s+"</pubDate></item></channel></rss>")
		if got := d.Entries[0].At; !got.Equal(want) {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"", "yesterday", "14/03/2026", "Sat, 45 Mar 2026 09:30:05 +0000"} {
		d := parse(t, "<rss><channel><item><guid>1</guid><pubDate>"+s+"</pubDate></item></channel></rss>")
		if got := d.Entries[0].At; !got.IsZero() {
			t.Errorf("%q: %v, want zero", s, got)
		}
	}
}

// TestParsesTheWild: what real feeds do that the simulator's renderings
// do not.
func TestParsesTheWild(t *testing.T) {
	rss := parse(t, `<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
 <title>Forum &amp; co</title>
 <atom:link href="https://forum.example/feed" rel="self"/>
 <link>https://forum.example/</link>
 <language>en-us</language>
 <item><title>A&nbsp;title</title><guid> g1 </guid><author>jane@example.com (Jane Doe)</author>
  <description>&lt;p&gt;first&lt;/p&gt;</description><category>x</category></item>
 <item><title>second</title><author>bob</author><link>https://forum.example/2</link></item>
 <item><title>third</title><link>https://www.google.com/url?rct=j&amp;url=https://news.example/a%3Fb%3D1&amp;ct=ga</link></item>
</channel></rss>`)
	if rss.Title != "Forum & co" || rss.Link != "https://forum.example/" || rss.Language != "en-us" || rss.Format != "RSS 2.0" {
		t.Errorf("channel: %+v", rss)
	}
	e := rss.Entries
	if e[0].Key != "g1" || e[0].Title != "A title" || e[0].AuthorName != "Jane Doe" || e[0].Excerpt != "first" || e[0].Language != "en-us" {
		t.Errorf("item 1: %+v", e[0])
	}
	if e[1].Key != "https://forum.example/2" || e[1].KeyFrom != "link" || e[1].AuthorName != "bob" {
		t.Errorf("item 2: %+v", e[1])
	}
	if e[2].Link != "https://news.example/a?b=1" || e[2].Key != "https://news.example/a?b=1" {
		t.Errorf("item 3: %+v", e[2])
	}

	atom := parse(t, `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ro">
 <title type="html">&lt;b&gt;Acme&lt;/b&gt; news</title>
 <link rel="self" href="https://x.example/feed"/><link rel="alternate" href="https://x.example/"/>
 <entry xml:lang="en"><id>urn:1</id><title>t</title>
  <link rel="edit" href="https://x.example/edit/1"/><link href="https://x.example/1"/>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>there</b></p></div></content>
  <updated>2026-03-14T09:30:05Z</updated></entry>
 <entry><id>urn:2</id><title type="text">5 &lt; 6</title><summary>plain &lt;b&gt; text</summary></entry>
</feed>`)
	if atom.Title != "Acme news" || atom.Link != "https://x.example/" || atom.Language != "ro" {
		t.Errorf("feed: %+v", atom)
	}
	if a := atom.Entries[0]; a.Link != "https://x.example/1" || a.Excerpt != "Hello there" || a.Language != "en" || a.At.IsZero() {
		t.Errorf("entry 1: %+v", a)
	}
	if a := atom.Entries[1]; a.Title != "5 < 6" || a.Excerpt != "plain <b> text" || a.Language != "ro" {
		t.Errorf("entry 2: %+v", a)
	}
}

// TestClipsExcerpts: a long text is cut at a word near a thousand
// characters, marked with "…".
func TestClipsExcerpts(t *testing.T) {
	long := strings.Repeat("şikayet ", 300)
	d := parse(t, "<rss><channel><item><guid>1</guid><description>"+long+"</description></item></channel></rss>")
	x := d.Entries[0].Excerpt
	if n := utf8.RuneCountInString(x); n > feed.MaxExcerpt+1 || n < feed.MaxExcerpt*4/5 || !strings.HasSuffix(x, "şikayet…") {
		t.Errorf("excerpt of %d runes ends %q", n, x[len(x)-20:])
	}
}

// seeds are documents of each format, well and badly made, for the fuzzer.
func seeds(f *testing.F) [][]byte {
	f.Helper()
	item := feedsim.Item{ID: "1", Title: "Acme <b>x</b>", Link: "https://a.example/1", Description: "<p>d</p>", Content: "c", Author: "a", AuthorURI: "https://a.example/u", Published: time.Unix(1e9, 0), Categories: []string{"c"}}
	var out [][]byte
	for _, format := range []feedsim.Format{feedsim.RSS, feedsim.Atom, feedsim.RDF} {
		for _, enc := range []string{"", "windows-1250", "x-unknown"} {
			b, err := feedsim.Render(format, feedsim.Feed{Title: "t", Link: "https://a.example", Language: "pl", Encoding: enc, Items: []feedsim.Item{item, {}}})
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	ga, err := feedsim.Render(feedsim.Atom, feedsim.GoogleAlert("Acme", item))
	if err != nil {
		f.Fatal(err)
	}
	return append(out, ga,
		[]byte(""), []byte("<"), []byte("<rss>"), []byte("<rss><channel><item></item><item/></channel></rss>"),
		[]byte("<!DOCTYPE html><html><body><rss></rss></body></html>"), []byte(`{"json": true}`),
		[]byte(`<?xml version="1.0" encoding="utf-16"?><feed/>`), []byte("<feed><entry><link href='https://www.google.com/url?url=javascript:x'/></entry></feed>"),
		[]byte("<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><item rdf:about=''/></rdf:RDF>"),
		[]byte("<rss><channel><item><title>&bogus;</title></item></channel></rss>"),
	)
}

// FuzzParse: no document makes Parse panic, or give an entry without a
// key or with text that is not UTF-8.
func FuzzParse(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := feed.Parse(data)
		if err != nil {
			if d != nil {
				t.Errorf("a document and an error")
			}
			return
		}
		for _, e := range d.Entries {
			if e.Key == "" {
				t.Errorf("an entry without a key: %+v", e)
			}
			if !utf8.ValidString(e.Title + e.Excerpt + e.AuthorName) {
				t.Errorf("text that is not UTF-8: %+v", e)
			}
		}
	})
}

// TestStrayByteKeepsTheFeed: one byte that is not UTF-8 in a feed that
// says it is UTF-8 (a title pasted from a windows-1254 page) becomes
// U+FFFD; the feed's other items are not lost with it. A feed that
// declares a single-byte charset is decoded as it says.
func TestStrayByteKeepsTheFeed(t *testing.T) {
	for _, tc := range []struct {
		name, decl, want string
	}{
		{"UTF-8 declared", `<?xml version="1.0" encoding="UTF-8"?>`, "Acme fatura \uFFFD"},
		{"nothing declared", ``, "Acme fatura \uFFFD"},
		{"windows-1254 declared", `<?xml version="1.0" encoding="windows-1254"?>`, "Acme fatura ı"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.decl + "<rss version=\"2.0\"><channel><title>Forum</title>" +
				"<item><guid>1</guid><title>Acme fatura \xfd</title><link>https://forum.example/1</link></item>" +
				"<item><guid>2</guid><title>Acme again</title><link>https://forum.example/2</link></item></channel></rss>"
			doc, err := feed.Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Entries) != 2 || doc.Entries[0].Title != tc.want {
				t.Errorf("entries %+v, want 2 with the first titled %q", doc.Entries, tc.want)
			}
		})
	}
}
