package e2e_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/sim/bridgesim"
)

// heldBodies is the attack of TestHeldBodies: connections that each send
// most of a 1 MiB body and withhold the last byte.
const (
	heldBodies   = 2000
	heldBodySize = 1 << 20
	rssLimitMiB  = 150
)

// TestHeldBodies runs the held-body attack on the built binary: 2,000
// connections to /slack/events and /hooks/twitter, with signature headers
// well formed enough to pass the checks made before a body is read, each
// sending 1 MiB but its last byte. caredesk must stay under 150 MiB of
// memory, keep answering /healthz, and take a signed request afterwards.
// It logs the figures: peak and current RSS, and how the attack was
// answered.
func TestHeldBodies(t *testing.T) {
	raiseOpenFiles(t, 3*heldBodies+1000) // both ends of every connection, and then some
	r, twitter, _ := bridges(t, "CAREDESK_LOG_LEVEL", "info")
	pid := r.cmd.Process.Pid
	before := memory(t, pid)

	// /healthz, every 20 ms while the attack lasts.
	stopProbe := make(chan struct{})
	var probes, probeFailures atomic.Int64
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		client := &http.Client{Timeout: 2 * time.Second}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopProbe:
				return
			case <-tick.C:
			}
			probes.Add(1)
			res, err := client.Get(r.base + "/healthz")
			if err != nil {
				probeFailures.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				probeFailures.Add(1)
			}
		}
	}()

	addr := strings.TrimPrefix(r.base, "http://")
	body := make([]byte, heldBodySize-1) // the last byte is withheld
	for i := range body {
		body[i] = 'a'
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		conns    []net.Conn
		answers  = map[string]int{}
		dialSlot = make(chan struct{}, 200) // the listen queue is finite
	)
	start := time.Now()
	for i := range heldBodies {
		wg.Go(func() {
			dialSlot <- struct{}{}
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			<-dialSlot
			if err != nil {
				mu.Lock()
				answers["dial error"]++
				mu.Unlock()
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			_, _ = io.WriteString(c, heldRequest(i, addr))
			_, _ = c.Write(body) // fails once caredesk closes the connection
			// What caredesk answered, if it answered before the last byte.
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			line := "no answer yet (reading the body)"
			buf := make([]byte, 12)
			if n, err := io.ReadFull(c, buf); err == nil && n == 12 {
				line = string(buf[9:12])
			} else if !isTimeout(err) {
				line = "closed without an answer"
			}
			mu.Lock()
			answers[line]++
			mu.Unlock()
		})
	}
	wg.Wait()
	sent := time.Since(start)
	during := memory(t, pid)

	// A signed request while the held bodies still hold the budget: it
	// gets through, or is asked to come back (503 with Retry-After).
	signedDuring := signedSlackRequest(t, r)
	if signedDuring != http.StatusOK && signedDuring != http.StatusServiceUnavailable {
		t.Errorf("a signed Slack request during the attack: %d, want 200 or 503", signedDuring)
	}

	for _, c := range conns {
		c.Close()
	}
	close(stopProbe)
	<-probed
	after := memory(t, pid)

	// Afterwards, a signed request and a complaint get through as soon as
	// caredesk has seen the held connections close.
	// caredesk frees the budget as it sees each held connection close.
	retry := time.NewTicker(50 * time.Millisecond)
	defer retry.Stop()
	deadline := time.After(15 * time.Second)
	for signedSlackRequest(t, r) != http.StatusOK {
		select {
		case <-retry.C:
		case <-deadline:
			t.Fatal("a signed Slack request is still refused 15 s after the attack ended")
		}
	}
	status, answer, err := twitter.SendComplaint(r.base, "twitter", bridgesim.Complaint{ID: "after-1", Author: bridgesim.Author{ID: "jane"}, Text: "still there?"})
	if err != nil || status != http.StatusAccepted {
		t.Errorf("a signed complaint after the attack: %d %s %v, want 202", status, answer, err)
	}

	t.Logf("%d held bodies of 1 MiB sent in %s; answers: %v", heldBodies, sent.Round(time.Millisecond), answers)
	t.Logf("caredesk RSS: %.1f MiB before, %.1f MiB during, %.1f MiB after; peak (VmHWM) %.1f MiB", before.rss, during.rss, after.rss, after.hwm)
	t.Logf("/healthz: %d probes, %d failed; a signed request during the attack: %d", probes.Load(), probeFailures.Load(), signedDuring)
	if after.hwm >= rssLimitMiB {
		t.Errorf("caredesk's peak RSS was %.1f MiB under the attack, want under %d MiB", after.hwm, rssLimitMiB)
	}
	if probeFailures.Load() > 0 || probes.Load() == 0 {
		t.Errorf("/healthz failed %d of %d probes during the attack", probeFailures.Load(), probes.Load())
	}
	metrics := get(t, r.base+"/metrics")
	busy := grepLines(metrics, `caredesk_http_rejected_total{endpoint="/slack/events",reason="busy"}`) + "\n" + grepLines(metrics, `caredesk_webhook_rejected_total{reason="busy"`)
	t.Logf("refused past the budget:\n%s", busy)
	if strings.TrimSpace(busy) == "" {
		t.Errorf("no held body was refused past the budget: the budget did not act; /metrics has:\n%s", grepLines(metrics, "caredesk_"))
	}
}

// heldRequest is the head of the i-th held request: to /slack/events or
// /hooks/twitter in turn, with fresh timestamps and signatures of the right
// form but made up.
func heldRequest(i int, host string) string {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	sig := randomHex()
	if i%2 == 0 {
		return fmt.Sprintf("POST /slack/events HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Slack-Request-Timestamp: %s\r\nX-Slack-Signature: v0=%s\r\n\r\n", host, heldBodySize, now, sig)
	}
	return fmt.Sprintf("POST /hooks/twitter HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s: %s\r\n%s: v1=%s\r\n\r\n", host, heldBodySize, webhook.TimestampHeader, now, webhook.SignatureHeader, sig)
}

func randomHex() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// signedSlackRequest sends Slack's URL check, signed, and returns the
// status.
func signedSlackRequest(t *testing.T, r *rig) int {
	t.Helper()
	status, err := r.slack.Forge(`{"token":"x","challenge":"abc","type":"url_verification"}`, r.slack.Sign(time.Now(), `{"token":"x","challenge":"abc","type":"url_verification"}`), time.Now())
	if err != nil {
		t.Fatalf("signed Slack request: %v", err)
	}
	return status
}

// TestForgedFloodIsLoggedOnce sends 5,000 forged requests, half to
// /slack/events and half to /hooks/twitter, from one address: every one is
// refused and counted in /metrics, and the log grows by a line per
// endpoint, not a line per request. It logs how much the log grew.
func TestForgedFloodIsLoggedOnce(t *testing.T) {
	r, _, _ := bridges(t, "CAREDESK_LOG_LEVEL", "info")
	logBefore := len(r.logs.String())
	body := `{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`
	const n = 5000
	jobs := make(chan int)
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				var req *http.Request
				if i%2 == 0 {
					req, _ = http.NewRequest(http.MethodPost, r.base+"/slack/events", strings.NewReader(body))
					req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
					req.Header.Set("X-Slack-Signature", "v0="+randomHex())
				} else {
					req, _ = http.NewRequest(http.MethodPost, r.base+"/hooks/twitter", strings.NewReader(body))
					req.Header.Set(webhook.TimestampHeader, strconv.FormatInt(time.Now().Unix(), 10))
					req.Header.Set(webhook.SignatureHeader, "v1="+randomHex())
				}
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					wrong.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusUnauthorized {
					wrong.Add(1)
				}
			}
		})
	}
	start := time.Now()
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	if wrong.Load() > 0 {
		t.Errorf("%d of %d forged requests were not answered 401", wrong.Load(), n)
	}
	metrics := get(t, r.base+"/metrics")
	for _, want := range []string{
		fmt.Sprintf(`caredesk_http_rejected_total{endpoint="/slack/events",reason="signature"} %d`, n/2),
		fmt.Sprintf(`caredesk_webhook_rejected_total{reason="signature",source="webhook:twitter"} %d`, n/2),
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s; it has:\n%s", want, grepLines(metrics, "caredesk_"))
		}
	}
	grown := r.logs.String()[logBefore:]
	lines := strings.Count(grown, "\n")
	t.Logf("%d forged requests in %s: the log grew by %d lines, %d bytes:\n%s", n, took.Round(time.Millisecond), lines, len(grown), grown)
	// One line per endpoint for the flood; the summaries with the counts
	// come at the end of the minute.
	if lines > 4 {
		t.Errorf("the log grew by %d lines for %d forged requests, want at most 4", lines, n)
	}
	for _, want := range []string{"refused a request that Slack did not sign", "refused a webhook request its source did not sign"} {
		if !strings.Contains(grown, want) {
			t.Errorf("the log does not say %q:\n%s", want, grown)
		}
	}
	if n := len(r.roots()); n != 0 {
		t.Errorf("forged requests opened %d tickets", n)
	}
}

// usage is caredesk's resident memory, in MiB.
type usage struct{ rss, hwm float64 }

// memory reads a process's current (VmRSS) and peak (VmHWM) resident set
// size from Linux's /proc/<pid>/status.
func memory(t *testing.T, pid int) usage {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	var u usage
	for line := range strings.SplitSeq(string(status), "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")))
		if err != nil {
			t.Fatalf("%s in /proc status: %v", key, err)
		}
		if key == "VmRSS" {
			u.rss = float64(kb) / 1024
		} else {
			u.hwm = float64(kb) / 1024
		}
	}
	return u
}

// raiseOpenFiles lets this process, and caredesk started from it, open n
// files, for thousands of connections on both ends.
func raiseOpenFiles(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Fatalf("the open-files limit is %d, and %d are needed: raise it (ulimit -n %d)", lim.Max, n, n)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
}
