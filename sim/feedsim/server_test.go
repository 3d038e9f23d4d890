package feedsim_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"caredesk/sim/feedsim"
)

func start(t *testing.T) *feedsim.Server {
	t.Helper()
	s, err := feedsim.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// get asks for url with headers h, and returns the status, the headers
// and the body.
func get(t *testing.T, url string, h map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

var published = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func sample() feedsim.Feed {
	return feedsim.Feed{
		Title: "Şikayet forumu", Link: "https://forum.example", Language: "tr",
		Items: []feedsim.Item{{
			ID: "https://forum.example/t/1", Link: "https://forum.example/t/1", Title: "Acme & kartım",
			Description: "<p>Kartım <b>bloke</b> oldu</p>", Content: "<p>uzun ]]> metin</p>",
			Author: "Ayşe", AuthorURI: "https://forum.example/u/ayse", Published: published, Categories: []string{"banka"},
		}},
	}
}

// TestRendersWellFormedXML: every format is XML a strict decoder reads,
// in UTF-8 and in a declared single-byte charset, with the item's words.
func TestRendersWellFormedXML(t *testing.T) {
	for _, format := range []feedsim.Format{feedsim.RSS, feedsim.Atom, feedsim.RDF} {
		for _, enc := range []string{"", "windows-1254"} {
			t.Run(format.String()+enc, func(t *testing.T) {
				f := sample()
				f.Encoding = enc
				body, err := feedsim.Render(format, f)
				if err != nil {
					t.Fatal(err)
				}
				d := xml.NewDecoder(bytes.NewReader(body))
				d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
					if !strings.EqualFold(label, "windows-1254") {
						t.Errorf("declared charset %q", label)
					}
					return charmap.Windows1254.NewDecoder().Reader(r), nil
				}
				var text strings.Builder
				for {
					tok, err := d.Token()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("not well-formed: %v\n%s", err, body)
					}
					if cd, ok := tok.(xml.CharData); ok {
						text.Write(cd)
					}
				}
				for _, want := range []string{"Acme & kartım", "<b>bloke</b>", "Ayşe"} {
					if !strings.Contains(text.String(), want) {
						t.Errorf("the feed's text lacks %q:\n%s", want, text.String())
					}
				}
				if enc != "" && bytes.Contains(body, []byte("ş")) {
					t.Errorf("a windows-1254 feed holds UTF-8 bytes")
				}
			})
		}
	}
}

// TestConditionalRequests follows RFC 9110: a matching If-None-Match or a
// not older If-Modified-Since is a 304 without a body, and a new item
// changes the ETag.
func TestConditionalRequests(t *testing.T) {
	s := start(t)
	if err := s.SetFeed("/f", feedsim.RSS, sample()); err != nil {
		t.Fatal(err)
	}
	status, h, body := get(t, s.URL("/f"), nil)
	etag, lm := h.Get("ETag"), h.Get("Last-Modified")
	if status != 200 || etag == "" || lm == "" || h.Get("Content-Type") != "application/rss+xml" || len(body) == 0 {
		t.Fatalf("first GET: %d %v (%d bytes)", status, h, len(body))
	}
	for _, tc := range []struct {
		name string
		h    map[string]string
		want int
	}{
		{"same etag", map[string]string{"If-None-Match": etag}, 304},
		{"weak and listed", map[string]string{"If-None-Match": `"x", W/` + etag}, 304},
		{"other etag wins over a date", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm}, 200},
		{"same date", map[string]string{"If-Modified-Since": lm}, 304},
		{"older date", map[string]string{"If-Modified-Since": "Mon, 02 Jan 2006 15:04:05 GMT"}, 200},
	} {
		if status, _, body := get(t, s.URL("/f"), tc.h); status != tc.want || (status == 304 && len(body) > 0) {
			t.Errorf("%s: %d with %d bytes, want %d", tc.name, status, len(body), tc.want)
		}
	}
	if got := s.NotModified("/f"); got != 3 {
		t.Errorf("NotModified = %d, want 3", got)
	}
	if got := s.Requests("/f"); got != 6 {
		t.Errorf("Requests = %d, want 6", got)
	}
	if got, want := s.Bytes("/f"), int64(3*len(body)); got != want {
		t.Errorf("Bytes = %d, want %d", got, want)
	}
	if err := s.AddItem("/f", feedsim.Item{ID: "2", Title: "new"}); err != nil {
		t.Fatal(err)
	}
	status, h, body = get(t, s.URL("/f"), map[string]string{"If-None-Match": etag})
	if status != 200 || h.Get("ETag") == etag || !bytes.Contains(body, []byte("<title>new</title>")) {
		t.Errorf("after AddItem: %d, ETag %s (was %s)", status, h.Get("ETag"), etag)
	}
}

func TestFailsAndServesRaw(t *testing.T) {
	s := start(t)
	s.SetRaw("/page", "text/html", []byte("<!DOCTYPE html><html></html>"))
	s.FailNext("/page", 2, http.StatusTooManyRequests, "7")
	for range 2 {
		if status, h, _ := get(t, s.URL("/page"), nil); status != 429 || h.Get("Retry-After") != "7" {
			t.Errorf("FailNext: %d, Retry-After %q", status, h.Get("Retry-After"))
		}
	}
	if status, h, body := get(t, s.URL("/page"), nil); status != 200 || h.Get("Content-Type") != "text/html" || string(body) != "<!DOCTYPE html><html></html>" {
		t.Errorf("SetRaw: %d %q", status, body)
	}
	if status, _, _ := get(t, s.URL("/nothing"), nil); status != 404 {
		t.Errorf("an unknown path: %d", status)
	}
	s.IgnoreConditional("/page")
	if status, h, _ := get(t, s.URL("/page"), map[string]string{"If-None-Match": "*"}); status != 200 || h.Get("ETag") != "" {
		t.Errorf("IgnoreConditional: %d, ETag %q", status, h.Get("ETag"))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := s.Wait(ctx, func() bool { return s.Requests("/page") == 4 }); err != nil {
		t.Error(err)
	}
}

func TestGoogleAlert(t *testing.T) {
	f := feedsim.GoogleAlert("Acme", feedsim.Item{Title: "Acme <lost> my card", Link: "https://news.example/a?id=1&x=2", Description: "Acme did it"})
	it := f.Items[0]
	if !it.HTMLTitle || it.Title != "<b>Acme</b> &lt;lost&gt; my card" || it.Content != "<b>Acme</b> did it" {
		t.Errorf("item: %+v", it)
	}
	if want := "https://www.google.com/url?"; !strings.HasPrefix(it.Link, want) || !strings.Contains(it.Link, "url=https%3A%2F%2Fnews.example%2Fa%3Fid%3D1%26x%3D2") {
		t.Errorf("link %q", it.Link)
	}
	if !strings.HasPrefix(it.ID, "tag:google.com,2013:googlealerts/entry:") {
		t.Errorf("id %q", it.ID)
	}
}
