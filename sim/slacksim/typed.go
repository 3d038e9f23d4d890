package slacksim

import (
	"regexp"
	"strings"
)

var (
	typedLink    = regexp.MustCompile(`https?://[^\s<>|]+`)
	typedMention = regexp.MustCompile(`@([A-Za-z0-9._-]+)`)
	escapeTyped  = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
)

// typedLocked turns what a person typed into the text Slack delivers to
// apps: &, <, > become entities; links are wrapped in angle brackets;
// "@here", "@channel", "@everyone" become <!here>…; "@name" of a known
// user becomes <@ID> (<@ID|name> in an escaped slash command, withNames).
// The caller holds s.mu.
func (s *Server) typedLocked(text string, withNames bool) string {
	text = escapeTyped.Replace(text)
	text = typedLink.ReplaceAllStringFunc(text, func(u string) string { return "<" + u + ">" })
	return typedMention.ReplaceAllStringFunc(text, func(word string) string {
		name := word[1:]
		switch name {
		case "here", "channel", "everyone":
			return "<!" + name + ">"
		}
		for id, n := range s.users {
			if n == name {
				if withNames {
					return "<@" + id + "|" + name + ">"
				}
				return "<@" + id + ">"
			}
		}
		return word
	})
}
