package e2e_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"caredesk/sim/bridgesim"
)

// TestFullDisk: the disk under the database fills up while caredesk has
// deliveries to make and complaints keep coming. Nothing spins, the log says
// it once, the networks are told to come back (so nothing is lost), and when
// space returns caredesk carries on by itself: every complaint gets exactly
// one thread.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("this test mounts a 4 MiB tmpfs to fill, which needs root; CI runs as root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })

	r, twitter, _ := bridges(t, "CAREDESK_DB", filepath.Join(dir, "caredesk.db"), "CAREDESK_LOG_LEVEL", "info")
	tweet := func(n int) bridgesim.Complaint {
		return bridgesim.Complaint{ID: fmt.Sprint(1000 + n), ConversationID: fmt.Sprint(1000 + n),
			Author: bridgesim.Author{ID: fmt.Sprint(n), Name: fmt.Sprintf("Customer %d", n)}, Text: fmt.Sprintf("complaint number %d", n)}
	}
	if status, body, err := twitter.SendComplaint(r.base, "twitter", tweet(0)); err != nil || status != http.StatusAccepted {
		t.Fatalf("first complaint: %d %s %v", status, body, err)
	}
	r.wait("the first thread", func() bool { return len(r.roots()) == 1 })
	r.recorded(1)

	// Slack is down, so the outbox holds work when the disk fills.
	r.slack.SetDown(true)
	for n := 1; n <= 3; n++ {
		if status, body, err := twitter.SendComplaint(r.base, "twitter", tweet(n)); err != nil || status != http.StatusAccepted {
			t.Fatalf("complaint %d: %d %s %v", n, status, body, err)
		}
	}

	filler := filepath.Join(dir, "filler")
	fill(t, filler, 0)
	// The first failing write makes caredesk truncate its write-ahead log,
	// which gives some space back: take that too, so the disk stays full.
	refused := -1
	for n := 4; refused < 0 && n < 200; n++ {
		if status, _ := sendComplaint(t, r, twitter, tweet(n)); status == http.StatusServiceUnavailable {
			refused = n
		}
	}
	if refused < 0 {
		t.Fatal("caredesk took 195 complaints on a full disk: the disk never filled")
	}
	r.waitLog("the database cannot be written")
	waitTruncated(t, filepath.Join(dir, "caredesk.db-wal"))
	fill(t, filler, 1)

	// On a full disk: a complaint is refused with Retry-After, and a
	// Telegram message stays unconfirmed, so the networks keep them.
	status, retryAfter := sendComplaint(t, r, twitter, tweet(refused))
	if status != http.StatusServiceUnavailable || retryAfter == "" {
		t.Errorf("a complaint on a full disk: %d with Retry-After %q, want 503 with Retry-After", status, retryAfter)
	}
	r.tg.CustomerWrites(500, customer(500, "Ada", ""), fmt.Sprintf("complaint number %d", refused+1))

	// Watch caredesk for a while on the full disk, with Slack coming back.
	r.slack.SetDown(false)
	lines0, cpu0, at0 := strings.Count(r.logs.String(), "\n"), cpuTime(t, r.cmd.Process.Pid), time.Now()
	watch := time.NewTimer(5 * time.Second)
	<-watch.C
	lines, cpu, wall := strings.Count(r.logs.String(), "\n")-lines0, cpuTime(t, r.cmd.Process.Pid)-cpu0, time.Since(at0)
	t.Logf("on a full disk for %s: %d log lines, CPU %.0f%% of one core", wall.Round(time.Millisecond), lines, 100*cpu.Seconds()/wall.Seconds())
	if lines > 50 {
		t.Errorf("%d log lines in %s on a full disk, want a handful (once, then a count a minute):\n%s", lines, wall, tail(r.logs.String(), 20))
	}
	if share := cpu.Seconds() / wall.Seconds(); share > 0.5 {
		t.Errorf("caredesk used %.0f%% of a core on a full disk, want it to back off, not spin", 100*share)
	}
	if r.tg.Pending() != 1 {
		t.Errorf("%d Telegram updates unconfirmed on a full disk, want Ada's message still there", r.tg.Pending())
	}
	if code := getStatus(t, r.base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a full disk: %d, want 503", code)
	}

	// Space returns: caredesk carries on by itself.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	for {
		status, _ := sendComplaint(t, r, twitter, tweet(refused))
		if status == http.StatusAccepted {
			break
		}
		if status != http.StatusServiceUnavailable {
			t.Fatalf("a complaint after space returned: %d", status)
		}
		time.Sleep(100 * time.Millisecond) // a bridge waits before it retries
	}
	r.waitLog("the database is writable again")
	want := refused + 2 // tweets 0…refused, and Ada's Telegram message
	r.wait(fmt.Sprintf("%d threads", want), func() bool { return len(r.roots()) >= want })
	r.recorded(want)
	t.Logf("space returned: all %d threads posted %s later", want, time.Since(freed).Round(time.Millisecond))
	assertOneThreadEach(t, r.roots(), want)
	if code := getStatus(t, r.base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after space returned: %d, want 200", code)
	}
}

// fill writes to name until the disk has no more room. round tells the
// chunks of a later fill from the earlier ones.
func fill(t *testing.T, name string, round int) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{byte('a' + round)}, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the disk: %v", err)
			}
			return
		}
	}
}

// waitTruncated waits up to 10 s for caredesk to truncate its write-ahead
// log, which it does in the background when writes start failing.
func waitTruncated(t *testing.T, wal string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := os.Stat(wal)
		if err == nil && info.Size() == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("caredesk did not truncate its write-ahead log within 10 s of failing to write (%v)", err)
		}
		time.Sleep(20 * time.Millisecond) // no push for this; look again
	}
}

// sendComplaint posts c signed as the bridge would and returns the status
// and Retry-After of the answer.
func sendComplaint(t *testing.T, r *rig, bridge *bridgesim.Server, c bridgesim.Complaint) (int, string) {
	t.Helper()
	body, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, r.base+"/hooks/twitter", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = bridge.Signed(body, time.Now())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// waitLog waits up to 15 s for caredesk to log a line containing s.
func (r *rig) waitLog(s string) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.logs.String(), s) {
		if time.Now().After(deadline) {
			r.t.Fatalf("caredesk did not log %q within 15 s", s)
		}
		time.Sleep(20 * time.Millisecond) // the log has no push; poll it
	}
}

// cpuTime is the user and system CPU time process pid has used so far.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name in parentheses may hold spaces; fields follow it.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
