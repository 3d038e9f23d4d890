package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/store/sqlite"
)

// runToExit runs caredesk with env and returns its exit code and output; it
// fails the test if caredesk is still running after 20 s. cred, when not
// nil, is the user it runs as.
func runToExit(t *testing.T, env map[string]string, cred *syscall.Credential) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("caredesk was still running after 20 s; it should have refused to start:\n%s", out.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run caredesk: %v", err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// TestSecondCopyIsRefused: a forgotten old process or a second container on
// the same volume would deliver the outbox twice. The second one exits,
// saying which database and who holds it; the first goes on alone.
func TestSecondCopyIsRefused(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()

	env := map[string]string{}
	for k, v := range r.env {
		env[k] = v
	}
	env["CAREDESK_ADDR"] = freeAddr(t)
	code, out := runToExit(t, env, nil)
	host, _ := os.Hostname()
	if code == 0 {
		t.Errorf("the second caredesk exited 0:\n%s", out)
	}
	for _, want := range []string{r.env["CAREDESK_DB"], "another caredesk", fmt.Sprintf("pid %d", r.cmd.Process.Pid), host, "since", "Stop that one first"} {
		if !strings.Contains(out, want) {
			t.Errorf("the second caredesk's refusal does not say %q:\n%s", want, out)
		}
	}

	for i := range 5 {
		r.tg.CustomerWrites(int64(100+i), customer(int64(100+i), "Ada", ""), fmt.Sprintf("complaint %d", i))
	}
	r.wait("five roots", func() bool { return len(r.roots()) >= 5 })
	r.recorded(5)
	if got := len(r.roots()); got != 5 {
		t.Errorf("%d roots for 5 complaints, want 5", got)
	}

	// Customer data is for caredesk's user only.
	for _, name := range []string{r.env["CAREDESK_DB"], r.env["CAREDESK_DB"] + "-wal"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", filepath.Base(name), perm)
		}
	}

	// Once the first is gone, the next starts on the same file.
	if err := r.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	r.start()
}

// TestUnusableDatabaseIsRefusedAtStart: a file caredesk cannot use stops it
// at start with a sentence that says what to do, rather than serving with
// every write failing.
func TestUnusableDatabaseIsRefusedAtStart(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string) *syscall.Credential
		want    []string
	}{
		{"empty file", func(t *testing.T, path string) *syscall.Credential {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return nil
		}, []string{"0 bytes", "CAREDESK_DB_ALLOW_EMPTY=true", "backup"}},
		{"damaged pages behind an intact header", func(t *testing.T, path string) *syscall.Credential {
			damage(t, path)
			return nil
		}, []string{"damaged", "backup", ".recover"}},
		{"read-only file", func(t *testing.T, path string) *syscall.Credential {
			newDatabase(t, path, 1)
			if err := os.Chmod(path, 0o444); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(path + ".lock"); err != nil { // root's, from newDatabase
				t.Fatal(err)
			}
			if os.Geteuid() != 0 {
				return nil
			}
			// root writes whatever the mode says: run as nobody, who can
			// reach the binary and the folder but only read the file.
			for _, dir := range []string{filepath.Dir(binary), filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
				if err := os.Chmod(dir, 0o777); err != nil {
					t.Fatal(err)
				}
			}
			return &syscall.Credential{Uid: 65534, Gid: 65534}
		}, []string{"cannot write the database", "writable by the user caredesk runs as"}},
		{"read-only folder", func(t *testing.T, path string) *syscall.Credential {
			newDatabase(t, path, 1)
			if os.Geteuid() != 0 {
				if err := os.Chmod(filepath.Dir(path), 0o555); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(filepath.Dir(path), 0o755) })
				return nil
			}
			for _, dir := range []string{filepath.Dir(binary), filepath.Dir(filepath.Dir(path))} {
				if err := os.Chmod(dir, 0o777); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(filepath.Dir(path), 0o555); err != nil {
				t.Fatal(err)
			}
			return &syscall.Credential{Uid: 65534, Gid: 65534}
		}, []string{"cannot write its lock file", "writable by the user caredesk runs as"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			path := r.env["CAREDESK_DB"]
			cred := tt.prepare(t, path)
			code, out := runToExit(t, r.env, cred)
			if code == 0 {
				t.Errorf("caredesk exited 0:\n%s", out)
			}
			for _, want := range append([]string{path}, tt.want...) {
				if !strings.Contains(out, want) {
					t.Errorf("the refusal does not say %q:\n%s", want, out)
				}
			}
		})
	}

	t.Run("empty file, allowed", func(t *testing.T) {
		r := newRig(t, rigOptions{env: map[string]string{"CAREDESK_DB_ALLOW_EMPTY": "true"}})
		if err := os.WriteFile(r.env["CAREDESK_DB"], nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r.start()
		r.tg.CustomerWrites(100, customer(100, "Ada", ""), "hello")
		r.wait("root #1", func() bool { return len(r.roots()) == 1 })
		if !strings.Contains(r.roots()[0].Rendered(), "#1 · ") {
			t.Errorf("the first ticket on an allowed empty file is not #1: %s", r.roots()[0].Rendered())
		}
	})
}

// newDatabase makes a caredesk database at path with n tickets in it.
func newDatabase(t *testing.T, path string, n int) {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(tx bot.Tx) error {
		for i := range n {
			tk := bot.Ticket{Source: "telegram", Conversation: fmt.Sprint(i), State: bot.Open,
				Customer: bot.Customer{ID: fmt.Sprint(i), Name: strings.Repeat("customer ", 20)}, Text: strings.Repeat("complaint ", 40)}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// damage makes a database whose first page (the header) is intact and
// whose other pages are garbage, as a bad disk or a torn copy leaves it.
func damage(t *testing.T, path string) {
	t.Helper()
	newDatabase(t, path, 300)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4 * 4096; i < len(b)-4096; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
