package spike

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"caredesk/bot"
	"caredesk/route"
)

// Doc is one complaint's message, in the language the network or a guess
// gave it, like "tr" or "ro-RO"; "" when unknown.
type Doc struct {
	Language string
	Text     string
}

// Term is a word or a two-word phrase that a spike's messages hold much
// more often than usual.
type Term struct {
	Text  string  // as most spike messages wrote it, in lower case
	Spike int     // spike messages that hold it
	Usual int     // usual messages that hold it
	Score float64 // how much it belongs to the spike; higher first
}

const (
	// minLetters drops "ok", "da", "mi": too short to be about anything.
	minLetters = 3
	// minSupport is how many spike messages must hold a term, so that one
	// or two customers cannot make a topic. A fixed count rather than a
	// share: 10% of a 2,000-message spike would hide a 150-message topic,
	// and the score already ranks a rare term low.
	minSupport = 3
	// minRatio is how many times more common, in share of messages, a term
	// must be in the spike than usual; "kargo", in every other complaint,
	// is not what a surge is about even when the surge mentions it.
	minRatio = 2
	// phraseShare decides between a phrase and its words: a word leaves
	// the list when a phrase holding it is in at least this share of the
	// word's messages. "çift" in 21 messages, 20 of them "çift çekim", is
	// said better by the phrase; "kargo" in 40, 5 of them "kargo gecikti",
	// is a topic of its own.
	phraseShare = 0.8
)

// Terms returns up to n words and two-word phrases much more common in the
// spike's messages than in the usual ones, best first.
//
// Words are runs of letters and digits, lower-cased by each message's
// language (Turkish "FATURAMI" is "faturamı") and counted without regard to
// accents, so "faturamı" and "faturami", "fatura" and "faturá" are one;
// a term shows its commonest spelling. Stop words of the message's
// language (of every language when it is not known), words shorter than 3
// letters and bare numbers such as order numbers are dropped; a phrase is
// two kept words with only spaces between them. Each term counts once per
// message, so a customer who writes a word 20 times counts it once.
//
// A term needs 3 spike messages (every one, when there are fewer), and
// twice the share of messages it usually has. Its score is its share of
// the spike times the log of how many times more common it is there,
// smoothed so that a term never seen usually does not score infinity:
//
//	s/S × ln( ((s+0.5)/(S+1)) / ((u+0.5)/(U+1)) )
//
// for s of S spike messages and u of U usual ones; with no usual messages
// to compare, the score is the share alone. A phrase in 80% of a word's
// messages takes the word's place (see phraseShare). Ties go by text.
func Terms(spike, usual []Doc, n int) []Term {
	if n <= 0 || len(spike) == 0 {
		return nil
	}
	c := newTally()
	for _, d := range spike {
		c.read(d, true)
	}
	for _, d := range usual {
		c.read(d, false)
	}

	S, U := float64(len(spike)), float64(len(usual))
	support := min(minSupport, len(spike))
	var picked []*count
	for _, t := range c.counts {
		if t.spike < support {
			continue
		}
		share := float64(t.spike) / S
		t.score = share
		if len(usual) > 0 {
			ratio := ((float64(t.spike) + 0.5) / (S + 1)) / ((float64(t.usual) + 0.5) / (U + 1))
			if ratio < minRatio {
				continue
			}
			t.score = share * math.Log(ratio)
		}
		t.picked = true
		picked = append(picked, t)
	}
	for _, t := range picked {
		for _, w := range t.words {
			if w != nil && w.picked && float64(t.spike) >= phraseShare*float64(w.spike) {
				w.covered = true
			}
		}
	}

	terms := make([]Term, 0, len(picked))
	for _, t := range picked {
		if !t.covered {
			terms = append(terms, Term{Text: t.spelling(), Spike: t.spike, Usual: t.usual, Score: t.score})
		}
	}
	slices.SortFunc(terms, func(a, b Term) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(a.Text, b.Text)
	})
	return terms[:min(n, len(terms))]
}

// Summary writes the first k terms for a sentence of caredesk's, each with
// the number of spike messages that hold it: “fatura” (38), “çift çekim”
// (21). The terms are customers' words, so each goes through bot.Quote:
// the desks show them as the characters they are.
func Summary(terms []Term, k int) string {
	var b strings.Builder
	for i, t := range terms[:max(0, min(k, len(terms)))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "“%s” (%d)", bot.Quote(t.Text), t.Spike)
	}
	return b.String()
}

// count is what Terms knows of one word or phrase.
type count struct {
	spike, usual int
	last         int // the last message that counted it, so that each counts once
	spellings    []spelling
	words        [2]*count // a phrase's two words; nil for a word
	score        float64
	picked       bool // it passed the thresholds
	covered      bool // a phrase holding it takes its place
}

type spelling struct {
	text string
	n    int
}

// spelling is the commonest way the spike wrote t; of two as common, the
// first in alphabetical order, so that the answer does not depend on the
// order of the messages.
func (t *count) spelling() string {
	best := t.spellings[0]
	for _, s := range t.spellings[1:] {
		if s.n > best.n || s.n == best.n && s.text < best.text {
			best = s
		}
	}
	return best.text
}

// tally counts terms message by message. The spike is read first and
// makes the terms; a usual message only adds to terms the spike has, since
// no other can be a result.
type tally struct {
	counts  map[string]*count
	readers map[string]*reader
	doc     int // the message being read, from 1
	f       folder
	prev    []byte // the key of the word before, for a phrase
	key     []byte // a phrase's key
	text    []byte // a term's spelling, for a message of the spike
}

func newTally() *tally {
	return &tally{counts: map[string]*count{}, readers: map[string]*reader{}}
}

// reader is how the messages of one language are read.
type reader struct {
	lower cases.Caser
	stop  map[string]bool
}

func (c *tally) reader(lang string) *reader {
	if r, ok := c.readers[lang]; ok {
		return r
	}
	r := &reader{lower: cases.Lower(language.Und), stop: stopAll}
	if tag, err := language.Parse(lang); lang != "" && err == nil {
		r.lower = cases.Lower(tag) // Turkish and Azeri map I to ı and İ to i
		base, _ := tag.Base()
		if stop, ok := stopWords[base.String()]; ok {
			r.stop = stop
		}
	}
	c.readers[lang] = r
	return r
}

// read counts the words and phrases of one message.
func (c *tally) read(d Doc, spike bool) {
	c.doc++
	r := c.reader(d.Language)
	text := r.lower.String(d.Text)
	var prev *count // the word before, when a phrase may follow it
	prevText := ""
	for i := 0; i < len(text); {
		start := i
		i = skipGap(text, i)
		if i == len(text) {
			break
		}
		if !onlySpaces(text[start:i]) {
			prev = nil
		}
		end := wordEnd(text, i)
		word := text[i:end]
		i = end

		key := c.f.fold(word)
		if utf8.RuneCount(key) < minLetters || digitsOnly(key) || r.stop[string(key)] {
			prev = nil
			continue
		}
		w := c.add(key, word, "", spike)
		if prev != nil {
			c.key = append(append(append(c.key[:0], c.prev...), ' '), key...)
			if p := c.add(c.key, prevText, word, spike); p != nil && p.words[0] == nil {
				p.words = [2]*count{prev, w}
			}
		}
		// A word the spike lacks makes no phrase the spike has.
		prev, prevText = w, word
		c.prev = append(c.prev[:0], key...)
	}
}

// add counts the term of key once for this message, spelt as the words a
// and b (b is "" for a word). It returns the term, or nil when a usual
// message holds a term that the spike does not.
func (c *tally) add(key []byte, a, b string, spike bool) *count {
	t := c.counts[string(key)]
	if t == nil {
		if !spike {
			return nil
		}
		t = &count{}
		c.counts[string(key)] = t
	}
	if t.last == c.doc {
		return t
	}
	t.last = c.doc
	if !spike {
		t.usual++
		return t
	}
	t.spike++
	c.text = append(c.text[:0], a...)
	if b != "" {
		c.text = append(append(c.text, ' '), b...)
	}
	for i := range t.spellings {
		if t.spellings[i].text == string(c.text) {
			t.spellings[i].n++
			return t
		}
	}
	t.spellings = append(t.spellings, spelling{text: string(c.text), n: 1})
	return t
}

// skipGap returns where the next word of text starts at or after i, or
// len(text).
func skipGap(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			break
		}
		i += size
	}
	return i
}

// wordEnd returns where the word that starts at i ends: at the first rune
// that is not a letter, a digit or a mark (a mark belongs to the letter
// before it, in text not written precomposed).
func wordEnd(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.M, r) {
			break
		}
		i += size
	}
	return i
}

// onlySpaces reports whether the gap between two words is spaces only, as
// in a phrase; a comma or a full stop ends one.
func onlySpaces(gap string) bool {
	for _, r := range gap {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

func digitsOnly(key []byte) bool {
	for _, r := range string(key) {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// folder folds lower-cased words into the keys they are counted by, with
// route.FoldRune, so that a surge's words and a route's keywords count the
// same letters as one. It reuses its buffers, so a key is good until the
// next fold.
type folder struct {
	key, nfd []byte
}

func (f *folder) fold(word string) []byte {
	f.key = f.key[:0]
	ascii := true
	for i := 0; i < len(word); i++ {
		if word[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		f.key = append(f.key, word...)
		return f.key
	}
	f.nfd = norm.NFD.AppendString(f.nfd[:0], word)
	for i := 0; i < len(f.nfd); {
		r, size := utf8.DecodeRune(f.nfd[i:])
		i += size
		if r, ok := route.FoldRune(r); ok {
			f.key = utf8.AppendRune(f.key, r)
		}
	}
	return f.key
}
