package e2e_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caredesk/sim/bridgesim"
)

// fetch gets url and returns its status and body.
func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// notices are the desk channel's messages that are no ticket: what
// caredesk announced.
func (r *rig) notices() []string {
	var out []string
	for _, m := range r.slack.Roots() {
		if !isTicket(&m) {
			out = append(out, m.Rendered())
		}
	}
	return out
}

// noticesWith counts the announcements that contain s.
func (r *rig) noticesWith(s string) int {
	n := 0
	for _, text := range r.notices() {
		if strings.Contains(text, s) {
			n++
		}
	}
	return n
}

// waitLong is rig.wait for changes caredesk announces only once they held
// for its settle time (10 s), after its polling backoff: up to a minute.
func (r *rig) waitLong(what string, cond func() bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.slack.Wait(ctx, cond); err != nil {
		r.t.Fatalf("waited a minute for %s: %v\nthe channel has: %q", what, err, r.notices())
	}
}

// metric returns the value of the metric line that starts with name, or "".
func metric(t *testing.T, url, name string) string {
	t.Helper()
	_, body := fetch(t, url)
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// TestHealthEndpoints: a caredesk that is well says so, and with
// CAREDESK_METRICS_ADDR its metrics are served only there.
func TestHealthEndpoints(t *testing.T) {
	metricsAddr := freeAddr(t)
	r := newRig(t, rigOptions{env: map[string]string{"CAREDESK_METRICS_ADDR": metricsAddr}})
	r.start()

	if status, body := fetch(t, r.base+"/livez"); status != http.StatusOK {
		t.Errorf("/livez: %d %q, want 200", status, body)
	}
	for _, path := range []string{"/readyz", "/healthz"} {
		status, body := fetch(t, r.base+path)
		if status != http.StatusOK || !strings.HasPrefix(body, "ready\n") {
			t.Errorf("%s: %d %q, want 200 ready", path, status, body)
		}
		for _, line := range []string{"caredesk: ok", "store: ok", "role: leader (the only caredesk on its SQLite file)", "desk: ok", "telegram: ok"} {
			if !strings.Contains(body, line+"\n") {
				t.Errorf("%s does not list %q:\n%s", path, line, body)
			}
		}
	}
	if status, _ := fetch(t, r.base+"/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics on CAREDESK_ADDR: %d, want 404 when CAREDESK_METRICS_ADDR is set", status)
	}
	if got := metric(t, "http://"+metricsAddr+"/metrics", `caredesk_source_up{source="telegram"}`); got != "1" {
		t.Errorf("caredesk_source_up{source=\"telegram\"} on CAREDESK_METRICS_ADDR = %q, want 1", got)
	}
	if got := metric(t, "http://"+metricsAddr+"/metrics", "caredesk_desk_up"); got != "1" {
		t.Errorf("caredesk_desk_up = %q, want 1", got)
	}
}

// TestTelegramTokenRevoked: the bot's token is revoked while caredesk runs.
// The desk channel is told once, with what to do; readiness and the metric
// show it; when Telegram takes the token again, the channel is told once
// that Telegram is back.
func TestTelegramTokenRevoked(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	const down, back = "Telegram refuses caredesk's token (401 Unauthorized)", "✅ Telegram is connected again."

	r.tg.RevokeToken(true)
	r.waitLong("the announcement that Telegram refuses the token", func() bool { return r.noticesWith(down) == 1 })
	for _, want := range []string{"⚠️", "@BotFather", "TELEGRAM_BOT_TOKEN", "Customers writing on Telegram are not reaching the desk."} {
		if r.noticesWith(want) != 1 {
			t.Errorf("the announcement does not say %q: %q", want, r.notices())
		}
	}
	status, body := fetch(t, r.base+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready\n") || !strings.Contains(body, "telegram: "+down) {
		t.Errorf("/readyz with the token revoked: %d\n%s\nwant 503 naming Telegram", status, body)
	}
	if got := metric(t, r.base+"/metrics", `caredesk_source_up{source="telegram"}`); got != "0" {
		t.Errorf("caredesk_source_up{source=\"telegram\"} = %q, want 0", got)
	}

	r.tg.RevokeToken(false)
	r.waitLong("the announcement that Telegram is back", func() bool { return r.noticesWith(back) == 1 })
	if status, body := fetch(t, r.base+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz with the token valid again: %d\n%s", status, body)
	}
	if got := metric(t, r.base+"/metrics", `caredesk_source_up{source="telegram"}`); got != "1" {
		t.Errorf("caredesk_source_up{source=\"telegram\"} = %q, want 1", got)
	}
	// Complaints flow again, and the channel heard each change once.
	jane := customer(777, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "Hello?")
	r.wait("the complaint's thread", func() bool { return len(r.roots()) == 1 })
	if r.noticesWith(down) != 1 || r.noticesWith(back) != 1 {
		t.Errorf("the channel heard %q, want each change once", r.notices())
	}
}

// TestSilentWebhookSource: a bridge that brings nothing for longer than
// its silence_alarm is announced once; a complaint from it is announced
// as its return.
func TestSilentWebhookSource(t *testing.T) {
	const secret = "forum-bridge-secret-0123456789ab"
	forum, err := bridgesim.New(bridgesim.Options{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(forum.Close)
	yaml := `sources:
  webhook:
    - name: forum
      display: Brand forum
      secret_env: FORUM_HOOK_SECRET
      reply_url: ` + forum.ReplyURL() + `
      silence_alarm: 2s
`
	path := filepath.Join(t.TempDir(), "caredesk.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOptions{env: map[string]string{"CAREDESK_CONFIG": path, "FORUM_HOOK_SECRET": secret}})
	r.start()
	const silent = "Brand forum has sent no complaint for 2s (its silence_alarm)"
	const back = "✅ Brand forum is bringing complaints again."

	r.waitLong("the announcement that the forum is silent", func() bool { return r.noticesWith(silent) == 1 })
	if r.noticesWith("/hooks/forum") != 1 {
		t.Errorf("the announcement does not say where the bridge should reach: %q", r.notices())
	}
	// Silence is shown, but a silent bridge does not take caredesk out of
	// its load balancer: then no bridge could reach it.
	status, body := fetch(t, r.base+"/readyz")
	if status != http.StatusOK || !strings.Contains(body, "webhook:forum: warning: "+silent) {
		t.Errorf("/readyz with a silent source: %d\n%s\nwant 200 with a warning line", status, body)
	}
	if got := metric(t, r.base+"/metrics", `caredesk_source_up{source="webhook:forum"}`); got != "0" {
		t.Errorf("caredesk_source_up{source=\"webhook:forum\"} = %q, want 0", got)
	}

	post := bridgesim.Complaint{
		ID: "p-1", ConversationID: "thread-9", Author: bridgesim.Author{ID: "u-7", Handle: "maria", Name: "Maria"},
		Text: "My order never came.",
	}
	if status, body, err := forum.SendComplaint(r.base, "forum", post); err != nil || status != http.StatusAccepted {
		t.Fatalf("signed complaint: %d %s %v, want 202", status, body, err)
	}
	r.waitLong("the announcement that the forum is back", func() bool { return r.noticesWith(back) == 1 })
	// Its alarm is 2 s, so the forum falls silent again soon after; the
	// first two notices are the silence, once, and its end.
	if got := r.notices(); len(got) < 2 || !strings.Contains(got[0], silent) || got[1] != back {
		t.Errorf("the channel heard %q, want the silence told once, then its end", got)
	}
}
