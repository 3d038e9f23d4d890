package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"caredesk/bot"
	"caredesk/voice"
)

// language reads the team's language: what customers whose own language
// caredesk cannot match are answered in.
func (p *parser) language(v *yaml.Node, path string) {
	l := strings.ToLower(strings.TrimSpace(v.Value))
	if _, err := language.Parse(l); err != nil || l == "" {
		p.fail(v, path, "%q is not a language code: write one like tr, ro, pl, bg or en", v.Value)
		return
	}
	p.f.Language, p.languageAt = l, v
}

// checkLanguage runs once the file is read: the team's language is one
// caredesk ships, or one whose every message the file gives.
func (p *parser) checkLanguage() {
	l := p.f.Language
	if voice.Shipped(l) || p.languageAt == nil {
		return
	}
	texts := p.f.Messages[l]
	for _, ph := range bot.Phrases {
		if _, ok := texts[ph]; !ok {
			base, _ := language.Make(l).Base()
			p.fail(p.languageAt, "language", "%q is not a language caredesk ships (%s); write %s, or give every message under messages.%s", l, strings.Join(voice.Languages(), ", "), base, l)
			return
		}
	}
}

// customers reads how caredesk speaks to customers:
//
//	customers:
//	  acknowledge: [telegram, discord, webhook:forum]   # or off
//	  acknowledge_quiet: 1h
//	  signature: true
//	  same_replies: 3
func (p *parser) customers(n *yaml.Node, path string) {
	c := &p.f.Customer
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"acknowledge": func(v *yaml.Node, path string) {
			if v.Kind == yaml.ScalarNode && off(v) {
				c.Ack = []string{}
				return
			}
			c.Ack = p.sourceList(v, path)
			for i, e := range v.Content { // each at its own line, the refused ones too
				name := strings.TrimSpace(e.Value)
				if strings.HasPrefix(name, KindFeed+":") && p.knownSource(name) {
					p.fail(v.Content[i], fmt.Sprintf("%s[%d]", path, i), "%s is a feed, which caredesk cannot write to: leave it out", name)
				}
			}
		},
		"acknowledge_quiet": func(v *yaml.Node, path string) { c.AckQuiet = p.duration(v, path) },
		"signature":         func(v *yaml.Node, path string) { c.Sign = p.flag(v, path) },
		"same_replies":      func(v *yaml.Node, path string) { c.SameReplies = p.count(v, path) },
	})
}

// messages reads the team's own words for what caredesk says to
// customers, by language and message:
//
//	messages:
//	  tr:
//	    ack: "Sağ olun {name}, mesajınız bize ulaştı. En geç {due} buradan yazıyoruz."
func (p *parser) messages(n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "expected languages with their messages, like \"tr: {ack: …}\"")
		return
	}
	if p.f.Messages == nil {
		p.f.Messages = map[string]map[bot.Phrase]string{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		lang, sub := strings.ToLower(strings.TrimSpace(k.Value)), join(path, k.Value)
		if _, err := language.Parse(lang); err != nil {
			p.fail(k, sub, "%q is not a language code: write one like tr, ro, pl, bg or en", k.Value)
			continue
		}
		if v.Kind != yaml.MappingNode {
			p.fail(v, sub, "expected messages of %s, like \"ack: …\"", lang)
			continue
		}
		texts := p.f.Messages[lang]
		if texts == nil {
			texts = map[bot.Phrase]string{}
			p.f.Messages[lang] = texts
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			mk, mv := v.Content[j], v.Content[j+1]
			phrase, text := bot.Phrase(mk.Value), strings.TrimSpace(mv.Value)
			if err := voice.Check(phrase, text); err != nil {
				p.fail(mk, join(sub, mk.Value), "%v", err)
				continue
			}
			if mv.Kind != yaml.ScalarNode {
				p.fail(mv, join(sub, mk.Value), "expected the message's text")
				continue
			}
			texts[phrase] = text
		}
		if voice.Shipped(lang) {
			continue
		}
		var missing []string
		for _, ph := range bot.Phrases {
			if _, ok := texts[ph]; !ok {
				missing = append(missing, string(ph))
			}
		}
		if len(missing) > 0 {
			p.fail(k, sub, "caredesk does not ship %s, so it needs every message; missing: %s", lang, strings.Join(missing, ", "))
		}
	}
}

// cliches reads more stock phrases by language:
//
//	cliches:
//	  tr: ["müşteri memnuniyeti önceliğimizdir"]
func (p *parser) cliches(n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "expected languages with lists of phrases, like \"tr: [\\\"…\\\"]\"")
		return
	}
	if p.f.Cliches == nil {
		p.f.Cliches = map[string][]string{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, err := language.Parse(k.Value); err != nil {
			p.fail(k, join(path, k.Value), "%q is not a language code: write one like tr, ro, pl, bg or en", k.Value)
			continue
		}
		if v.Kind != yaml.SequenceNode {
			p.fail(v, join(path, k.Value), "expected a list of phrases")
			continue
		}
		for j, s := range v.Content {
			if strings.TrimSpace(s.Value) == "" {
				p.fail(s, fmt.Sprintf("%s.%s[%d]", path, k.Value, j), "a phrase cannot be empty")
				continue
			}
			p.f.Cliches[strings.ToLower(k.Value)] = append(p.f.Cliches[strings.ToLower(k.Value)], s.Value)
		}
	}
}

// Voice is the team's voice: the shipped catalogue with the file's words.
func (f File) Voice() (*voice.Voice, error) {
	msgs := map[string]map[bot.Phrase]string{}
	for l, texts := range f.Messages {
		msgs[l] = texts
	}
	// csat's question and follow-up are the team's language's words,
	// unless messages says them too.
	for ph, text := range f.ratingWords {
		if msgs[f.Language] == nil {
			msgs[f.Language] = map[bot.Phrase]string{}
		}
		if _, set := msgs[f.Language][ph]; !set {
			msgs[f.Language][ph] = text
		}
	}
	return voice.New(voice.Options{Default: f.Language, Messages: msgs, Cliches: f.Cliches})
}
