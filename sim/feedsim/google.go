package feedsim

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// GoogleLink is the address Google Alerts gives for page: a redirect
// through https://www.google.com/url whose url parameter is the page.
func GoogleLink(page string) string {
	q := url.Values{}
	q.Set("rct", "j")
	q.Set("sa", "t")
	q.Set("url", page)
	q.Set("ct", "ga")
	q.Set("cd", "CAIyGjQ5ZmQ3ZDc3ZmE2NmQ4ZDM6Y29tOmVuOlVT")
	q.Set("usg", "AOvVaw0feedsim")
	return "https://www.google.com/url?" + q.Encode()
}

// GoogleAlert is a Google Alerts feed for query, as Google writes one:
// Atom, titled `Google Alert - query`, each entry with a tag: id of
// Google's, its title as HTML with the query in <b>, its link wrapped by
// GoogleLink, and its excerpt as HTML content. Items' IDs, when empty,
// are made from their position; their Link is the real page.
func GoogleAlert(query string, items ...Item) Feed {
	feed := Feed{
		Title: "Google Alert - " + query,
		Link:  "https://www.google.com/alerts/feeds/00000000000000000000/1234567890",
	}
	for i, it := range items {
		if it.ID == "" {
			it.ID = "tag:google.com,2013:googlealerts/entry:" + strconv.Itoa(i+1)
		}
		it.Title = bold(it.Title, query)
		it.HTMLTitle = true
		if it.Link != "" {
			it.Link = GoogleLink(it.Link)
		}
		if it.Content == "" {
			it.Content = bold(it.Description, query)
		}
		it.Description = ""
		if it.Published.IsZero() {
			it.Published = time.Now().UTC().Truncate(time.Second)
		}
		feed.Items = append(feed.Items, it)
	}
	return feed
}

// bold marks query in text as Google does, with <b>, text escaped as
// HTML.
func bold(text, query string) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text)
	if query == "" {
		return esc
	}
	return strings.ReplaceAll(esc, query, "<b>"+query+"</b>")
}
