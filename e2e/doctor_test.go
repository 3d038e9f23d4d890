package e2e_test

import (
	"os/exec"
	"strings"
	"testing"
)

// doctor runs caredesk doctor with env, and returns its stdout, stderr and
// exit code.
func doctor(t *testing.T, env map[string]string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, "doctor")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errs strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		exit, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("caredesk doctor: %v", err)
		}
		return out.String(), errs.String(), exit.ExitCode()
	}
	return out.String(), errs.String(), 0
}

// TestDoctorBesideCaredesk runs `caredesk doctor` on the set-up of a
// caredesk that is serving: every check passes, the database it holds is
// skipped, and it goes on serving. With a scope taken from the Slack app,
// doctor says which, and exits 1.
func TestDoctorBesideCaredesk(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	out, errs, code := doctor(t, r.env)
	if code != 0 || errs != "" {
		t.Fatalf("doctor exited %d, want 0:\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"ok   the settings and CAREDESK_CONFIG load\n",
		"skip the database CAREDESK_DB opens, is up to date and takes writes: a running caredesk has it open;",
		"ok   Slack: SLACK_BOT_TOKEN works\n",
		"ok   Slack: the app has every scope caredesk uses\n",
		"ok   Telegram: TELEGRAM_BOT_TOKEN works\n",
		"ok   Telegram: the bot's webhook suits long polling\n",
		"ok   the clock agrees with the networks' (within a minute)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the checklist lacks %q:\n%s", want, out)
		}
	}

	r.slack.RevokeScope("im:write")
	out, _, code = doctor(t, r.env)
	if want := "FAIL Slack: the app has every scope caredesk uses: the app lacks im:write: add it under Bot Token Scopes"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("doctor exited %d with\n%s\nwant 1 and %q", code, out, want)
	}

	// The caredesk beside it still takes complaints.
	jane := customer(4242, "Jane", "jane_doe")
	r.tg.CustomerWrites(jane.ID, jane, "Is anyone there?")
	r.wait("the thread", func() bool { return len(r.roots()) == 1 })
}
