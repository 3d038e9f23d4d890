package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dutyFile is a team that is never in business hours (every day closed),
// so every complaint goes to the person on duty, with escalation in
// seconds so the test sees it happen.
func dutyFile(t *testing.T) string {
	t.Helper()
	yaml := `timezone: Europe/Istanbul
business_hours:
  mon-sun: closed
sla:
  first_response: 1h
escalation:
  unclaimed_after: 1s
  backup_after: 1h
  lead: ULEAD
people:
  UALICE: alice
  UBOB: bob
rota:
  rotations:
    - name: everyone
      length: daily
      handover: "09:00"
      start: 2026-01-01
      members: [UALICE, UBOB]
`
	path := filepath.Join(t.TempDir(), "caredesk.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOnCall: out of hours a complaint pages whoever is on duty at once, in
// the thread and privately; unclaimed, it escalates once, even across a
// kill -9; the rota, the SLA list and the calendar feed answer.
func TestOnCall(t *testing.T) {
	r := newRig(t, rigOptions{env: map[string]string{
		"CAREDESK_CONFIG":    dutyFile(t),
		"CAREDESK_TICK":      "100ms",
		"CAREDESK_ICS_TOKEN": "e2e-calendar-token-0123",
	}})
	r.start()
	rota := r.command("UCAROL", "carol", "rota")
	onDuty := "UALICE"
	if strings.Contains(rota, "On duty now: <@UBOB>") {
		onDuty = "UBOB"
	}
	if !strings.Contains(rota, "Out of hours until") || !strings.Contains(rota, "On duty now: <@"+onDuty+"> (primary)") {
		t.Fatalf("/desk rota answered:\n%s", rota)
	}

	jane := customer(91, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "Locked out of my account")
	r.wait("the page to whoever is on duty", func() bool {
		return len(r.slack.DirectMessages(onDuty)) >= 1 && len(r.roots()) == 1
	})
	root := r.root(1)
	r.wait("the escalation after a second unclaimed", func() bool {
		for _, m := range r.slack.Thread(root.TS) {
			if strings.Contains(m.Text, "has waited") {
				return true
			}
		}
		return false
	})
	// Killed and restarted, the scheduler does not page again for what
	// already fired.
	r.kill9()
	r.start()
	if got := r.command("UCAROL", "carol", "sla"); !strings.Contains(got, "1 waiting for a first answer, 0 past the target") || !strings.Contains(got, "#1 Telegram, Jane") {
		t.Errorf("/desk sla answered:\n%s", got)
	}
	r.command(onDuty, "", "claim 1")
	r.command(onDuty, "", "reply 1 We unlocked it.")
	r.wait("the answer", func() bool { return len(r.sentTo(jane.ID)) == 1 })
	pages := 0
	for _, m := range r.slack.Thread(root.TS) {
		if strings.Contains(m.Text, "has waited") {
			pages++
		}
	}
	if pages != 1 {
		t.Errorf("the escalation was posted %d times, want once", pages)
	}

	if status := getStatus(t, r.base+"/rota.ics"); status != 401 {
		t.Errorf("/rota.ics without the token: %d, want 401", status)
	}
	feed := get(t, r.base+"/rota.ics?token=e2e-calendar-token-0123")
	for _, want := range []string{"BEGIN:VCALENDAR", "SUMMARY:On call (primary): alice", "SUMMARY:On call (primary): bob"} {
		if !strings.Contains(feed, want) {
			t.Errorf("the calendar feed lacks %q:\n%s", want, feed)
		}
	}
}
