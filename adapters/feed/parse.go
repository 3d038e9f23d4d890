package feed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"caredesk/listen"
	"caredesk/outside"
)

// Document is a feed as Parse reads it: RSS 2.0, Atom 1.0 or RSS 1.0.
type Document struct {
	Format   string // "RSS 2.0", "Atom", "RSS 1.0"
	Title    string // plain text
	Link     string // the site's address, when the feed says
	Language string // RSS <language>, Atom xml:lang, RDF dc:language; "" when not said
	Entries  []Entry
}

// Entry is one item of a feed, its text plain.
type Entry struct {
	// Key is the entry's identity in its feed, never empty: its guid or
	// id, else its link, else "sha256:" and a hash of its title and
	// description, so that an item without either is still taken once.
	Key     string
	KeyFrom string // "id", "link" or "hash": where Key came from
	Title   string // plain text
	// Link is the entry's page, a Google Alerts redirect unwrapped to the
	// page it leads to; "" when the feed gives none.
	Link       string
	Excerpt    string    // plain text of the description, summary or content
	AuthorName string    // "" when the feed names no author
	AuthorURI  string    // the author's page (Atom); "" when not given
	At         time.Time // published, else updated; zero when absent or unreadable
	Language   string    // the entry's own xml:lang (Atom), else the feed's
}

// Namespaces read.
const (
	nsAtom = "http://www.w3.org/2005/Atom"
	nsDC   = "http://purl.org/dc/elements/1.1/"
)

// ErrNotFeed is a document that is not a feed: a web page, other XML,
// broken XML. Its text, and that of every error of Parse, reads after
// "the page at <address> is ".
var ErrNotFeed = errors.New("not an RSS or Atom feed")

var errWebPage = fmt.Errorf("%w but a web page: give the address of its feed, which the page links to", ErrNotFeed)

// Parse reads an RSS 2.0, Atom 1.0 or RSS 1.0 (RDF) document. Its
// charset may be UTF-8 or a single-byte one the document declares
// (ISO-8859-1/2/9, windows-1250/1252/1254); HTML entities such as &nbsp;
// are taken as their characters. An error is a sentence's end: what is
// wrong with the document, like "not an RSS or Atom feed: its XML is
// broken (...)".
func Parse(data []byte) (*Document, error) {
	if !utf8.Valid(data) && declaresUTF8(data) {
		// A stray byte (a site that pasted windows-1254 into its UTF-8
		// feed) would lose every item: it becomes U+FFFD instead.
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	d.Entity = xml.HTMLEntity
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if len(bytes.TrimSpace(data)) > 0 {
				return nil, fmt.Errorf("%w: it is not XML", ErrNotFeed)
			}
			return nil, fmt.Errorf("%w: it is empty", ErrNotFeed)
		}
		if err != nil {
			return nil, notXML(data, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var doc *Document
		switch strings.ToLower(start.Name.Local) {
		case "rss":
			var r rssDoc
			if err := d.DecodeElement(&r, &start); err != nil {
				return nil, notXML(data, err)
			}
			doc = r.document()
		case "rdf":
			var r rdfDoc
			if err := d.DecodeElement(&r, &start); err != nil {
				return nil, notXML(data, err)
			}
			doc = r.document()
		case "feed":
			var a atomFeed
			if err := d.DecodeElement(&a, &start); err != nil {
				return nil, notXML(data, err)
			}
			doc = a.document()
		case "html":
			return nil, errWebPage
		default:
			return nil, fmt.Errorf("%w: its root element is <%s>", ErrNotFeed, start.Name.Local)
		}
		for i := range doc.Entries {
			doc.Entries[i].settle(doc.Language)
		}
		return doc, nil
	}
}

// declaresUTF8 reports whether data is UTF-8 by its XML declaration:
// one naming UTF-8, or none (XML's default).
func declaresUTF8(data []byte) bool {
	head := data[:min(len(data), 200)]
	head = bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	if !bytes.HasPrefix(bytes.TrimSpace(head), []byte("<?xml")) {
		return true
	}
	end := bytes.Index(head, []byte("?>"))
	if end < 0 {
		return false
	}
	decl := bytes.ToLower(head[:end])
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return true
	}
	return bytes.Contains(decl[i:], []byte("utf-8")) || bytes.Contains(decl[i:], []byte("utf8"))
}

// notXML says why data is not read: a web page, a charset, or broken XML.
func notXML(data []byte, err error) error {
	head := bytes.ToLower(data[:min(len(data), 512)])
	if bytes.Contains(head, []byte("<!doctype html")) || bytes.Contains(head, []byte("<html")) {
		return errWebPage
	}
	var cs charsetError
	if errors.As(err, &cs) {
		return cs
	}
	return fmt.Errorf("%w: its XML is broken (%v)", ErrNotFeed, err)
}

type charsetError string

func (e charsetError) Error() string {
	return fmt.Sprintf("written in charset %q, which caredesk cannot read (it reads UTF-8, ISO-8859-1, -2 and -9, windows-1250, -1252 and -1254)", string(e))
}

// charsetReader turns the single-byte charsets of older European sites
// into UTF-8.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	var cm *charmap.Charmap
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "iso8859-1", "latin1", "l1":
		cm = charmap.ISO8859_1
	case "iso-8859-2", "iso8859-2", "latin2", "l2":
		cm = charmap.ISO8859_2
	case "iso-8859-9", "iso8859-9", "latin5", "l5":
		cm = charmap.ISO8859_9
	case "windows-1250", "cp1250":
		cm = charmap.Windows1250
	case "windows-1252", "cp1252":
		cm = charmap.Windows1252
	case "windows-1254", "cp1254":
		cm = charmap.Windows1254
	default:
		return nil, charsetError(label)
	}
	return cm.NewDecoder().Reader(r), nil
}

// node is an element whose namespace, attributes and text are all kept,
// for the names the formats share (link, author, title).
type node struct {
	XMLName xml.Name
	Href    string `xml:"href,attr"`
	Rel     string `xml:"rel,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
	Inner   string `xml:",innerxml"`
}

type rssDoc struct {
	Channel struct {
		Title    []node    `xml:"title"`
		Links    []node    `xml:"link"`
		Language string    `xml:"language"`
		Items    []rssItem `xml:"item"`
	} `xml:"channel"`
}

type rssItem struct {
	Title       []node   `xml:"title"`
	Links       []node   `xml:"link"`
	GUID        string   `xml:"guid"`
	Description string   `xml:"description"`
	Content     string   `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
	Author      []node   `xml:"author"`
	Creator     string   `xml:"http://purl.org/dc/elements/1.1/ creator"`
	PubDate     string   `xml:"pubDate"`
	Date        string   `xml:"http://purl.org/dc/elements/1.1/ date"`
	Categories  []string `xml:"category"`
}

func (r rssDoc) document() *Document {
	c := r.Channel
	doc := &Document{Format: "RSS 2.0", Title: plainTitle(c.Title), Link: rssLink(c.Links), Language: strings.TrimSpace(c.Language)}
	for _, it := range c.Items {
		name, uri := rssAuthor(it.Author, it.Creator)
		doc.Entries = append(doc.Entries, Entry{
			Key: strings.TrimSpace(it.GUID), KeyFrom: "id",
			Title: plainTitle(it.Title), Link: rssLink(it.Links),
			Excerpt:    excerpt(it.Description, it.Content),
			AuthorName: name, AuthorURI: uri,
			At: parseDate(first(it.PubDate, it.Date)),
		})
	}
	return doc
}

// rssLink is the first <link> of RSS's own, not an atom:link rel="self"
// beside it; an Atom alternate link when that is all there is.
func rssLink(links []node) string {
	for _, l := range links {
		if l.XMLName.Space != nsAtom && strings.TrimSpace(l.Text) != "" {
			return strings.TrimSpace(l.Text)
		}
	}
	return atomLink(links)
}

// rssAuthor reads RSS's <author> ("jane@example.com (Jane Doe)", or a
// bare name as many sites write) and dc:creator; a nested Atom author
// gives its name and uri.
func rssAuthor(authors []node, creator string) (name, uri string) {
	if c := strings.TrimSpace(creator); c != "" {
		return c, ""
	}
	for _, a := range authors {
		if a.XMLName.Space == nsAtom {
			var p atomPerson
			if xml.Unmarshal([]byte("<a>"+a.Inner+"</a>"), &p) == nil && strings.TrimSpace(p.Name) != "" {
				return strings.TrimSpace(p.Name), strings.TrimSpace(p.URI)
			}
			continue
		}
		s := strings.TrimSpace(a.Text)
		if i, j := strings.Index(s, "("), strings.LastIndex(s, ")"); i > 0 && j > i {
			if n := strings.TrimSpace(s[i+1 : j]); n != "" {
				return n, ""
			}
			s = strings.TrimSpace(s[:i])
		}
		if s != "" {
			return s, ""
		}
	}
	return "", ""
}

type rdfDoc struct {
	Channel struct {
		Title    []node `xml:"title"`
		Links    []node `xml:"link"`
		Language string `xml:"http://purl.org/dc/elements/1.1/ language"`
	} `xml:"channel"`
	Items []struct {
		About       string `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# about,attr"`
		Title       []node `xml:"title"`
		Links       []node `xml:"link"`
		Description string `xml:"description"`
		Content     string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
		Creator     string `xml:"http://purl.org/dc/elements/1.1/ creator"`
		Date        string `xml:"http://purl.org/dc/elements/1.1/ date"`
	} `xml:"item"`
}

func (r rdfDoc) document() *Document {
	c := r.Channel
	doc := &Document{Format: "RSS 1.0", Title: plainTitle(c.Title), Link: rssLink(c.Links), Language: strings.TrimSpace(c.Language)}
	for _, it := range r.Items {
		doc.Entries = append(doc.Entries, Entry{
			Key: strings.TrimSpace(it.About), KeyFrom: "id",
			Title: plainTitle(it.Title), Link: rssLink(it.Links),
			Excerpt:    excerpt(it.Description, it.Content),
			AuthorName: strings.TrimSpace(it.Creator),
			At:         parseDate(it.Date),
		})
	}
	return doc
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri"`
}

type atomFeed struct {
	Lang    string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Title   []node      `xml:"title"`
	Links   []node      `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomEntry struct {
	Lang      string       `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID        string       `xml:"id"`
	Title     []node       `xml:"title"`
	Links     []node       `xml:"link"`
	Summary   []node       `xml:"summary"`
	Content   []node       `xml:"content"`
	Authors   []atomPerson `xml:"author"`
	Published string       `xml:"published"`
	Updated   string       `xml:"updated"`
}

func (a atomFeed) document() *Document {
	doc := &Document{Format: "Atom", Title: plainTitle(a.Title), Link: atomLink(a.Links), Language: strings.TrimSpace(a.Lang)}
	for _, e := range a.Entries {
		var author atomPerson
		for _, p := range e.Authors {
			if strings.TrimSpace(p.Name+p.URI) != "" {
				author = p
				break
			}
		}
		doc.Entries = append(doc.Entries, Entry{
			Key: strings.TrimSpace(e.ID), KeyFrom: "id",
			Title: plainTitle(e.Title), Link: atomLink(e.Links),
			Excerpt:    excerpt(atomHTML(e.Summary), atomHTML(e.Content)),
			AuthorName: strings.TrimSpace(author.Name), AuthorURI: strings.TrimSpace(author.URI),
			At:       parseDate(first(e.Published, e.Updated)),
			Language: strings.TrimSpace(e.Lang),
		})
	}
	return doc
}

// atomLink is the alternate link (rel absent or "alternate"), else the
// first link with an address.
func atomLink(links []node) string {
	for _, l := range links {
		if (l.Rel == "" || l.Rel == "alternate") && strings.TrimSpace(l.Href) != "" {
			return strings.TrimSpace(l.Href)
		}
	}
	for _, l := range links {
		if strings.TrimSpace(l.Href) != "" && l.Rel != "self" {
			return strings.TrimSpace(l.Href)
		}
	}
	return ""
}

// atomHTML is an Atom text construct as HTML: xhtml's markup as it
// stands, html's decoded text, and text escaped so that listen.Text
// keeps it as it is.
func atomHTML(nodes []node) string {
	if len(nodes) == 0 {
		return ""
	}
	return asHTML(nodes[0], false)
}

// asHTML is n's content as HTML, by its type attribute (RFC 4287's
// "text", "html", "xhtml", or Atom 0.3's media types); untyped content
// is HTML when untypedHTML, as RSS's is.
func asHTML(n node, untypedHTML bool) string {
	t := strings.ToLower(strings.TrimSpace(n.Type))
	switch {
	case strings.Contains(t, "xhtml"):
		return n.Inner
	case strings.Contains(t, "html"), t == "" && untypedHTML:
		return n.Text
	}
	return escapeHTML(n.Text)
}

// plainTitle is a title as plain text. Atom says whether a title is text
// or HTML; RSS does not, and sites put <b> and &amp;amp; in titles as
// often as not, so an untyped title is read as HTML.
func plainTitle(nodes []node) string {
	for _, n := range nodes {
		if n.XMLName.Space == nsDC && len(nodes) > 1 {
			continue // dc:title beside a title: the feed's own title wins
		}
		return outside.Line(listen.Text(asHTML(n, true)))
	}
	return ""
}

func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// MaxExcerpt is about how many characters of an item's text a ticket
// shows; the rest is a click away on its page.
const MaxExcerpt = 1000

// excerpt is the plain text of the first of htmls that has words,
// clipped at a word's end near MaxExcerpt with "…".
func excerpt(htmls ...string) string {
	for _, h := range htmls {
		if t := listen.Text(h); t != "" {
			return clip(t, MaxExcerpt)
		}
	}
	return ""
}

// clip cuts s to at most n runes, at a space when one is in the last
// fifth, and marks the cut with "…".
func clip(s string, n int) string {
	runes := []rune(s)
	if len(runes) <= n {
		return s
	}
	cut := runes[:n]
	for i := len(cut) - 1; i > n*4/5; i-- {
		if unicode.IsSpace(cut[i]) {
			cut = cut[:i]
			break
		}
	}
	return strings.TrimRightFunc(string(cut), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}

func first(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// dateLayouts are the ways feeds write dates: RFC 822 and 1123 with
// and without a weekday, seconds or a numeric zone, RFC 3339, and the
// bare forms some sites' generators print.
var dateLayouts = []string{
	time.RFC3339Nano,
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04 MST",
	"Mon, 02 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 06 15:04:05 MST",
	"Mon, 2 January 2006 15:04:05 -0700",
	"Mon, 2 January 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	time.RFC822Z,
	time.RFC822,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// parseDate reads a feed's date in any of dateLayouts; zero when none
// fits, which the listener takes as "now" rather than drop the item.
func parseDate(s string) time.Time {
	s = outside.Line(s)
	if s == "" {
		return time.Time{}
	}
	// "Tue, 10 Jun 2003 04:00:00 GMT+0300" and RFC 822's "UT" are seen too.
	s = strings.Replace(s, "GMT+", "+", 1)
	if rest, ok := strings.CutSuffix(s, " UT"); ok {
		s = rest + " GMT"
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// settle gives e a key, unwraps a Google redirect, and takes the feed's
// language when the entry has none of its own.
func (e *Entry) settle(feedLang string) {
	e.Link = unwrapGoogle(e.Link)
	if e.Language == "" {
		e.Language = feedLang
	}
	if e.Key == "" && e.Link != "" {
		e.Key, e.KeyFrom = e.Link, "link"
	}
	if e.Key == "" {
		sum := sha256.Sum256([]byte(e.Title + "\n" + e.Excerpt))
		e.Key, e.KeyFrom = "sha256:"+hex.EncodeToString(sum[:16]), "hash"
	}
}

// unwrapGoogle turns Google's redirect (https://www.google.com/url?...
// &url=<page>, as Google Alerts writes every link) into the page's
// address, so that the same page heard elsewhere has the same PostKey.
func unwrapGoogle(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Path != "/url" {
		return link
	}
	host := strings.ToLower(u.Hostname())
	if host != "google.com" && !strings.HasSuffix(host, ".google.com") && !strings.HasPrefix(strings.TrimPrefix(host, "www."), "google.") {
		return link
	}
	q := u.Query()
	for _, key := range []string{"url", "q"} {
		if target, err := url.Parse(q.Get(key)); err == nil && (target.Scheme == "https" || target.Scheme == "http") && target.Host != "" {
			return target.String()
		}
	}
	return link
}
