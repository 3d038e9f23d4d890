package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"caredesk/bot"
	"caredesk/voice"
)

// csat reads how customers are asked how it went:
//
//	csat:
//	  enabled: true
//	  delay: 10m
//	  sources: [telegram, webhook:twitter]
//	  question: "How did we do? Tap a number: 1 is bad, 5 is great."
//	  low: 2
//	  follow_up: "Sorry it was not better…"
//	  comment_window: 24h
func (p *parser) csat(n *yaml.Node, path string) {
	r := &p.f.Rating
	enabled := true
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"enabled": func(v *yaml.Node, path string) { enabled = p.flag(v, path) },
		"delay":   func(v *yaml.Node, path string) { r.Delay = p.duration(v, path) },
		"question": func(v *yaml.Node, path string) {
			r.Question = p.text(v, path, 1, 300)
			p.rating(v, path, bot.SayRating, r.Question)
		},
		"follow_up": func(v *yaml.Node, path string) {
			r.FollowUp = p.text(v, path, 0, 1000)
			p.rating(v, path, bot.SayFollowUp, r.FollowUp)
		},
		"comment_window": func(v *yaml.Node, path string) { r.CommentWindow = p.duration(v, path) },
		"low": func(v *yaml.Node, path string) {
			if r.Low = p.count(v, path); r.Low > 4 {
				p.fail(v, path, "%q is not a score from 0 to 4: the scores up to it count as low (0: none)", v.Value)
			}
		},
		"sources": func(v *yaml.Node, path string) {
			r.Sources = p.sourceList(v, path)
			for i, e := range v.Content { // each at its own line, the refused ones too
				name := strings.TrimSpace(e.Value)
				if kind, _, _ := strings.Cut(name, ":"); (kind == KindFeed || kind == KindMastodon || kind == KindBluesky) && p.knownSource(name) {
					p.fail(v.Content[i], fmt.Sprintf("%s[%d]", path, i), "%s cannot be asked how it went: a %s post has no way to give a score, so caredesk never asks there; leave it out", name, kind)
				}
			}
		},
	})
	if !enabled {
		r.Question = ""
	}
}

// sourceList reads a list of sources' names, like [telegram, discord,
// webhook:twitter]; never nil, so that an empty list means none.
func (p *parser) sourceList(v *yaml.Node, path string) []string {
	names := []string{}
	if v.Kind != yaml.SequenceNode {
		p.fail(v, path, "expected a list of sources, like [telegram, discord, webhook:twitter]")
		return names
	}
	for i, s := range v.Content {
		name := strings.TrimSpace(s.Value)
		if !p.knownSource(name) {
			p.fail(s, fmt.Sprintf("%s[%d]", path, i), "%q is not a source: write telegram, discord, or webhook:NAME, feed:NAME, mastodon:NAME or bluesky:NAME with the name of a source of this file", s.Value)
			continue
		}
		names = append(names, name)
	}
	return names
}

// knownSource reports whether name can be a source's name: Telegram and
// Discord depend on the environment, webhook sources and listeners on
// this file.
func (p *parser) knownSource(name string) bool {
	if name == "telegram" || name == "discord" {
		return true
	}
	hook, ok := strings.CutPrefix(name, "webhook:")
	for _, w := range p.f.Webhooks {
		if ok && w.Name == hook {
			return true
		}
	}
	for _, l := range p.f.Listeners {
		if l.Source() == name {
			return true
		}
	}
	return false
}

// reports reads when the desk posts its digests:
//
//	reports:
//	  weekly_digest: "mon 09:00"   # or off
//	  monthly_digest: "09:00"      # on the 1st; off by default
func (p *parser) reports(n *yaml.Node, path string) {
	d := &p.f.Digest
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"weekly_digest": func(v *yaml.Node, path string) {
			if d.Weekly = !off(v); d.Weekly {
				d.Day, d.Minute = p.dayTime(v, path)
			}
		},
		"monthly_digest": func(v *yaml.Node, path string) {
			if d.Monthly = !off(v); !d.Monthly {
				return
			}
			m, ok := minutes(v.Value)
			if !ok || m >= 24*60 {
				p.fail(v, path, `%q is not a time of day: write it like "09:00", or off`, v.Value)
			}
			d.MonthlyMinute = m
		},
	})
}

// off reports whether a setting is switched off ("off", "false", "no").
func off(v *yaml.Node) bool {
	switch strings.ToLower(strings.TrimSpace(v.Value)) {
	case "off", "false", "no":
		return true
	}
	return false
}

func (p *parser) flag(v *yaml.Node, path string) bool {
	switch strings.ToLower(strings.TrimSpace(v.Value)) {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	p.fail(v, path, "%q is not true or false", v.Value)
	return false
}

// text reads a sentence of between least and most characters.
func (p *parser) text(v *yaml.Node, path string, least, most int) string {
	s := strings.TrimSpace(v.Value)
	if v.Kind != yaml.ScalarNode || len([]rune(s)) < least || len([]rune(s)) > most {
		p.fail(v, path, "expected text of %d to %d characters", least, most)
		return ""
	}
	return s
}

// rating keeps csat's words as the team's language's message.
func (p *parser) rating(v *yaml.Node, path string, ph bot.Phrase, text string) {
	if text == "" {
		return
	}
	if err := voice.Check(ph, text); err != nil {
		p.fail(v, path, "%v", err)
		return
	}
	if p.f.ratingWords == nil {
		p.f.ratingWords = map[bot.Phrase]string{}
	}
	p.f.ratingWords[ph] = text
}
