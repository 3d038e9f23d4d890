package slacksim_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"caredesk/sim/slacksim"
)

// TestScopesHeader: every Web API answer names the token's scopes in
// X-OAuth-Scopes, as Slack's do, without those revoked.
func TestScopesHeader(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	scopes := func() []string {
		t.Helper()
		resp, err := http.PostForm(s.APIURL()+"auth.test", url.Values{"token": {s.Options().BotToken}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return strings.Split(resp.Header.Get("X-OAuth-Scopes"), ",")
	}
	if got := scopes(); !slices.Contains(got, "files:read") || !slices.Contains(got, "chat:write") {
		t.Errorf("X-OAuth-Scopes is %v, want the manifest's scopes", got)
	}
	s.RevokeScope("files:read")
	if got := scopes(); slices.Contains(got, "files:read") || !slices.Contains(got, "chat:write") {
		t.Errorf("after RevokeScope(files:read), X-OAuth-Scopes is %v", got)
	}
	s.GrantScope("files:read")
	if got := scopes(); !slices.Contains(got, "files:read") {
		t.Errorf("after GrantScope(files:read), X-OAuth-Scopes is %v", got)
	}
}
