// Package outside is caredesk's one path for text that came from outside
// the team: a customer's words and name, a bridge's status reason, a
// network's error body. Such text is data, never markup.
//
// The core marks outside text with Quote when it puts it into a sentence
// of its own ("⚠️ X could NOT post your reply: <reason>"), and the desk
// adapters render the marked spans escaped while keeping caredesk's own
// mentions and pings live. Marks are two Unicode characters no person
// types (U+FFF9 and U+FFFB, the interlinear annotation anchor and
// terminator); Clean removes them from outside text, so a customer can
// neither close a span early nor open one.
package outside

import (
	"regexp"
	"strings"
)

// The marks around outside text in a sentence of caredesk's.
const (
	Open  = "\uFFF9"
	Close = "\uFFFB"
)

// Quote marks s as outside text, cleaned, for a sentence of caredesk's
// that a desk renders: the desk shows it as the characters it is.
func Quote(s string) string { return Open + Clean(s) + Close }

// escapeSequence matches ANSI/ECMA-48 escape sequences: CSI (colours,
// cursor moves, also as the one-byte C1 form U+009B), OSC, DCS, SOS, PM
// and APC strings up to their terminator (or the end of the text), and
// the short two-character escapes. Terminals obey them; a desk reader
// copying text into one must not.
var escapeSequence = regexp.MustCompile(
	"\x1b\\[[0-?]*[ -/]*[@-~]" +
		"|\u009b[0-?]*[ -/]*[@-~]" +
		"|\x1b[\\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\\\)?" +
		"|\x1b[ -/]*[0-~]")

// Clean returns s without what would act instead of being read: escape
// sequences, C0 control characters other than tab and line feed (NUL
// included; a carriage return becomes a line feed), DEL and C1 controls,
// the bidirectional overrides and isolates U+202A–U+202E and
// U+2066–U+2069 (which make "gpj.exe" read as "exe.jpg"), and the marks
// of this package. Invalid UTF-8 becomes U+FFFD.
func Clean(s string) string {
	if plain(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = escapeSequence.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unwanted(r):
			return -1
		}
		return r
	}, s)
}

// unwanted reports whether Clean drops r.
func unwanted(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi overrides and isolates
		return true
	case r >= 0xfff9 && r <= 0xfffb: // this package's marks (and the separator between them)
		return true
	}
	return false
}

// plain reports whether s is printable ASCII, tabs and line feeds only,
// which Clean leaves as it is: the common case, checked without copying.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// Span is a piece of a sentence: caredesk's own words, or outside text.
type Span struct {
	Text    string
	Outside bool // Text came from outside and is to be shown, not obeyed
}

// Spans cuts s into caredesk's own words and the outside text marked in
// it, in order, without the marks. A mark left open (a sentence cut short
// after Quote) runs to the end of s, so a cut never turns outside text
// into caredesk's; a stray closing mark is dropped.
func Spans(s string) []Span {
	var out []Span
	for s != "" {
		i := strings.Index(s, Open)
		if i < 0 {
			out = appendSpan(out, strings.ReplaceAll(s, Close, ""), false)
			break
		}
		out = appendSpan(out, strings.ReplaceAll(s[:i], Close, ""), false)
		s = s[i+len(Open):]
		j := strings.Index(s, Close)
		if j < 0 {
			j = len(s)
		}
		out = appendSpan(out, strings.ReplaceAll(s[:j], Open, ""), true)
		s = s[min(j+len(Close), len(s)):]
	}
	return out
}

func appendSpan(spans []Span, text string, outside bool) []Span {
	if text == "" {
		return spans
	}
	return append(spans, Span{Text: text, Outside: outside})
}

// Own returns s with its outside spans left out: what caredesk itself
// wrote, where a desk looks for whom a sentence may ping.
func Own(s string) string {
	if !strings.Contains(s, Open) && !strings.Contains(s, Close) {
		return s
	}
	var b strings.Builder
	for _, sp := range Spans(s) {
		if !sp.Outside {
			b.WriteString(sp.Text)
		}
	}
	return b.String()
}

// Line returns outside text on one line: every run of white space,
// line breaks included, becomes one space, so that it can sit inside a
// sentence and never start a line of its own.
func Line(s string) string { return strings.Join(strings.Fields(s), " ") }

// Lines prefixes every line of s with prefix, for a desk's quote block,
// so that nothing a customer wrote can begin a line of caredesk's.
func Lines(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
