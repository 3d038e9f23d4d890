// Package route decides which team owns a new complaint, by the rules a
// brand writes: the network it came from, the customer's language, or
// words in its first message. The first rule that matches wins; a
// complaint no rule matches goes to the default team.
//
// Words are matched the way people write them in a hurry on a phone:
// without regard to case or accents ("FATURAMI" and "faturamı" both hold
// "fatura"; "rambursare" is "rambursare"), Turkish dotted and dotless i
// alike, at the start of a word so that suffixes still match (Turkish and
// Romanian add them: "faturayı", "rambursarea") but "refund" does not
// match inside "prefund".
package route

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Rule sends the complaints it matches to Team. Every condition it has
// must hold; one with none matches everything.
type Rule struct {
	Team     string
	Source   string   // a source's name, like "telegram" or "webhook:sikayet"; "" for any
	Language string   // a language, like "ro" ("ro-RO" matches it too); "" for any
	Keywords []string // words or phrases, any of which in the first message matches; none for any
}

// Complaint is what a rule looks at: the first message of a new ticket.
type Complaint struct {
	Source   string
	Language string // as the network or the text said, like "tr" or "ro-RO"; "" when unknown
	Text     string
}

// Decision is where a complaint goes, and why, in a few words for the
// ticket's root ("by language ro, rule 1").
type Decision struct {
	Team string
	Why  string
}

// Router applies rules in order.
type Router struct {
	rules    []rule
	fallback string
}

type rule struct {
	Rule
	n        int // 1-based, as people count the rules in the file
	base     language.Base
	keywords []string // folded, " word…" ready to find at a word's start
}

// New returns a router of rules, sending what none matches to fallback. It
// refuses a rule without a team, a language it cannot read, and a keyword
// that holds no letter or digit.
func New(rules []Rule, fallback string) (*Router, error) {
	r := &Router{fallback: fallback}
	var problems []error
	for i, in := range rules {
		c := rule{Rule: in, n: i + 1}
		if in.Team == "" {
			problems = append(problems, fmt.Errorf("rule %d names no team", c.n))
		}
		if in.Language != "" {
			tag, err := language.Parse(in.Language)
			if err != nil {
				problems = append(problems, fmt.Errorf("rule %d: %q is not a language: write one like tr, ro, pl or bg", c.n, in.Language))
			} else {
				c.base, _ = tag.Base()
			}
		}
		for _, k := range in.Keywords {
			f, ok := Keyword(k)
			if !ok {
				problems = append(problems, fmt.Errorf("rule %d: the keyword %q has no letter or digit", c.n, k))
				continue
			}
			c.keywords = append(c.keywords, f)
		}
		r.rules = append(r.rules, c)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return r, nil
}

// Route decides where c goes.
func (r *Router) Route(c Complaint) Decision {
	var text string // folded once, when a rule first needs it
	folded := false
	for _, ru := range r.rules {
		if ru.Source != "" && ru.Source != c.Source {
			continue
		}
		if ru.Language != "" && !sameLanguage(ru.base, c.Language) {
			continue
		}
		why := ""
		if len(ru.keywords) > 0 {
			if !folded {
				text, folded = Searchable(c.Text), true
			}
			i := FindKeyword(text, ru.keywords)
			if i < 0 {
				continue
			}
			why = fmt.Sprintf("keyword %q", ru.Keywords[i])
		}
		switch {
		case why != "":
		case ru.Language != "":
			why = "language " + ru.Language
		case ru.Source != "":
			why = "source " + ru.Source
		default:
			why = "every complaint"
		}
		return Decision{Team: ru.Team, Why: fmt.Sprintf("by %s, rule %d", why, ru.n)}
	}
	return Decision{Team: r.fallback, Why: "the default team: no rule matched"}
}

// sameLanguage reports whether tag, as a network or a guess wrote it, is
// in the language base.
func sameLanguage(base language.Base, tag string) bool {
	if tag == "" {
		return false
	}
	t, err := language.Parse(tag)
	if err != nil {
		return false
	}
	b, _ := t.Base()
	return b == base
}

// Keyword is word, a word or a phrase, as FindKeyword looks for it at the
// start of a word: folded, after a space. ok is false when it holds no
// letter or digit, which nothing would match.
func Keyword(word string) (keyword string, ok bool) {
	f := Fold(word)
	return " " + f, f != ""
}

// Searchable is text as FindKeyword searches it: folded, between spaces.
// A text searched for several lists of keywords is folded once.
func Searchable(text string) string { return " " + Fold(text) + " " }

// FindKeyword returns the index of the first of keywords (each made by
// Keyword) found at the start of a word of text (made by Searchable), or
// -1.
func FindKeyword(text string, keywords []string) int {
	for i, k := range keywords {
		if strings.Contains(text, k) {
			return i
		}
	}
	return -1
}

// Fold writes s as a keyword is matched: lower case, accents and other
// marks removed, Turkish ı and İ as i, Polish ł as l, and every run of
// what is not a letter or a digit as one space, trimmed.
func Fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		r, ok := FoldRune(r)
		if !ok {
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FoldRune is one rune of a text in norm.NFD as Fold writes it: lower
// case, with Turkish ı and İ as i, Polish ł as l, đ as d and ß as s; ok
// is false for a mark, the accent of the letter before, which is dropped.
// It is the one table of what counts as the same letter, for the words
// routes match and the words spikes count.
func FoldRune(r rune) (folded rune, ok bool) {
	switch {
	case unicode.Is(unicode.Mn, r):
		return 0, false
	case r == 'ı' || r == 'İ':
		r = 'i'
	case r == 'ł' || r == 'Ł':
		r = 'l'
	case r == 'đ' || r == 'Đ':
		r = 'd'
	case r == 'ß':
		r = 's' // "ss" would need two; one keeps a keyword's start
	}
	return unicode.ToLower(r), true
}
