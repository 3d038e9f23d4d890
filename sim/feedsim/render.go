package feedsim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Format is how a feed is written out.
type Format int

// The formats the simulator writes.
const (
	RSS  Format = iota // RSS 2.0
	Atom               // Atom 1.0, RFC 4287
	RDF                // RSS 1.0 (RDF Site Summary)
)

// String is the format's name, as feed readers call it.
func (f Format) String() string {
	switch f {
	case RSS:
		return "RSS 2.0"
	case Atom:
		return "Atom 1.0"
	case RDF:
		return "RSS 1.0 (RDF)"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// contentType is what the simulator says a format is, as real sites do.
func (f Format) contentType() string {
	switch f {
	case Atom:
		return "application/atom+xml"
	case RDF:
		return "application/rdf+xml"
	}
	return "application/rss+xml"
}

// Feed is a feed as Go values; the simulator writes it in a Format.
type Feed struct {
	Title       string
	Link        string // the site the feed is of
	Description string // RSS and RDF only
	Language    string // RSS <language>, RDF dc:language, Atom xml:lang; "" for none
	// Encoding is the charset the feed is written in and declares
	// (<?xml encoding=...?>), as the Turkish, Polish and Romanian sites
	// that never moved to UTF-8: "ISO-8859-1", "ISO-8859-2",
	// "ISO-8859-9", "windows-1250", "windows-1252", "windows-1254", or
	// any name to declare while writing UTF-8 ("x-unknown" tests a
	// charset a reader does not know). "" is UTF-8.
	Encoding string
	Items    []Item // newest first, as feeds list them
}

// Item is one entry of a feed. Every field may be empty, as in the wild.
type Item struct {
	ID          string // RSS <guid>, Atom <id>, RDF rdf:about
	Title       string
	HTMLTitle   bool   // Title is HTML: Atom type="html"; RSS titles are written as given, escaped
	Link        string // RSS <link>, Atom <link rel="alternate">, RDF <link>
	Description string // HTML: RSS/RDF <description>, Atom <summary type="html">
	Content     string // HTML: RSS <content:encoded>, Atom <content type="html">
	Author      string // RSS <dc:creator>, Atom <author><name>, RDF <dc:creator>
	AuthorEmail string // RSS <author> ("email (name)"); Atom <author><email>
	AuthorURI   string // Atom <author><uri> only
	Published   time.Time
	Updated     time.Time // Atom <updated>; Published when zero
	Categories  []string
	Lang        string // Atom entry xml:lang
}

// Namespaces the renderings use.
const (
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsRDF     = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsRSS1    = "http://purl.org/rss/1.0/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
)

// Render writes feed in format, encoded and declared as feed.Encoding
// says. It is what the server serves; tests may use it directly for
// parsers.
func Render(format Format, feed Feed) ([]byte, error) {
	var b bytes.Buffer
	enc := feed.Encoding
	if enc == "" {
		enc = "UTF-8"
	}
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=%q?>\n", enc)
	switch format {
	case Atom:
		renderAtom(&b, feed)
	case RDF:
		renderRDF(&b, feed)
	default:
		renderRSS(&b, feed)
	}
	cm := charset(feed.Encoding)
	if cm == nil {
		return b.Bytes(), nil
	}
	out, err := encoding.ReplaceUnsupported(cm.NewEncoder()).Bytes(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("feedsim: encode as %s: %w", feed.Encoding, err)
	}
	return out, nil
}

// charset is the encoder of a charset name, nil for UTF-8 and names the
// simulator only declares.
func charset(name string) *charmap.Charmap {
	switch strings.ToLower(name) {
	case "iso-8859-1", "latin1":
		return charmap.ISO8859_1
	case "iso-8859-2":
		return charmap.ISO8859_2
	case "iso-8859-9":
		return charmap.ISO8859_9
	case "windows-1250":
		return charmap.Windows1250
	case "windows-1252":
		return charmap.Windows1252
	case "windows-1254":
		return charmap.Windows1254
	}
	return nil
}

// el writes <name>text</name>, text escaped, nothing when text is empty.
func el(b *bytes.Buffer, indent, name, text string) {
	if text == "" {
		return
	}
	fmt.Fprintf(b, "%s<%s>", indent, name)
	_ = xml.EscapeText(b, []byte(text))
	fmt.Fprintf(b, "</%s>\n", name)
}

// attr is s escaped for an attribute value.
func attr(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// cdata wraps HTML in CDATA, as most RSS writers do with
// content:encoded, splitting any "]]>" the HTML holds.
func cdata(b *bytes.Buffer, indent, name, html string) {
	if html == "" {
		return
	}
	fmt.Fprintf(b, "%s<%s><![CDATA[%s]]></%s>\n", indent, name, strings.ReplaceAll(html, "]]>", "]]]]><![CDATA[>"), name)
}

func renderRSS(b *bytes.Buffer, f Feed) {
	fmt.Fprintf(b, "<rss version=\"2.0\" xmlns:dc=%q xmlns:content=%q xmlns:atom=%q>\n<channel>\n", nsDC, nsContent, nsAtom)
	el(b, "  ", "title", f.Title)
	el(b, "  ", "link", f.Link)
	// A self link, as feed validators ask for: a reader must not take it
	// for the channel's <link>.
	if f.Link != "" {
		fmt.Fprintf(b, "  <atom:link href=\"%s\" rel=\"self\" type=\"application/rss+xml\"/>\n", attr(f.Link+"/feed"))
	}
	el(b, "  ", "description", f.Description)
	el(b, "  ", "language", f.Language)
	for _, it := range f.Items {
		b.WriteString("  <item>\n")
		el(b, "    ", "title", it.Title)
		el(b, "    ", "link", it.Link)
		if it.ID != "" {
			perma := "false"
			if it.ID == it.Link {
				perma = "true"
			}
			fmt.Fprintf(b, "    <guid isPermaLink=%q>%s</guid>\n", perma, attr(it.ID))
		}
		el(b, "    ", "description", it.Description) // escaped HTML, as RSS 2.0 says
		cdata(b, "    ", "content:encoded", it.Content)
		if it.AuthorEmail != "" {
			el(b, "    ", "author", strings.TrimSpace(it.AuthorEmail+" ("+it.Author+")"))
		} else {
			el(b, "    ", "dc:creator", it.Author)
		}
		if !it.Published.IsZero() {
			el(b, "    ", "pubDate", it.Published.Format(time.RFC1123Z))
		}
		for _, c := range it.Categories {
			el(b, "    ", "category", c)
		}
		b.WriteString("  </item>\n")
	}
	b.WriteString("</channel>\n</rss>\n")
}

func renderAtom(b *bytes.Buffer, f Feed) {
	fmt.Fprintf(b, "<feed xmlns=%q", nsAtom)
	if f.Language != "" {
		fmt.Fprintf(b, " xml:lang=\"%s\"", attr(f.Language))
	}
	b.WriteString(">\n")
	el(b, "  ", "id", "tag:feedsim,2026:"+f.Link)
	el(b, "  ", "title", f.Title)
	if f.Link != "" {
		fmt.Fprintf(b, "  <link href=\"%s\"/>\n", attr(f.Link))
	}
	updated := time.Unix(0, 0).UTC()
	for _, it := range f.Items {
		if u := atomUpdated(it); u.After(updated) {
			updated = u
		}
	}
	el(b, "  ", "updated", updated.Format(time.RFC3339))
	for _, it := range f.Items {
		b.WriteString("  <entry")
		if it.Lang != "" {
			fmt.Fprintf(b, " xml:lang=\"%s\"", attr(it.Lang))
		}
		b.WriteString(">\n")
		el(b, "    ", "id", it.ID)
		typ := "text"
		if it.HTMLTitle {
			typ = "html"
		}
		fmt.Fprintf(b, "    <title type=%q>%s</title>\n", typ, attr(it.Title))
		if it.Link != "" {
			fmt.Fprintf(b, "    <link rel=\"alternate\" href=\"%s\"/>\n", attr(it.Link))
		}
		if !it.Published.IsZero() {
			el(b, "    ", "published", it.Published.Format(time.RFC3339))
		}
		if u := atomUpdated(it); !u.IsZero() {
			el(b, "    ", "updated", u.Format(time.RFC3339))
		}
		if it.Author != "" || it.AuthorURI != "" || it.AuthorEmail != "" {
			b.WriteString("    <author>\n")
			el(b, "      ", "name", it.Author)
			el(b, "      ", "uri", it.AuthorURI)
			el(b, "      ", "email", it.AuthorEmail)
			b.WriteString("    </author>\n")
		}
		if it.Description != "" {
			fmt.Fprintf(b, "    <summary type=\"html\">%s</summary>\n", attr(it.Description))
		}
		if it.Content != "" {
			fmt.Fprintf(b, "    <content type=\"html\">%s</content>\n", attr(it.Content))
		}
		for _, c := range it.Categories {
			fmt.Fprintf(b, "    <category term=\"%s\"/>\n", attr(c))
		}
		b.WriteString("  </entry>\n")
	}
	b.WriteString("</feed>\n")
}

func atomUpdated(it Item) time.Time {
	if !it.Updated.IsZero() {
		return it.Updated
	}
	return it.Published
}

func renderRDF(b *bytes.Buffer, f Feed) {
	fmt.Fprintf(b, "<rdf:RDF xmlns:rdf=%q xmlns=%q xmlns:dc=%q xmlns:content=%q>\n", nsRDF, nsRSS1, nsDC, nsContent)
	fmt.Fprintf(b, "  <channel rdf:about=\"%s\">\n", attr(f.Link))
	el(b, "    ", "title", f.Title)
	el(b, "    ", "link", f.Link)
	el(b, "    ", "description", f.Description)
	el(b, "    ", "dc:language", f.Language)
	b.WriteString("    <items><rdf:Seq>\n")
	for _, it := range f.Items {
		fmt.Fprintf(b, "      <rdf:li rdf:resource=\"%s\"/>\n", attr(rdfAbout(it)))
	}
	b.WriteString("    </rdf:Seq></items>\n  </channel>\n")
	for _, it := range f.Items {
		if about := rdfAbout(it); about != "" {
			fmt.Fprintf(b, "  <item rdf:about=\"%s\">\n", attr(about))
		} else {
			b.WriteString("  <item>\n")
		}
		el(b, "    ", "title", it.Title)
		el(b, "    ", "link", it.Link)
		el(b, "    ", "description", it.Description)
		cdata(b, "    ", "content:encoded", it.Content)
		el(b, "    ", "dc:creator", it.Author)
		if !it.Published.IsZero() {
			el(b, "    ", "dc:date", it.Published.Format(time.RFC3339))
		}
		b.WriteString("  </item>\n")
	}
	b.WriteString("</rdf:RDF>\n")
}

// rdfAbout is an RDF item's identity: its ID, else its link, as RSS 1.0
// asks (rdf:about "should be identical to the value of the <link>").
func rdfAbout(it Item) string {
	if it.ID != "" {
		return it.ID
	}
	return it.Link
}
