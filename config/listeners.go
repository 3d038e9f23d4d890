package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"caredesk/listen"
)

// The kinds of listener: sources caredesk polls itself.
const (
	KindFeed     = "feed"
	KindMastodon = "mastodon"
	KindBluesky  = "bluesky"
)

// Defaults and floors of a listener's polling, by kind: feeds change
// slowly and belong to people who did not ask to be polled; Mastodon and
// Bluesky have rate limits per account (300 calls in 5 minutes; 3,000 in
// 5 minutes) that a minute's polling of a few searches stays far within.
var (
	listenEvery = map[string]time.Duration{KindFeed: 5 * time.Minute, KindMastodon: time.Minute, KindBluesky: time.Minute}
	listenFloor = map[string]time.Duration{KindFeed: time.Minute, KindMastodon: 30 * time.Second, KindBluesky: 30 * time.Second}
)

// DefaultMaxAge is how old a post may be and still open a ticket the
// first time a listener sees it: a new feed's backlog of months is no
// queue of complaints.
const DefaultMaxAge = 7 * 24 * time.Hour

// DefaultBlueskyService is where a Bluesky account is reached when the
// file does not say.
const DefaultBlueskyService = "https://bsky.social"

// Listener is one source caredesk polls itself: an RSS or Atom feed, a
// Mastodon account, or a Bluesky account.
type Listener struct {
	Kind    string // KindFeed, KindMastodon or KindBluesky
	Name    string // the file's name for it; its tickets' source is Kind:Name
	Display string // how people call it; when not set, a feed's host, else "Mastodon" or "Bluesky"
	// URL is the feed's address, the Mastodon instance, or the Bluesky
	// service.
	URL      string
	Handle   string        // the Bluesky account's handle
	TokenEnv string        // the variable holding the Mastodon access token or the Bluesky app password
	Token    string        // its value, read at start
	Searches []string      // what a Mastodon or Bluesky account looks for besides its mentions
	Filter   listen.Filter // include, exclude and lang: which posts are about the brand
	Every    time.Duration // how often it is polled
	MaxAge   time.Duration // how old a post may be and still open a ticket
	// SkipAuthors are the brand's own names on a feed, whose items open
	// no ticket.
	SkipAuthors []string
	// SilenceAlarm is how long the source may bring no complaint before
	// the desk channel is told; 0 for never.
	SilenceAlarm time.Duration
}

// Source is the listener's source name, as tickets and the per-source
// settings name it: "feed:alerts", "mastodon:brand".
func (l Listener) Source() string { return l.Kind + ":" + l.Name }

var listenerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// listeners reads one kind's list under sources.
func (p *parser) listeners(kind string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if v.Kind != yaml.SequenceNode {
			p.fail(v, path, "expected a list of %s sources", kind)
			return
		}
		for i, n := range v.Content {
			p.listener(kind, n, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func (p *parser) listener(kind string, n *yaml.Node, path string) {
	l := Listener{Kind: kind, Every: listenEvery[kind], MaxAge: DefaultMaxAge}
	var sla *yaml.Node
	words := func(field string, dst *[]string) func(*yaml.Node, string) {
		return func(v *yaml.Node, path string) { *dst = p.wordList(v, path, field) }
	}
	// filterWords reads include, exclude or lang, each entry checked as the
	// filter will read it, so that a mistake is named with its own line.
	filterWords := func(field string, dst *[]string) func(*yaml.Node, string) {
		return func(v *yaml.Node, path string) {
			if p.wordList(v, path, field) == nil || v.Kind != yaml.SequenceNode {
				if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
					p.fail(v, path, "the list is empty: write at least one, or leave %s out", field)
				}
				return
			}
			for i, e := range v.Content {
				w := strings.TrimSpace(e.Value)
				if e.Kind != yaml.ScalarNode || w == "" {
					continue // wordList said so, with its line
				}
				one := listen.Filter{}
				switch field {
				case "include":
					one.Include = []string{w}
				case "exclude":
					one.Exclude = []string{w}
				case "lang":
					one.Languages = []string{w}
				}
				if _, err := one.Compile(""); err != nil {
					p.fail(v.Content[i], fmt.Sprintf("%s[%d]", path, i), "%s", strings.TrimPrefix(err.Error(), ": "))
					continue
				}
				*dst = append(*dst, w)
			}
		}
	}
	addressBad := false
	address := func(read func(*yaml.Node, string) string) func(*yaml.Node, string) {
		return func(v *yaml.Node, path string) {
			l.URL = read(v, path)
			addressBad = l.URL == ""
		}
	}
	fields := map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, path string) {
			if !listenerName.MatchString(v.Value) {
				p.fail(v, path, "%q cannot be a source name: use lowercase letters, digits, - and _ (the tickets' source becomes %s:NAME)", v.Value, kind)
			}
			l.Name = v.Value
		},
		"display": func(v *yaml.Node, _ string) { l.Display = strings.TrimSpace(v.Value) },
		"every": func(v *yaml.Node, path string) {
			if d := p.duration(v, path); d > 0 && d < listenFloor[kind] {
				p.fail(v, path, "%s is too often: a %s source is polled at most every %s, to stay polite and within its limits", v.Value, kind, listenFloor[kind])
			} else if d > 0 {
				l.Every = d
			}
		},
		"max_age": func(v *yaml.Node, path string) {
			if d := p.duration(v, path); d > 30*24*time.Hour {
				p.fail(v, path, "%s is older than caredesk remembers posts (30 days): write 30d or less", v.Value)
			} else if d > 0 {
				l.MaxAge = d
			}
		},
		"include":       filterWords("include", &l.Filter.Include),
		"exclude":       filterWords("exclude", &l.Filter.Exclude),
		"lang":          filterWords("lang", &l.Filter.Languages),
		"sla":           func(v *yaml.Node, _ string) { sla = v },
		"silence_alarm": p.silenceAlarm(&l.SilenceAlarm),
	}
	secretField := ""
	switch kind {
	case KindFeed:
		fields["url"] = address(p.webAddress)
		fields["skip_authors"] = words("skip_authors", &l.SkipAuthors)
	case KindMastodon:
		secretField = "access_token_env"
		fields["instance"] = address(func(v *yaml.Node, path string) string { return p.server(v, path, "https://mastodon.social") })
		fields[secretField] = func(v *yaml.Node, _ string) { l.TokenEnv = strings.TrimSpace(v.Value) }
		fields["searches"] = func(v *yaml.Node, path string) {
			l.Searches = p.wordList(v, path, "searches")
			for i, e := range v.Content { // each at its own line, the refused ones too
				q := strings.TrimSpace(e.Value)
				if e.Kind == yaml.ScalarNode && q != "" && (strings.Trim(q, "#") == "" || strings.HasPrefix(q, "#") && strings.ContainsAny(q, " \t")) {
					p.fail(v.Content[i], fmt.Sprintf("%s[%d]", path, i), "%q is not a search: write a word or phrase (acme, \"acme bank\"), or one hashtag (#acme)", q)
				}
			}
		}
	case KindBluesky:
		secretField = "app_password_env"
		l.URL = DefaultBlueskyService
		fields["service"] = address(func(v *yaml.Node, path string) string { return p.server(v, path, DefaultBlueskyService) })
		fields["handle"] = func(v *yaml.Node, path string) {
			l.Handle = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(v.Value), "@"))
			if !blueskyHandle.MatchString(l.Handle) {
				p.fail(v, path, "%q is not a Bluesky handle: write the account's handle as its profile shows it, like acme.bsky.social or acme.com", v.Value)
			}
		}
		fields[secretField] = func(v *yaml.Node, _ string) { l.TokenEnv = strings.TrimSpace(v.Value) }
		fields["searches"] = words("searches", &l.Searches)
	}
	p.fields(n, path, fields)
	switch {
	case addressBad:
		return // said where the address is
	case l.Name == "":
		p.fail(n, join(path, "name"), "a %s source needs a name, like brand", kind)
		return
	case slices.ContainsFunc(p.f.Listeners, func(o Listener) bool { return o.Source() == l.Source() }):
		p.fail(n, join(path, "name"), "%q is used by another %s source; names must differ", l.Name, kind)
		return
	case l.URL == "" && kind == KindFeed:
		p.fail(n, join(path, "url"), "a feed source needs url, the address of its RSS or Atom feed")
		return
	case l.URL == "" && kind == KindMastodon:
		p.fail(n, join(path, "instance"), "a mastodon source needs instance, the address of the brand account's server, like https://mastodon.social")
		return
	case l.Handle == "" && kind == KindBluesky:
		p.fail(n, join(path, "handle"), "a bluesky source needs handle, the brand account's handle, like acme.bsky.social")
		return
	}
	if secretField != "" {
		what := map[string]string{KindMastodon: "access token (Preferences → Development → New application, with the read and write:statuses scopes)",
			KindBluesky: "app password (Settings → Privacy and security → App passwords)"}[kind]
		if l.TokenEnv == "" {
			p.fail(n, join(path, secretField), "a %s source needs %s, the environment variable that holds the account's %s", kind, secretField, what)
			return
		}
		secret, err := Secret(p.getenv, l.TokenEnv)
		if l.Token = strings.TrimSpace(secret); err != nil {
			p.fail(n, join(path, secretField), "%s", err)
		} else if file := strings.TrimSpace(p.getenv(l.TokenEnv + "_FILE")); l.Token == "" && file != "" {
			p.fail(n, join(path, secretField), "the file %s_FILE names, %s, is empty: put the %s of source %q in it", l.TokenEnv, file, what, l.Name)
		} else if l.Token == "" {
			p.fail(n, join(path, secretField), "%s is not set: put the %s of source %q in it", l.TokenEnv, what, l.Name)
		}
	}
	if l.Display == "" {
		l.Display = map[string]string{KindFeed: hostOf(l.URL), KindMastodon: "Mastodon", KindBluesky: "Bluesky"}[kind]
	}
	p.ownSLA(l.Source(), sla, path)
	p.f.Listeners = append(p.f.Listeners, l)
}

// webAddress reads an absolute http(s) address.
func (p *parser) webAddress(v *yaml.Node, path string) string {
	s := strings.TrimSpace(v.Value)
	if !webURL(s) {
		p.fail(v, path, notURL, v.Value)
		return ""
	}
	return s
}

// server reads a server's address: scheme and host, nothing after them
// (a profile's page is a common paste).
func (p *parser) server(v *yaml.Node, path, example string) string {
	s := strings.TrimRight(p.webAddress(v, path), "/")
	if u, err := url.Parse(s); err == nil && s != "" && (u.Path != "" || u.RawQuery != "" || u.Fragment != "") {
		p.fail(v, path, "%q is a page, not a server: write the server's address alone, like %s", v.Value, example)
		return ""
	}
	return s
}

// blueskyHandle is the syntax of a handle: a domain name of two labels or
// more (atproto's handle spec).
var blueskyHandle = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// wordList reads a list of words or phrases.
func (p *parser) wordList(n *yaml.Node, path, field string) []string {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "expected a list for %s, like [acme, \"acme bank\"]", field)
		return nil
	}
	var out []string
	for i, v := range n.Content {
		if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
			p.fail(v, fmt.Sprintf("%s[%d]", path, i), "expected a word or a phrase here")
			continue
		}
		out = append(out, strings.TrimSpace(v.Value))
	}
	return out
}

// hostOf is a feed's display name when the file gives none: its host,
// without "www.".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return strings.TrimPrefix(u.Host, "www.")
}
