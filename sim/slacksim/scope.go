package slacksim

import (
	"slices"
	"strings"
)

// scopes are the bot token scopes the simulated app holds at start: those
// of caredesk's slack-app-manifest.yaml, and files:read, which reading the
// files people share needs, so that a test which revokes one sees what a
// workspace whose app was installed without it would answer.
var scopes = []string{
	"chat:write", "commands", "channels:history", "groups:history", "channels:read", "groups:read",
	"reactions:read", "reactions:write", "users:read", "im:write", "files:write", "files:read",
}

// methodScopes are the scopes each Web API method needs, any one of them
// sufficing (a public or a private channel's), as Slack's method pages
// list them. Methods not named need none.
var methodScopes = map[string][]string{
	"chat.postMessage":             {"chat:write"},
	"chat.update":                  {"chat:write"},
	"chat.postEphemeral":           {"chat:write"},
	"reactions.add":                {"reactions:write"},
	"users.info":                   {"users:read"},
	"conversations.info":           {"channels:read", "groups:read", "im:read", "mpim:read"},
	"conversations.history":        {"channels:history", "groups:history", "im:history", "mpim:history"},
	"conversations.replies":        {"channels:history", "groups:history", "im:history", "mpim:history"},
	"conversations.open":           {"im:write", "mpim:write"},
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"files.info":                   {"files:read"},
}

// RevokeScope takes scope (such as "files:write") from the app, as a
// workspace does whose app was installed before the scope was added to
// its manifest: every method that needs it answers missing_scope, naming
// the scope needed and those provided, until GrantScope. Without
// files:read, files' addresses send the bot to the sign-in page too.
func (s *Server) RevokeScope(scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[scope] = true
}

// GrantScope gives scope back, as reinstalling the app does.
func (s *Server) GrantScope(scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.revoked, scope)
}

// scopeErrorLocked returns Slack's missing_scope answer when method needs
// a scope the app does not hold, or nil. The caller holds s.mu.
func (s *Server) scopeErrorLocked(method string) map[string]any {
	needed := methodScopes[method]
	if len(needed) == 0 || slices.ContainsFunc(needed, func(sc string) bool { return s.grantedLocked(sc) }) {
		return nil
	}
	answer := fail("missing_scope")
	answer["needed"], answer["provided"] = strings.Join(needed, ","), strings.Join(s.grantedScopesLocked(), ",")
	return answer
}

// grantedScopesLocked are the scopes the app holds, as Slack lists them in
// missing_scope's "provided" and the X-OAuth-Scopes header of every Web
// API answer. The caller holds s.mu.
func (s *Server) grantedScopesLocked() []string {
	var granted []string
	for _, sc := range scopes {
		if s.grantedLocked(sc) {
			granted = append(granted, sc)
		}
	}
	return granted
}

// grantedLocked reports whether the app holds scope. Only the manifest's
// scopes are ever granted. The caller holds s.mu.
func (s *Server) grantedLocked(scope string) bool {
	return slices.Contains(scopes, scope) && !s.revoked[scope]
}
