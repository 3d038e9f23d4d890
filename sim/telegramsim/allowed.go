package telegramsim

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// notByDefault are the kinds of update Telegram sends only to a bot that
// names them in allowed_updates.
var notByDefault = []string{"chat_member", "message_reaction", "message_reaction_count"}

// AllowedUpdates returns the kinds of update the bot last asked for with
// allowed_updates (getUpdates or setWebhook), nil for Telegram's default:
// every kind but chat_member, message_reaction and message_reaction_count.
// Telegram keeps the setting across calls that leave the parameter out.
func (s *Server) AllowedUpdates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.allowed)
}

// SetAllowedUpdates sets allowed_updates as an earlier program with the
// same bot token would have: updates of other kinds are not made until the
// bot asks for them. nil restores Telegram's default.
func (s *Server) SetAllowedUpdates(kinds []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowed = slices.Clone(kinds)
}

// allowLocked applies a call's allowed_updates parameter: left out (or
// null) keeps the setting, an empty list restores the default. It affects
// updates made after the call, as in Telegram.
func (s *Server) allowLocked(p map[string]string) error {
	raw := strings.TrimSpace(p["allowed_updates"])
	if raw == "" || raw == "null" {
		return nil
	}
	var kinds []string
	if json.Unmarshal([]byte(raw), &kinds) != nil {
		return errors.New("can't parse allowed updates: must be an Array of Strings")
	}
	s.allowed = nil
	if len(kinds) > 0 {
		s.allowed = kinds
	}
	return nil
}

// wantsLocked reports whether the bot's allowed_updates take update u.
func (s *Server) wantsLocked(u map[string]any) bool {
	for kind := range u {
		if kind == "update_id" {
			continue
		}
		if s.allowed == nil {
			return !slices.Contains(notByDefault, kind)
		}
		return slices.Contains(s.allowed, kind)
	}
	return true
}
