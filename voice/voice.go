// Package voice is caredesk's side of the conversation with customers: a
// catalogue of what caredesk itself says to them in each language, matched
// to the language the customer writes in, overridable per team, and the
// stock phrases that make a reply read as a template.
package voice

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"caredesk/bot"
)

// Options configure a Voice. The zero value speaks English by default.
type Options struct {
	// Default is the team's language, said to customers whose language
	// is unknown or not in the catalogue; "en" when "".
	Default string
	// Messages override the shipped texts, by language and phrase. A
	// language caredesk does not ship must give every phrase.
	Messages map[string]map[bot.Phrase]string
	// Cliches add stock phrases, by language, to those shipped.
	Cliches map[string][]string
}

// Voice is a bot.Voice. It is safe for concurrent use.
type Voice struct {
	texts   map[string]map[bot.Phrase]string
	keys    []string // the languages, the default first
	matcher language.Matcher
	cliches map[string][]string
}

// placeholders are what each phrase may say in braces.
var placeholders = map[bot.Phrase][]string{
	bot.SayAck:          {"name", "due"},
	bot.SayAckClosed:    {"name", "due"},
	bot.SayCall:         {"agent"},
	bot.SayCallThanks:   {"agent"},
	bot.SayPrivate:      {"agent"},
	bot.SayPrivateHello: {"name", "agent"},
	bot.SayHandover:     {"agent"},
	bot.SaySignature:    {"agent"},
}

var braces = regexp.MustCompile(`\{[^{}]*\}`)

// Check says what is wrong with text as phrase p, or nil: an unknown
// phrase, or a placeholder the phrase does not fill.
func Check(p bot.Phrase, text string) error {
	if !slices.Contains(bot.Phrases, p) {
		names := make([]string, len(bot.Phrases))
		for i, q := range bot.Phrases {
			names[i] = string(q)
		}
		return fmt.Errorf("%q is not a message caredesk sends; the messages are %s", p, strings.Join(names, ", "))
	}
	for _, b := range braces.FindAllString(text, -1) {
		name := strings.Trim(b, "{}")
		if !slices.Contains(placeholders[p], name) {
			allowed := "none"
			if len(placeholders[p]) > 0 {
				allowed = "{" + strings.Join(placeholders[p], "}, {") + "}"
			}
			return fmt.Errorf("%s is not a placeholder of %s; it takes %s", b, p, allowed)
		}
	}
	return nil
}

// Shipped reports whether caredesk ships texts in lang (a base language
// code like "tr").
func Shipped(lang string) bool { _, ok := shipped[lang]; return ok }

// Languages are the codes of the languages caredesk ships, sorted.
func Languages() []string {
	out := make([]string, 0, len(shipped))
	for l := range shipped {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// New returns the voice of o: the shipped catalogue with the team's
// overrides. Errors say which language or phrase is wrong.
func New(o Options) (*Voice, error) {
	def := o.Default
	if def == "" {
		def = "en"
	}
	if _, err := language.Parse(def); err != nil {
		return nil, fmt.Errorf("%q is not a language code: write one like tr, ro, pl, bg or en", def)
	}
	v := &Voice{texts: map[string]map[bot.Phrase]string{}, cliches: map[string][]string{}}
	for l, texts := range shipped {
		v.texts[l] = cloneTexts(texts)
	}
	for l, texts := range o.Messages {
		if _, err := language.Parse(l); err != nil {
			return nil, fmt.Errorf("messages: %q is not a language code: write one like tr, ro, pl, bg or en", l)
		}
		if v.texts[l] == nil {
			v.texts[l] = map[bot.Phrase]string{}
		}
		for p, text := range texts {
			if err := Check(p, text); err != nil {
				return nil, fmt.Errorf("messages.%s.%s: %w", l, p, err)
			}
			v.texts[l][p] = text
		}
	}
	for l, texts := range v.texts {
		for _, p := range bot.Phrases {
			if _, ok := texts[p]; !ok {
				return nil, fmt.Errorf("messages.%s: caredesk does not ship %s, so it needs every message; %s is missing", l, l, p)
			}
		}
	}
	if v.texts[def] == nil {
		return nil, fmt.Errorf("the default language %s is not shipped (%s): give its messages under messages.%s", def, strings.Join(Languages(), ", "), def)
	}
	v.keys = append(v.keys, def)
	for l := range v.texts {
		if l != def {
			v.keys = append(v.keys, l)
		}
	}
	slices.Sort(v.keys[1:]) // the same matcher every start
	tags := make([]language.Tag, len(v.keys))
	for i, l := range v.keys {
		tags[i] = language.Make(l)
	}
	v.matcher = language.NewMatcher(tags)
	for l, phrases := range cliches {
		v.cliches[l] = slices.Clone(phrases)
	}
	for l, phrases := range o.Cliches {
		for _, p := range phrases {
			v.cliches[l] = append(v.cliches[l], lower(l, strings.Join(strings.Fields(p), " ")))
		}
	}
	return v, nil
}

func cloneTexts(m map[bot.Phrase]string) map[bot.Phrase]string {
	out := make(map[bot.Phrase]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Language returns the catalogue's language for what the network said
// the customer speaks ("pt-BR", "tr", "", "x-klingon"): the closest one
// the team can answer in, or the team's default.
func (v *Voice) Language(lang string) string {
	tag, err := language.Parse(strings.TrimSpace(lang))
	if err != nil || lang == "" {
		return v.keys[0]
	}
	// Only the same language: the matcher would answer Azerbaijani or
	// Kazakh in Russian and Basque in Spanish, for the links it knows;
	// the team's own language is the better guess there.
	_, i, conf := v.matcher.Match(tag)
	want, _ := tag.Base()
	if got, _ := language.Make(v.keys[i]).Base(); conf == language.No || got != want {
		return v.keys[0]
	}
	return v.keys[i]
}

// Say returns phrase p in the customer's language, with w filled in. A
// placeholder with nothing to say goes with the comma or space before
// it: "Thanks, {name} — we got it." without a name is "Thanks — we got it."
func (v *Voice) Say(lang string, p bot.Phrase, w bot.Words) string {
	l := v.Language(lang)
	text := v.texts[l][p]
	agent := w.Agent
	if agent == "" && p != bot.SaySignature {
		agent = someone[l]
	}
	values := map[string]string{"name": w.Name, "agent": agent, "due": v.due(l, w)}
	for _, name := range placeholders[p] {
		if val := values[name]; val != "" {
			text = fill(l, text, "{"+name+"}", val)
			continue
		}
		for _, gap := range []string{", {" + name + "}", " {" + name + "}", "{" + name + "}"} {
			text = strings.ReplaceAll(text, gap, "")
		}
	}
	return strings.TrimSpace(text)
}

// due writes the deadline on the customer's clock: "14:30" today,
// "Monday, 09:00" on another day.
func (v *Voice) due(lang string, w bot.Words) string {
	if w.Due.IsZero() {
		return ""
	}
	zone := w.Zone
	if zone == nil {
		zone = time.UTC
	}
	d, now := w.Due.In(zone), w.Now.In(zone)
	clock := d.Format("15:04")
	if d.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return clock
	}
	names, ok := weekdays[lang]
	if !ok {
		names = weekdays["en"]
	}
	if d.Sub(now) > 6*24*time.Hour {
		return names[d.Weekday()] + " " + d.Format("2.1.") + ", " + clock
	}
	return names[d.Weekday()] + ", " + clock
}

// Cliche returns the stock phrase text contains, in the customer's
// language or the team's, or "".
func (v *Voice) Cliche(lang, text string) string {
	seen := map[string]bool{}
	for _, l := range []string{v.Language(lang), v.keys[0], "en"} {
		if seen[l] {
			continue
		}
		seen[l] = true
		t := lower(l, strings.Join(strings.Fields(text), " "))
		for _, c := range v.cliches[l] {
			if strings.Contains(t, c) {
				return c
			}
		}
	}
	return ""
}

// lower folds case the way lang does: Turkish "DEĞERLİ" is "değerli".
func lower(lang, s string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.Und
	}
	return cases.Lower(tag).String(s)
}

func capitalize(lang, s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.Und
	}
	return cases.Upper(tag).String(string(r[0])) + string(r[1:])
}

// fill puts val for each placeholder in text, capitalised where it starts
// a sentence.
func fill(lang, text, placeholder, val string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, placeholder)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		before := strings.TrimRight(b.String()+text[:i], " ")
		v := val
		if before == "" || strings.HasSuffix(before, ".") || strings.HasSuffix(before, "!") || strings.HasSuffix(before, "?") {
			v = capitalize(lang, val)
		}
		b.WriteString(text[:i] + v)
		text = text[i+len(placeholder):]
	}
}
