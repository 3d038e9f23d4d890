// Package listen holds what caredesk's listeners share, the sources it
// polls itself rather than being told of (feeds, Mastodon, Bluesky):
// which posts count as being about the brand (Filter), and how to ask
// other people's servers for them politely (Client).
package listen

import (
	"errors"
	"fmt"

	"golang.org/x/text/language"

	"caredesk/route"
)

// Filter says which posts a listener takes: one that holds any Include
// word (any post when there are none), none of the Exclude words, and is
// in one of Languages (any when there are none). Words are matched as
// routes match them: without regard to case or accents, at the start of
// a word, so "acme" finds "ACME'nin" but not "pacme".
type Filter struct {
	Include   []string
	Exclude   []string
	Languages []string // like "tr" or "en"; a post in a language the network did not say is taken
}

// Matcher is a Filter made ready to match.
type Matcher struct {
	include, exclude []string // route.Keyword's
	bases            []language.Base
}

// Compile checks f and makes it ready. It refuses a word with no letter or
// digit and a language it cannot read, each error naming the word or the
// language and starting with where, the filter's source ("feed:alerts").
func (f Filter) Compile(where string) (Matcher, error) {
	var m Matcher
	var problems []error
	words := func(list []string, key string) []string {
		var out []string
		for _, w := range list {
			k, ok := route.Keyword(w)
			if !ok {
				problems = append(problems, fmt.Errorf("%s: %s %q has no letter or digit", where, key, w))
				continue
			}
			out = append(out, k)
		}
		return out
	}
	m.include, m.exclude = words(f.Include, "include"), words(f.Exclude, "exclude")
	for _, l := range f.Languages {
		tag, err := language.Parse(l)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: lang %q is not a language: write one like tr, ro, pl, bg or en", where, l))
			continue
		}
		b, _ := tag.Base()
		m.bases = append(m.bases, b)
	}
	return m, errors.Join(problems...)
}

// Match reports whether a post of text, in lang ("" when the network did
// not say), is one to take.
func (m Matcher) Match(text, lang string) bool {
	folded := route.Searchable(text)
	if len(m.include) > 0 && route.FindKeyword(folded, m.include) < 0 {
		return false
	}
	if route.FindKeyword(folded, m.exclude) >= 0 {
		return false
	}
	if len(m.bases) == 0 || lang == "" {
		return true
	}
	tag, err := language.Parse(lang)
	if err != nil {
		return true // a language the network wrote oddly is no reason to miss a complaint
	}
	b, _ := tag.Base()
	for _, want := range m.bases {
		if b == want {
			return true
		}
	}
	return false
}
