package listen

import (
	"strings"

	"golang.org/x/net/html"

	"caredesk/outside"
)

// Text is what a person reads of s, a post's or a feed item's HTML: the
// words, with line breaks for <br> and paragraphs, entities decoded,
// scripts and styles left out, white space folded. The desk escapes it
// like any customer text; nothing of the markup reaches it.
func Text(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return fold(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0 // inside <script> or <style>
	for {
		switch z.Next() {
		case html.ErrorToken:
			return fold(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip++
			case "br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr":
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip = max(skip-1, 0)
			case "p", "div", "li", "blockquote":
				b.WriteByte('\n')
			}
		}
	}
}

// fold keeps a text's lines, each with its runs of white space as one
// space, and at most one blank line between paragraphs.
func fold(s string) string {
	var out []string
	blank := false
	for line := range strings.SplitSeq(s, "\n") {
		line = outside.Line(line)
		if line == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
