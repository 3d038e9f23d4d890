package e2e_test

import (
	"strings"
	"testing"
)

// TestSlackAwayAtStart: Slack answers 503 when caredesk starts (an outage,
// a proxy still starting). caredesk says so and tries again, instead of
// exiting and crash-looping; once Slack is back it serves, and a
// complaint becomes a thread.
func TestSlackAwayAtStart(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.slack.SetDown(true)
	r.launch()
	r.waitLog("a network cannot be reached at start; caredesk tries again")
	select {
	case err := <-r.exit:
		r.cmd = nil
		t.Fatalf("caredesk exited while Slack was away: %v", err)
	default:
	}
	r.slack.SetDown(false)
	r.healthy()
	jane := customer(4201, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "My parcel never came")
	r.wait("the complaint's thread", func() bool { return len(r.roots()) == 1 })
	if !strings.Contains(r.logs.String(), "503") {
		t.Errorf("the log does not say what Slack answered:\n%s", r.logs.String())
	}
}
