package config_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/config"
)

// TestReview2FilterEntryNamedWhereItIs: "the file names each wrong
// include/exclude/lang entry with its own line". filterWords checks the
// entries wordList kept but names them by their index in that shorter
// list: after an empty entry, the next wrong one is blamed on the entry
// (and line) before it, which is then named twice, and the wrong one's
// own line is never said.
func TestReview2FilterEntryNamedWhereItIs(t *testing.T) {
	for _, tc := range []struct {
		name, list string
		want       []string // each must be said
		wrong      string   // must not be said
	}{
		{"include", "      include:\n        - \"\"\n        - \"!!\"\n",
			[]string{`caredesk.yaml:6: sources.feed[0].include[0]: expected a word or a phrase here`, `caredesk.yaml:7: sources.feed[0].include[1]: include "!!" has no letter or digit`},
			`include[0]: include "!!"`},
		{"lang", "      lang:\n        - \"  \"\n        - tr\n        - turkish\n",
			[]string{`caredesk.yaml:8: sources.feed[0].lang[2]: lang "turkish" is not a language`},
			`lang[1]: lang "turkish"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := "sources:\n  feed:\n    - name: a\n      url: https://x.example/rss\n" + tc.list
			_, err := config.ParseFile("caredesk.yaml", []byte(yaml), func(string) string { return "" }, time.Hour)
			if err == nil {
				t.Fatal("the file was taken")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the file's check said\n%v\nwant it to say %s", err, w)
				}
			}
			if strings.Contains(err.Error(), tc.wrong) {
				t.Errorf("the file's check said\n%v\nwhich blames the wrong entry (%s)", err, tc.wrong)
			}
		})
	}
}

// TestReview2SettingsThatCanNeverHappen: csat.sources and
// customers.acknowledge now take listened sources, but the core never
// asks a listened source for a rating (rating.go: !t.listened()) and
// never acknowledges on a feed (ownWordsHeld): the file accepts a
// setting that silently does nothing. It should say so, as it says an
// unknown source.
func TestReview2SettingsThatCanNeverHappen(t *testing.T) {
	listeners := "sources:\n  feed:\n    - name: alerts\n      url: https://x.example/rss\n" +
		"  mastodon:\n    - name: brand\n      instance: https://m.example\n      access_token_env: T\n" +
		"  bluesky:\n    - name: brand\n      handle: acme.bsky.social\n      app_password_env: T\n"
	getenv := func(k string) string {
		if k == "T" {
			return "token-0123456789"
		}
		return ""
	}
	if _, err := config.ParseFile("caredesk.yaml", []byte(listeners+"csat:\n  sources: [telegram]\n"), getenv, time.Hour); err != nil {
		t.Fatalf("the file without the setting: %v", err)
	}
	for _, tc := range []struct{ name, yaml string }{
		{"csat on a Mastodon source", "csat:\n  sources: [telegram, mastodon:brand]\n"},
		{"csat on a Bluesky source", "csat:\n  sources: [bluesky:brand]\n"},
		{"csat on a feed", "csat:\n  sources: [feed:alerts]\n"},
		{"acknowledgement on a feed", "customers:\n  acknowledge: [feed:alerts]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.ParseFile("caredesk.yaml", []byte(listeners+tc.yaml), getenv, time.Hour)
			if err == nil {
				t.Errorf("the file was taken with\n%swhich caredesk can never do", tc.yaml)
			}
		})
	}
}
