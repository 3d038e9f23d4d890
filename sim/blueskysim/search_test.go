package blueskysim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"caredesk/sim/blueskysim"
)

// searchPosts pages with an opaque cursor, newest first; the last page
// has no cursor, posts made meanwhile do not shift the pages, and a
// cursor it did not give is refused.
func TestSearchPostsCursor(t *testing.T) {
	s, err := blueskysim.New(blueskysim.Options{Handle: "acme.bsky.social", AppPassword: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	var want []string
	for i := range 7 {
		want = append([]string{s.Post("p"+strconv.Itoa(i)+".bsky.social", "acme "+strconv.Itoa(i))}, want...)
		s.Post("other.bsky.social", "unrelated")
	}
	token := login(t, s)
	type page struct {
		Posts []struct {
			URI string `json:"uri"`
		} `json:"posts"`
		Cursor    *string `json:"cursor"`
		HitsTotal int     `json:"hitsTotal"`
	}
	search := func(cursor string) (int, page) {
		q := url.Values{"q": {"ACME"}, "limit": {"3"}, "sort": {"latest"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/xrpc/app.bsky.feed.searchPosts?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p page
		_ = json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, p
	}
	var got []string
	cursor, pages := "", 0
	for {
		status, p := search(cursor)
		if status != http.StatusOK || pages == 0 && p.HitsTotal != 7 {
			t.Fatalf("page %d: %d, hitsTotal %d", pages, status, p.HitsTotal)
		}
		for _, post := range p.Posts {
			got = append(got, post.URI)
		}
		pages++
		if pages == 1 {
			s.Post("late.bsky.social", "acme late") // does not shift the next pages
		}
		if p.Cursor == nil {
			break
		}
		if *p.Cursor == "" || pages > 5 {
			t.Fatalf("page %d: cursor %v", pages, p.Cursor)
		}
		cursor = *p.Cursor
	}
	if pages != 3 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%d pages gave\n%v\nwant the 7 posts newest first\n%v", pages, got, want)
	}
	if status, _ := search("not-a-cursor"); status != http.StatusBadRequest {
		t.Errorf("a cursor the server never gave: %d, want 400", status)
	}
}

func login(t *testing.T, s *blueskysim.Server) string {
	t.Helper()
	resp, err := http.Post(s.URL()+"/xrpc/com.atproto.server.createSession", "application/json",
		strings.NewReader(`{"identifier":"acme.bsky.social","password":"pw"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sess struct {
		AccessJwt string `json:"accessJwt"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sess); err != nil || sess.AccessJwt == "" {
		t.Fatalf("createSession: %d %v", resp.StatusCode, err)
	}
	return sess.AccessJwt
}
