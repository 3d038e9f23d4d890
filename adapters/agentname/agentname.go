// Package agentname gives the desks one way to turn an agent's profile
// into the first name that signs their replies to customers: cleaned of
// markup and remembered for a while, since names change rarely and a
// signature on every reply must not cost a profile lookup each time.
package agentname

import (
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of what a Cache remembers and of a name.
const (
	TTL     = 10 * time.Minute
	MaxKept = 1000
	MaxLen  = 40 // runes
)

// Cache remembers first names (and "" for people the desk does not know)
// for TTL, at most MaxKept of them. The zero value is ready to use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]entry
	added   uint64 // entries put so far, for telling the oldest
}

type entry struct {
	name string
	at   time.Time
	n    uint64 // the order it was put in
}

// Get returns the name remembered for id, if it is still fresh at now.
func (c *Cache) Get(id string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || !fresh(e, now) {
		return "", false
	}
	return e.name, true
}

// Put remembers name for id from now; when full, stale names go first,
// then the oldest.
func (c *Cache) Put(id, name string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]entry{}
	}
	if _, ok := c.entries[id]; !ok && len(c.entries) >= MaxKept {
		for k, e := range c.entries {
			if !fresh(e, now) {
				delete(c.entries, k)
			}
		}
		for len(c.entries) >= MaxKept {
			// All fresh: the oldest goes.
			oldest, first := "", uint64(0)
			for k, e := range c.entries {
				if oldest == "" || e.n < first {
					oldest, first = k, e.n
				}
			}
			delete(c.entries, oldest)
		}
	}
	c.added++
	c.entries[id] = entry{name: name, at: now, n: c.added}
}

// fresh reports whether e is younger than TTL at now. An entry from
// the future (a clock set back) is not trusted either.
func fresh(e entry, now time.Time) bool {
	age := now.Sub(e.at)
	return age >= 0 && age < TTL
}

// nameMarkup is what people put in their names that is not a name:
// mentions, custom emoji and timestamps (<@123>, <:cat:123>, <t:1700000000>)
// and emoji codes (:wave:).
var nameMarkup = regexp.MustCompile(`<[^<>]*>|:[a-z0-9_+'-]+:`)

// Clean makes a name typed by a person fit to sign a message with:
// markup and anything but letters, marks, digits, spaces, apostrophes,
// hyphens and dots removed, spaces collapsed, at most MaxLen runes;
// firstWord keeps only its first word. A result without a letter or digit
// is "".
func Clean(s string, firstWord bool) string {
	s = nameMarkup.ReplaceAllString(s, " ")
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsMark(r), unicode.IsDigit(r),
			r == '\'', r == '’', r == '-', r == '.':
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	for i := 0; i < len(words); i++ {
		if !strings.ContainsFunc(words[i], func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			words = append(words[:i], words[i+1:]...) // a stray "-" or "."
			i--
		}
	}
	if len(words) == 0 {
		return ""
	}
	if firstWord {
		words = words[:1]
	}
	name := strings.Join(words, " ")
	if utf8.RuneCountInString(name) > MaxLen {
		name = strings.TrimSpace(string([]rune(name)[:MaxLen]))
	}
	return name
}

// First is the first word of the first of names that has one after
// Clean: a profile's fields in the order a desk prefers them.
func First(names ...string) string {
	for _, n := range names {
		if name := Clean(n, true); name != "" {
			return name
		}
	}
	return ""
}
