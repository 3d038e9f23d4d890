// Package chunk cuts text that is too long for one message of a network
// into pieces that fit: at a line break or a space in the second half of a
// piece when there is one, and never inside markup the network must see
// whole (a Slack entity like &amp;, a mention like <@U123>).
package chunk

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limit is how long a network lets a message be, and how it counts.
type Limit struct {
	Max int
	// Width is s's length as the network counts it; nil counts runes.
	Width func(s string) int
	// Atom is the length in bytes of the unit at the start of s that must
	// not be cut; nil keeps only runes whole.
	Atom func(s string) int
	// Quote is the mark that starts each line of a quote block ("> " in
	// Slack's and Discord's markdown); when set, a quote block cut in two
	// goes on quoted in the next piece, so a customer's words never lose
	// their quote and pass for the desk's own.
	Quote string
}

// UTF16 counts UTF-16 code units, as Telegram and Discord count their
// limits: an emoji outside the Basic Multilingual Plane counts twice.
func UTF16(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1) // invalid UTF-8 goes as one U+FFFD
	}
	return n
}

func (l Limit) width(s string) int {
	if l.Width == nil {
		return utf8.RuneCountInString(s)
	}
	return l.Width(s)
}

func (l Limit) atom(s string) int {
	if l.Atom != nil {
		if n := l.Atom(s); n > 0 {
			return n
		}
	}
	_, size := utf8.DecodeRuneInString(s)
	return size
}

// Split cuts s into pieces of at most l.Max. White space at a cut is
// dropped, and so are pieces that would be blank (networks refuse empty
// messages); an empty s is one empty piece.
func Split(s string, l Limit) []string {
	if l.Quote == "" || !strings.HasPrefix(s, l.Quote) && !strings.Contains(s, "\n"+l.Quote) {
		pieces, _ := split(s, l)
		return pieces
	}
	inner := l
	inner.Max -= l.width(l.Quote) // room for the mark a piece may gain
	pieces, midLine := split(s, inner)
	for i := 1; i < len(pieces); i++ {
		prev := pieces[i-1]
		if midLine[i] && strings.HasPrefix(prev[strings.LastIndexByte(prev, '\n')+1:], l.Quote) && !strings.HasPrefix(pieces[i], l.Quote) {
			pieces[i] = l.Quote + pieces[i]
		}
	}
	return pieces
}

// split is Split without quotes. midLine[i] tells whether piece i starts
// in the middle of a line of s, rather than at a line of its own.
func split(s string, l Limit) (pieces []string, midLine []bool) {
	mid := false
	for l.width(s) > l.Max {
		cut := l.cutPoint(s)
		if piece := strings.TrimRight(s[:cut], " \n"); strings.TrimSpace(piece) != "" {
			pieces, midLine = append(pieces, piece), append(midLine, mid)
		}
		rest := strings.TrimLeft(s[cut:], " \n")
		gap := s[len(strings.TrimRight(s[:cut], " \n")) : len(s)-len(rest)]
		mid = !strings.Contains(gap, "\n")
		s = rest
	}
	if s = strings.TrimRight(s, " \n"); s != "" || len(pieces) == 0 {
		pieces, midLine = append(pieces, s), append(midLine, mid)
	}
	return pieces, midLine
}

// cutPoint is the byte index where the first piece of s ends.
func (l Limit) cutPoint(s string) int {
	end, n := 0, 0
	for end < len(s) {
		size := l.atom(s[end:])
		w := l.width(s[end : end+size])
		if n+w > l.Max {
			break
		}
		n += w
		end += size
	}
	if end == 0 {
		return l.atom(s) // one atom longer than the limit: it cannot be cut
	}
	for _, sep := range []string{"\n", " "} {
		if i := strings.LastIndex(s[:end], sep); i >= end/2 {
			return i + len(sep)
		}
	}
	return end
}

// Clip shortens s to at most l.Max, ending with "…" when it was cut.
func Clip(s string, l Limit) string {
	if l.width(s) <= l.Max {
		return s
	}
	end, n := 0, l.width("…")
	for end < len(s) {
		size := l.atom(s[end:])
		w := l.width(s[end : end+size])
		if n+w > l.Max {
			break
		}
		n += w
		end += size
	}
	return s[:end] + "…"
}
