package health_test

import (
	"strings"
	"testing"
	"time"
)

// TestReview2SilentListenerNews: a listener past its silence_alarm
// (listeners.go watches it as it watches a bridge) is announced as if it
// were a webhook bridge: "check that the bridge runs and that it can
// reach caredesk's /hooks/feed:forum". Nothing posts to caredesk for a
// listener — there is no bridge and no /hooks/ address to check; caredesk
// polls the feed or the account itself.
func TestReview2SilentListenerNews(t *testing.T) {
	for _, tc := range []struct{ source, display string }{
		{"feed:forum", "forum.example (feed:forum)"},
		{"mastodon:brand", "Mastodon (mastodon:brand)"},
		{"bluesky:brand", "Bluesky (bluesky:brand)"},
	} {
		t.Run(tc.source, func(t *testing.T) {
			f := newFixture(t)
			p := f.board.Source(tc.source, tc.display)
			p.WarnOnly()
			p.WatchSilence(3 * time.Hour)
			p.Report(true, "")
			f.after(3*time.Hour + time.Minute)
			got := f.ch.said()
			if len(got) != 1 {
				t.Fatalf("after its silence_alarm the channel was told %q, want one announcement", got)
			}
			if !strings.Contains(got[0], "has sent no complaint for 3h") {
				t.Errorf("announced %q, want the silence named", got[0])
			}
			for _, wrong := range []string{"bridge", "/hooks/"} {
				if strings.Contains(got[0], wrong) {
					t.Errorf("announced %q: a listener has no %s", got[0], wrong)
				}
			}
		})
	}
}
