package e2e_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/sim/slacksim"
)

// TestStory is the whole life of a complaint through the built binary in
// Slack's HTTP mode, with the network misbehaving the ways networks do.
func TestStory(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	jane := customer(4242, "Jane", "jane_doe")

	// Forgeries are refused before anything else happens.
	body := `token=x&team_id=T0SIM&user_id=UEVIL&user_name=evil&command=%2Fdesk&text=resolve+1`
	for name, send := range map[string]func() (int, error){
		"no signature":    func() (int, error) { return r.slack.Forge(body, "", time.Now()) },
		"wrong signature": func() (int, error) { return r.slack.Forge(body, "v0=deadbeef", time.Now()) },
		"stale timestamp": func() (int, error) {
			old := time.Now().Add(-6 * time.Minute)
			return r.slack.Forge(body, r.slack.Sign(old, body), old)
		},
	} {
		status, err := send()
		if err != nil || status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, %v; want 401", name, status, err)
		}
	}

	// Slack is rate limiting when the complaint arrives: the root still
	// comes, once, after Retry-After.
	r.slack.FailNext("chat.postMessage", 1, slacksim.RateLimited(time.Second))
	r.tg.CustomerWrites(jane.ID, jane, "My order #5521 never arrived <!channel> @here")
	r.wait("the complaint's thread", func() bool { return len(r.roots()) == 1 })
	if n := r.slack.Calls("chat.postMessage"); n != 2 {
		t.Errorf("chat.postMessage called %d times, want 2 (a 429, then the post)", n)
	}
	root := r.root(1)
	shown := root.Rendered()
	for _, want := range []string{"#1 · Telegram", "Jane (@jane_doe)", "My order #5521 never arrived &lt;!channel&gt;", "Open: nobody has claimed it yet."} {
		if !strings.Contains(shown, want) {
			t.Errorf("root lacks %q:\n%s", want, shown)
		}
	}
	if strings.Contains(root.Text, "<!channel>") || strings.Contains(shown, "<!channel>") {
		t.Errorf("the customer's <!channel> reached Slack unescaped: %q", root.Text)
	}
	if buttons := root.Buttons(); len(buttons) != 2 || buttons[0].Text != "Claim" || buttons[1].Text != "Resolve" {
		t.Errorf("root buttons %+v, want Claim and Resolve", buttons)
	}

	// A second message joins the thread.
	r.tg.CustomerWrites(jane.ID, jane, "It was due Monday.")
	r.wait("the second message in the thread", func() bool { return len(r.slack.Thread(root.TS)) == 1 })

	// Claims, by command: the winner and the refusal.
	if got := r.command("UALICE", "alice", "claim 1"); !strings.HasPrefix(got, "You own #1 now.") {
		t.Errorf("alice's claim answered %q", got)
	}
	if got := r.command("UBOB", "bob", "claim 1"); got != "#1 is already claimed by <@UALICE> — ask them or use /desk transfer 1." {
		t.Errorf("bob's claim answered %q", got)
	}
	r.wait("the root to show the owner", func() bool {
		m, _ := r.slack.Message(root.TS)
		return strings.Contains(m.Rendered(), "Claimed by <@UALICE>.")
	})

	// alice answers in the thread; Slack delivers the event twice.
	_, eventID := r.post("UALICE", root.TS, "Sorry Jane, a new parcel leaves today.")
	r.wait("the answer in Telegram", func() bool { return len(r.sentTo(jane.ID)) == 1 })
	if status, err := r.slack.Redeliver(eventID, 1); err != nil || status != http.StatusOK {
		t.Errorf("Slack's retry answered %d, %v; want 200", status, err)
	}
	// Replies to one customer leave in order, so had the retry queued a
	// second copy, it would arrive before this one.
	r.post("UALICE", root.TS, "Tracking: 00340434161094042557")
	r.wait("the second answer", func() bool { return len(r.sentTo(jane.ID)) == 2 })
	if got := r.sentTo(jane.ID); !slices.Equal(got, []string{"Sorry Jane, a new parcel leaves today.", "Tracking: 00340434161094042557"}) {
		t.Errorf("Jane received %q", got)
	}
	r.wait("the ✔ on both answers", func() bool { return countReactions(r.slack, "heavy_check_mark") == 2 })

	// A colleague's message stays in the team, and they are told once.
	r.post("UBOB", root.TS, "I know this courier")
	r.post("UBOB", root.TS, "they lost a van")
	r.wait("bob to be told", func() bool { return len(ephemeralsFor(r.slack, "UBOB")) == 1 })
	if got := ephemeralsFor(r.slack, "UBOB")[0]; !strings.Contains(got, "Not sent to the customer: #1 belongs to <@UALICE>") {
		t.Errorf("bob was told %q", got)
	}

	// The emoji resolves; the root says so.
	if _, err := r.slack.AddReaction("UALICE", root.TS, "white_check_mark"); err != nil {
		t.Fatal(err)
	}
	r.wait("the ticket resolved", func() bool {
		m, _ := r.slack.Message(root.TS)
		return strings.Contains(m.Rendered(), "Resolved by <@UALICE>.")
	})
	if got := r.command("UALICE", "alice", "list"); got != "No open tickets. Nice." {
		t.Errorf("/desk list after resolving: %q", got)
	}
	if got := len(r.sentTo(jane.ID)); got != 2 {
		t.Errorf("Jane received %d messages in all, want 2 (bob's notes stay inside)", got)
	}

	metrics := get(t, r.base+"/metrics")
	for _, want := range []string{`caredesk_customer_messages_total{source="telegram"} 2`, `caredesk_deliveries_total{job="send_reply",outcome="delivered"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := r.stop(); err != nil {
		t.Errorf("SIGTERM: caredesk exited with %v, want 0", err)
	}
	for _, secret := range []string{tgToken, r.env["SLACK_BOT_TOKEN"], r.env["SLACK_SIGNING_SECRET"]} {
		if strings.Contains(r.logs.String(), secret) {
			t.Errorf("a secret appears in caredesk's log")
		}
	}
}

func countReactions(s *slacksim.Server, name string) int {
	n := 0
	for _, r := range s.Reactions() {
		if r.Name == name {
			n++
		}
	}
	return n
}

func ephemeralsFor(s *slacksim.Server, user string) []string {
	var out []string
	for _, e := range s.Ephemerals() {
		if e.User == user {
			out = append(out, e.Text)
		}
	}
	return out
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
