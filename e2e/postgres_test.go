package e2e_test

import (
	"os/exec"
	"strings"
	"testing"

	"caredesk/store/postgres/pgtest"
)

// postgresDatabase creates an empty PostgreSQL database for one test,
// dropped when it ends, and returns its URL; without CAREDESK_TEST_POSTGRES
// the test is skipped with how to run it.
func postgresDatabase(tb testing.TB) string {
	tb.Helper()
	_, url := pgtest.Database(tb)
	return url
}

// TestOnPostgres: caredesk with CAREDESK_DB=postgres://… files a complaint,
// delivers the owner's reply once, survives kill -9, and a second
// caredesk under the same replica name is refused with a sentence.
func TestOnPostgres(t *testing.T) {
	db := postgresDatabase(t)
	r := newRig(t, rigOptions{env: map[string]string{"CAREDESK_DB": db, "CAREDESK_REPLICA": "care-1"}})
	r.start()
	jane := customer(4242, "Jane", "jane_doe")
	r.tg.CustomerWrites(jane.ID, jane, "My order #5521 never arrived")
	r.wait("the thread", func() bool { return len(r.roots()) == 1 })
	thread := r.root(1).TS
	r.command("UALICE", "alice", "claim 1")
	r.post("UALICE", thread, "So sorry! A new parcel leaves today.")
	r.wait("the reply on Telegram", func() bool { return len(r.sentTo(jane.ID)) == 1 })

	second := newRig(t, rigOptions{env: map[string]string{"CAREDESK_DB": db, "CAREDESK_REPLICA": "care-1"}})
	cmd := exec.Command(binary)
	for k, v := range second.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another caredesk runs as replica care-1 on this database; give each replica its own CAREDESK_REPLICA") {
		t.Errorf("a second caredesk named as the first: %v\n%s\nwant a refusal that says why", err, out)
	}

	r.kill9()
	r.start()
	r.tg.CustomerWrites(jane.ID, jane, "Thanks!")
	r.wait("the thanks in the thread", func() bool { return threadHas(r, thread, "Thanks!") })
	if n := len(r.roots()); n != 1 {
		t.Errorf("%d ticket roots after the restart, want 1", n)
	}
	if got := r.sentTo(jane.ID); len(got) != 1 {
		t.Errorf("Jane received %q, want the reply once", got)
	}
}
