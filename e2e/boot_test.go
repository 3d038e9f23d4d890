package e2e_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"caredesk/sim/slacksim"
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

// TestRejectedTokenLeavesNoDatabase: a first start that Slack refuses
// (a wrong token) stops with its sentence, exit 2, and leaves no database file or
// files folder behind; the start after the token is mended is a first
// start, and serves.
func TestRejectedTokenLeavesNoDatabase(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.slack.FailNext("auth.test", 1, slacksim.SlackError("invalid_auth"))
	out, err := r.failsToStart()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(out, "caredesk cannot start:\nSlack rejected SLACK_BOT_TOKEN (invalid_auth)") {
		t.Fatalf("caredesk with a rejected token: %v, want exit 2 with the sentence\n%s", err, out)
	}
	db := r.env["CAREDESK_DB"]
	for _, p := range []string{db, db + "-wal", db + "-shm", filepath.Join(filepath.Dir(db), "caredesk-files")} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is left behind by the refused start (%v)", p, err)
		}
	}
	r.start()
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the database after a start that serves: %v", err)
	}
}

// TestStoppedWhileWaitingAtStart: SIGTERM while caredesk waits for a
// network at start is a stop asked for: exit 0.
func TestStoppedWhileWaitingAtStart(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.slack.SetDown(true)
	r.launch()
	r.waitLog("a network cannot be reached at start; caredesk tries again")
	if err := r.stop(); err != nil {
		t.Errorf("SIGTERM while waiting for Slack at start: %v, want exit 0", err)
	}
}
