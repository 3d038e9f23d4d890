package config_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/config"
)

// TestReviewListenerMistakesAtTheFile: the file check is where a mistake
// is told with its file, line and key. These are accepted by it today and
// only refused when caredesk starts (mastodon.New) or, for the handle,
// never: the health board then blames the app password.
func TestReviewListenerMistakesAtTheFile(t *testing.T) {
	env := func(k string) string { return map[string]string{"T": "token-0123456789"}[k] }
	for _, tc := range []struct{ name, yaml, want string }{
		{"a profile's address for instance",
			"sources:\n  mastodon:\n    - name: brand\n      instance: https://mastodon.example/@acme\n      access_token_env: T\n",
			"sources.mastodon[0].instance"},
		{"an empty hashtag",
			"sources:\n  mastodon:\n    - name: brand\n      instance: https://mastodon.example\n      access_token_env: T\n      searches: [\"#\"]\n",
			"sources.mastodon[0].searches"},
		{"a handle that is no handle",
			"sources:\n  bluesky:\n    - name: brand\n      handle: acme bank!\n      app_password_env: T\n",
			"sources.bluesky[0].handle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.ParseFile("caredesk.yaml", []byte(tc.yaml), env, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
