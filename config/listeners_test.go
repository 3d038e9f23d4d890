package config_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/config"
)

func TestListeners(t *testing.T) {
	yaml := `sources:
  feed:
    - name: alerts
      url: https://www.google.com/alerts/feeds/0123/4567
      display: Google Alerts
      include: [acme, "acme bank"]
      exclude: [hiring]
      lang: [tr, en]
      skip_authors: [Acme Official]
      every: 10m
      max_age: 2d
      sla: 4h
      silence_alarm: 3d
  mastodon:
    - name: brand
      instance: https://mastodon.example/
      access_token_env: MASTODON_TOKEN
      searches: ["#acme", acme]
  bluesky:
    - name: brand
      handle: "@acme.bsky.social"
      app_password_env: BLUESKY_APP_PASSWORD
`
	env := func(k string) string {
		return map[string]string{"MASTODON_TOKEN": "masto-token-0123", "BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}[k]
	}
	f, err := config.ParseFile("caredesk.yaml", []byte(yaml), env, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Listeners) != 3 {
		t.Fatalf("listeners %+v", f.Listeners)
	}
	feed, masto, sky := f.Listeners[0], f.Listeners[1], f.Listeners[2]
	if feed.Source() != "feed:alerts" || feed.Display != "Google Alerts" || feed.Every != 10*time.Minute || feed.MaxAge != 48*time.Hour ||
		len(feed.Filter.Include) != 2 || feed.Filter.Exclude[0] != "hiring" || len(feed.Filter.Languages) != 2 ||
		feed.SkipAuthors[0] != "Acme Official" || feed.SilenceAlarm != 72*time.Hour {
		t.Errorf("feed %+v", feed)
	}
	if f.SLAFor("feed:alerts").FirstResponse != 4*time.Hour {
		t.Errorf("the feed's sla: %v", f.SLAFor("feed:alerts"))
	}
	if masto.URL != "https://mastodon.example" || masto.Token != "masto-token-0123" || masto.Every != time.Minute || masto.MaxAge != config.DefaultMaxAge ||
		masto.Display != "Mastodon" || len(masto.Searches) != 2 {
		t.Errorf("mastodon %+v", masto)
	}
	if sky.Handle != "acme.bsky.social" || sky.URL != config.DefaultBlueskyService || sky.Token != "abcd-efgh-ijkl-mnop" || sky.Display != "Bluesky" {
		t.Errorf("bluesky %+v", sky)
	}
}

func TestListenerMistakes(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"sources:\n  feed:\n    - name: alerts\n", `caredesk.yaml:3: sources.feed[0].url: a feed source needs url`},
		{"sources:\n  feed:\n    - name: alerts\n      url: feeds.example/rss\n", `caredesk.yaml:4: sources.feed[0].url: "feeds.example/rss", which is not a URL`},
		{"sources:\n  feed:\n    - url: https://x.example/rss\n", `sources.feed[0].name: a feed source needs a name`},
		{"sources:\n  feed:\n    - name: Alerts!\n      url: https://x.example/rss\n", `sources.feed[0].name: "Alerts!" cannot be a source name`},
		{"sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n    - name: a\n      url: https://y.example/rss\n", `sources.feed[1].name: "a" is used by another feed source`},
		{"sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n      every: 10s\n", `sources.feed[0].every: 10s is too often: a feed source is polled at most every 1m0s`},
		{"sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n      max_age: 60d\n", `sources.feed[0].max_age: 60d is older than caredesk remembers posts (30 days)`},
		{"sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n      include: acme\n", `sources.feed[0].include: expected a list for include`},
		{"sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n      include: [\"!!\"]\n", `caredesk.yaml:5: sources.feed[0].include[0]: include "!!" has no letter or digit`},
		{"sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n      lang: [turkish]\n", `caredesk.yaml:5: sources.feed[0].lang[0]: lang "turkish" is not a language`},
		{"sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n      searches: [x]\n", `sources.feed[0].searches: unknown setting`},
		{"sources:\n  mastodon:\n    - name: brand\n      access_token_env: MASTODON_TOKEN\n", `sources.mastodon[0].instance: a mastodon source needs instance`},
		{"sources:\n  mastodon:\n    - name: brand\n      instance: https://m.example\n", `sources.mastodon[0].access_token_env: a mastodon source needs access_token_env`},
		{"sources:\n  mastodon:\n    - name: brand\n      instance: https://m.example\n      access_token_env: UNSET_TOKEN\n", `sources.mastodon[0].access_token_env: UNSET_TOKEN is not set: put the access token`},
		{"sources:\n  bluesky:\n    - name: brand\n      app_password_env: UNSET_TOKEN\n", `sources.bluesky[0].handle: a bluesky source needs handle`},
		{"sources:\n  bluesky:\n    - name: brand\n      handle: acme.bsky.social\n", `sources.bluesky[0].app_password_env: a bluesky source needs app_password_env`},
		{"sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n      include: []\n", `sources.feed[0].include: the list is empty: write at least one, or leave include out`},
		{"sources:\n  mastodon:\n    - name: brand\n      instance: https://m.example\n      access_token_env: T\n      searches:\n        - \"\"\n        - \"#\"\n", `caredesk.yaml:8: sources.mastodon[0].searches[1]: "#" is not a search`},
		{"sla:\n  sources:\n    rss:alerts: {first_response: 1h}\n", `"rss:alerts" is not a source: write telegram, discord, webhook:NAME, feed:NAME, mastodon:NAME or bluesky:NAME`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, err := config.ParseFile("caredesk.yaml", []byte(tc.yaml), func(string) string { return "" }, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant it to say %s", err, tc.want)
			}
		})
	}
}

// TestBadAddressSaidOnce: an address that is wrong is told once, where
// it is, not again as missing.
func TestBadAddressSaidOnce(t *testing.T) {
	for _, yaml := range []string{
		"sources:\n  mastodon:\n    - name: brand\n      instance: https://mastodon.social/@acme\n      access_token_env: T\n",
		"sources:\n  feed:\n    - name: a\n      url: ftp://x.example/rss\n",
	} {
		_, err := config.ParseFile("caredesk.yaml", []byte(yaml), func(string) string { return "token-0123456789" }, time.Hour)
		if err == nil || strings.Contains(err.Error(), "needs") || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%q: %v; want one line, about the address", yaml, err)
		}
	}
}

// TestListedSourceNamedWhereItIs: a listened source refused in csat or
// customers.acknowledge is named at its own line, after a mistake.
func TestListedSourceNamedWhereItIs(t *testing.T) {
	yaml := "sources:\n  feed:\n    - name: alerts\n      url: https://x.example/rss\ncsat:\n  sources:\n    - whatsapp\n    - feed:alerts\n"
	_, err := config.ParseFile("caredesk.yaml", []byte(yaml), func(string) string { return "" }, time.Hour)
	for _, want := range []string{`caredesk.yaml:7: csat.sources[0]: "whatsapp" is not a source`, `caredesk.yaml:8: csat.sources[1]: feed:alerts cannot be asked how it went`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v\nwant it to say %s", err, want)
		}
	}
}
