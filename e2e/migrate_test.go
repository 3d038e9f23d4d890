package e2e_test

import (
	"os/exec"
	"strings"
	"testing"
)

// migrate runs caredesk migrate with env and the given flags, and returns
// its output and exit code.
func migrate(t *testing.T, env map[string]string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"migrate"}, args...)...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		exit, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("caredesk migrate: %v", err)
		}
		return string(out), exit.ExitCode()
	}
	return string(out), 0
}

// TestMigrateToPostgres: a desk that ran on SQLite moves to PostgreSQL
// with caredesk migrate and goes on there: the customer's next message
// joins the same thread, and a new complaint gets the next number. The
// move is refused while a caredesk runs on either side, and a second move
// once it is done.
func TestMigrateToPostgres(t *testing.T) {
	db := postgresDatabase(t)
	r := newRig(t, rigOptions{})
	r.start()
	jane := customer(4242, "Jane", "jane_doe")
	r.tg.CustomerWrites(jane.ID, jane, "My order #5521 never arrived")
	r.wait("the thread", func() bool { return len(r.roots()) == 1 })
	thread := r.root(1).TS
	r.command("UALICE", "alice", "claim 1")
	r.post("UALICE", thread, "So sorry! A new parcel leaves today.")
	r.wait("the reply on Telegram", func() bool { return len(r.sentTo(jane.ID)) == 1 })

	file := r.env["CAREDESK_DB"]
	env := map[string]string{"CAREDESK_DB": file}
	if out, code := migrate(t, env, "--to", db); code != 1 || !strings.Contains(out, "another caredesk is using this database: pid") {
		t.Errorf("migrate beside a running caredesk: exit %d\n%s\nwant exit 1 and a refusal", code, out)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("caredesk on SQLite did not stop cleanly: %v", err)
	}

	out, code := migrate(t, env, "--to", db)
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	for _, want := range []string{"Counted in both and compared row by row before the commit:", "The next ticket will be #2.",
		"No file's bytes are kept, so there were none to copy.", "start caredesk with CAREDESK_DB set to the URL"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate's report lacks %q:\n%s", want, out)
		}
	}

	// No CAREDESK_FILES_DIR: on PostgreSQL the files are in the database.
	r.env["CAREDESK_DB"] = db
	r.start()
	if out, code := migrate(t, env, "--to", db); code != 1 || !strings.Contains(out, "another caredesk is using this database; stop every caredesk on it first") {
		t.Errorf("migrate into a database a caredesk runs on: exit %d\n%s\nwant exit 1 and a refusal", code, out)
	}
	r.tg.CustomerWrites(jane.ID, jane, "Thanks, got the tracking number!")
	r.wait("the thanks in the old thread", func() bool { return threadHas(r, thread, "got the tracking number") })
	bob := customer(77, "Bob", "bob")
	r.tg.CustomerWrites(bob.ID, bob, "My refund is late")
	// Ticket #2: the numbering went on. (Not r.root, which counts the
	// roots this process posted.)
	r.wait("ticket #2's thread", func() bool {
		for _, m := range r.roots() {
			if strings.Contains(m.Rendered(), "#2 · ") {
				return true
			}
		}
		return false
	})
	if err := r.stop(); err != nil {
		t.Fatalf("caredesk on PostgreSQL did not stop cleanly: %v", err)
	}

	out, code = migrate(t, env, "--to", db)
	if code != 1 || !strings.Contains(out, "holds 2 rows of tickets") || !strings.Contains(out, "changed nothing") {
		t.Errorf("a second move: exit %d\n%s\nwant exit 1 and a refusal", code, out)
	}
}
