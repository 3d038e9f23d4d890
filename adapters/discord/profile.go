package discord

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
)

var _ bot.Profiles = (*Discord)(nil)

// Bounds of the first names FirstName remembers. Names change rarely, and
// a signature on every reply must not cost a REST call each time.
const (
	profileTTL  = 10 * time.Minute
	maxProfiles = 1000
	maxNameLen  = 40 // runes
)

// Discord's JSON error codes of people who are not there.
const (
	codeUnknownMember = 10007
	codeUnknownUser   = 10013
)

// FirstName returns agentID's first name as the desk's server knows them:
// the first word of their server nickname, else of their global (display)
// name, else their username; "" when they are not a member of GuildID. A
// rate-limited or failed lookup is an error, which the caller takes as
// "sign without a name" rather than a reason to hold the reply: the name
// is not remembered then, so a later reply asks again.
func (d *Discord) FirstName(ctx context.Context, agentID string) (string, error) {
	if agentID == "" {
		return "", nil
	}
	cache := d.profiles()
	now := d.opts.Now()
	if name, ok := cache.get(agentID, now); ok {
		return name, nil
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	var nick string
	var u *discordgo.User
	var err error
	if d.opts.GuildID != "" {
		var m *discordgo.Member
		if m, err = d.s.GuildMember(d.opts.GuildID, agentID, discordgo.WithContext(ctx)); err == nil {
			nick, u = m.Nick, m.User
		}
	} else {
		// Only a source: no server to have a nickname in.
		u, err = d.s.User(agentID, discordgo.WithContext(ctx))
	}
	switch code := discordCode(err); {
	case code == codeUnknownMember || code == codeUnknownUser:
		cache.put(agentID, "", now)
		return "", nil
	case err != nil:
		return "", deliveryError("get member", err)
	}
	var global, username string
	if u != nil {
		global, username = u.GlobalName, u.Username
		if _, ok := d.names.Load(agentID); !ok && username != "" {
			// The same answer serves Names, as its own lookup would.
			display := global
			if display == "" {
				display = username
			}
			d.names.Store(agentID, display)
		}
	}
	name := ""
	for _, s := range []string{nick, global, username} {
		if name = cleanName(s, true); name != "" {
			break
		}
	}
	cache.put(agentID, name, now)
	return name, nil
}

// profileCacheKey is where the Discord's profileCache lives in d.names: it
// comes and goes with the Discord, and Names' keys (user ids, strings) never
// collide with it.
type profileCacheKey struct{}

func (d *Discord) profiles() *profileCache {
	c, _ := d.names.LoadOrStore(profileCacheKey{}, &profileCache{})
	return c.(*profileCache)
}

// profileCache remembers first names (and "" for people who are not
// members) for profileTTL, at most maxProfiles of them.
type profileCache struct {
	mu      sync.Mutex
	entries map[string]profileEntry
	added   uint64 // entries put so far, for telling the oldest
}

type profileEntry struct {
	name string
	at   time.Time
	n    uint64 // the order it was put in
}

func (c *profileCache) get(id string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || !fresh(e, now) {
		return "", false
	}
	return e.name, true
}

func (c *profileCache) put(id, name string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]profileEntry{}
	}
	if _, ok := c.entries[id]; !ok && len(c.entries) >= maxProfiles {
		for k, e := range c.entries {
			if !fresh(e, now) {
				delete(c.entries, k)
			}
		}
		for len(c.entries) >= maxProfiles {
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
	c.entries[id] = profileEntry{name: name, at: now, n: c.added}
}

// fresh reports whether e is younger than profileTTL at now. An entry from
// the future (a clock set back) is not trusted either.
func fresh(e profileEntry, now time.Time) bool {
	age := now.Sub(e.at)
	return age >= 0 && age < profileTTL
}

// nameMarkup is what people put in their names that is not a name:
// mentions, custom emoji and timestamps (<@123>, <:cat:123>, <t:1700000000>)
// and emoji codes (:wave:).
var nameMarkup = regexp.MustCompile(`<[^<>]*>|:[a-z0-9_+'-]+:`)

// cleanName makes a name typed by a person fit to sign a message with:
// markup and anything but letters, marks, digits, spaces, apostrophes,
// hyphens and dots removed, spaces collapsed, at most maxNameLen runes;
// firstWord keeps only its first word. A result without a letter or digit
// is "".
func cleanName(s string, firstWord bool) string {
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
	if utf8.RuneCountInString(name) > maxNameLen {
		name = strings.TrimSpace(string([]rune(name)[:maxNameLen]))
	}
	return name
}
