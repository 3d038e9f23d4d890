// Package e2e_test runs the built caredesk binary, configured only through
// its documented environment, against local Telegram and Slack simulators,
// and drives it the way the networks and a support team would.
package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
)

// binary is caredesk, built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "caredesk-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "caredesk")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const tgToken = "987654321:E2E-simulated-telegram-token"

// rig is one caredesk process between a simulated Telegram and Slack. The
// process can be killed and started again on the same database.
type rig struct {
	t     testing.TB
	tg    *telegramsim.Server
	slack *slacksim.Server
	env   map[string]string
	base  string // http://127.0.0.1:port
	cmd   *exec.Cmd
	exit  chan error
	logs  *syncBuffer
}

type rigOptions struct {
	socketMode bool
	webhook    bool
	env        map[string]string
	// postRate and postBurst limit the Slack simulator's posts per channel
	// as Slack does (slacksim.Options); 0 for no limit.
	postRate  float64
	postBurst int
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	tg, err := telegramsim.New(tgToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	sl, err := slacksim.New(slacksim.Options{EchoBotMessages: true, PostRate: o.postRate, PostBurst: o.postBurst})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sl.Close)
	for id, name := range map[string]string{"UALICE": "alice", "UBOB": "bob", "UCAROL": "carol"} {
		sl.AddUser(id, name)
	}
	so := sl.Options()
	r := &rig{t: t, tg: tg, slack: sl, logs: &syncBuffer{}}
	r.base = "http://" + freeAddr(t)
	r.env = map[string]string{
		"CAREDESK_ADDR":      strings.TrimPrefix(r.base, "http://"),
		"CAREDESK_DB":        filepath.Join(t.TempDir(), "caredesk.db"),
		"CAREDESK_RETRY_MIN": "50ms",
		"CAREDESK_RETRY_MAX": "500ms",
		"CAREDESK_LOG_LEVEL": "debug",
		"TELEGRAM_BOT_TOKEN": tgToken,
		"TELEGRAM_API_URL":   tg.URL(),
		"SLACK_BOT_TOKEN":    so.BotToken,
		"SLACK_CHANNEL_ID":   so.ChannelID,
		"SLACK_API_URL":      sl.APIURL(),
	}
	if o.socketMode {
		r.env["SLACK_APP_TOKEN"] = so.AppToken
	} else {
		r.env["SLACK_SIGNING_SECRET"] = so.SigningSecret
		sl.SetRequestURL(r.base + "/slack/events")
	}
	if o.webhook {
		r.env["TELEGRAM_WEBHOOK_URL"] = r.base + "/telegram/webhook"
		r.env["TELEGRAM_WEBHOOK_SECRET"] = "e2e-webhook-secret"
	}
	// Most tests are about delivery, not about what caredesk says to
	// customers: without a file of their own, they run with no
	// acknowledgement and unsigned replies, so a customer receives exactly
	// what the agent wrote. The tests of the customer's side set their own.
	if _, own := o.env["CAREDESK_CONFIG"]; !own {
		// Readable by anyone: some tests run caredesk as another user.
		dir := t.TempDir()
		plain := filepath.Join(dir, "plain.yaml")
		if err := os.WriteFile(plain, []byte("customers:\n  acknowledge: off\n  signature: false\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		r.env["CAREDESK_CONFIG"] = plain
	}
	for k, v := range o.env {
		r.env[k] = v
	}
	t.Cleanup(func() {
		if r.cmd != nil {
			r.kill9()
		}
		if t.Failed() {
			t.Logf("caredesk's log:\n%s", r.logs.String())
		}
	})
	return r
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs caredesk and waits until it answers /healthz.
func (r *rig) start() {
	r.t.Helper()
	r.launch()
	r.healthy()
}

// launch runs caredesk without waiting for it.
func (r *rig) launch() {
	r.t.Helper()
	r.cmd = exec.Command(binary)
	r.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range r.env {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.exit = make(chan error, 1)
	go func(cmd *exec.Cmd, exit chan<- error) { exit <- cmd.Wait() }(r.cmd, r.exit)
}

// healthy waits until caredesk answers /healthz, failing if it exits or
// takes over 20 s.
func (r *rig) healthy() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(r.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-r.exit:
			r.cmd = nil
			r.t.Fatalf("caredesk exited before serving: %v", err)
		case <-ctx.Done():
			r.t.Fatal("caredesk did not answer /healthz within 20 s")
		case <-tick.C:
		}
	}
}

// kill9 kills caredesk the hard way: no shutdown, no last writes.
func (r *rig) kill9() {
	r.t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exit
	r.cmd = nil
}

// stop sends SIGTERM and returns the exit error, or fails after 15 s.
func (r *rig) stop() error {
	r.t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exit:
		r.cmd = nil
		return err
	case <-time.After(15 * time.Second):
		r.t.Fatal("caredesk did not stop within 15 s of SIGTERM")
		return nil
	}
}

// wait fails the test if cond does not become true within 15 s; cond is
// checked after every change of either simulator.
func (r *rig) wait(what string, cond func() bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- r.slack.Wait(ctx, cond) }()
	go func() { done <- r.tg.Wait(ctx, cond) }()
	if err := <-done; err != nil {
		r.t.Fatalf("waited 15 s for %s: %v", what, err)
	}
	cancel()
	<-done
}

// roots are the tickets' root messages in the desk channel, told apart
// from announcements by the ticket metadata caredesk puts on them.
func (r *rig) roots() []slacksim.Message {
	var out []slacksim.Message
	for _, m := range r.slack.Roots() {
		if isTicket(&m) {
			out = append(out, m)
		}
	}
	return out
}

func isTicket(m *slacksim.Message) bool {
	return strings.Contains(string(m.Metadata), "caredesk_ticket")
}

func (r *rig) root(n int) slacksim.Message {
	r.t.Helper()
	r.recorded(len(r.roots()))
	for _, m := range r.roots() {
		if strings.Contains(m.Rendered(), fmt.Sprintf("#%d · ", n)) {
			return m
		}
	}
	r.t.Fatalf("no root for ticket #%d among %d roots", n, len(r.slack.Roots()))
	return slacksim.Message{}
}

// recorded waits until caredesk has recorded n ticket roots it posted.
// A desk shows a root the moment it is posted, a millisecond before
// caredesk records its thread; an agent's message in that millisecond would
// be taken for talk in some other thread. People are never that fast;
// tests are.
func (r *rig) recorded(n int) {
	r.t.Helper()
	waitRecorded(r.t, n, r.base)
}

// waitRecorded waits until the caredesks serving at bases have recorded n
// ticket roots they posted between them.
func waitRecorded(t testing.TB, n int, bases ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond) // caredesk has no push for this; ask /metrics
	defer tick.Stop()
	for {
		posted := 0
		for _, base := range bases {
			posted += postedRoots(base)
		}
		if posted >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("caredesk did not record %d ticket roots within 15 s", n)
		case <-tick.C:
		}
	}
}

// postedRoots is how many ticket roots the caredesk at base says it
// posted and recorded; 0 when it does not answer.
func postedRoots(base string) int {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, `caredesk_deliveries_total{job="post_ticket",outcome="delivered"} `); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

func (r *rig) sentTo(chat int64) []string {
	var out []string
	for _, m := range r.tg.Sent() {
		if m.ChatID == chat {
			out = append(out, m.Text)
		}
	}
	return out
}

func (r *rig) command(user, name, text string) string {
	r.t.Helper()
	resp, err := r.slack.SlashCommand(user, name, "/desk", text)
	if err != nil {
		r.t.Fatalf("/desk %s: %v", text, err)
	}
	return resp.Text
}

func (r *rig) post(user, thread, text string) (ts, eventID string) {
	r.t.Helper()
	ts, eventID, err := r.slack.UserPosts(user, thread, text)
	if err != nil {
		r.t.Fatalf("%s posts %q: %v", user, text, err)
	}
	return ts, eventID
}

func customer(id int64, first, username string) telegramsim.User {
	return telegramsim.User{ID: id, FirstName: first, Username: username}
}

// syncBuffer is a bytes.Buffer two goroutines may write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
