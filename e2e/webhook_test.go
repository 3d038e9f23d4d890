package e2e_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caredesk/sim/bridgesim"
)

const (
	twitterSecret = "twitter-bridge-secret-0123456789"
	forumSecret   = "forum-bridge-secret-0123456789ab"
)

// bridges starts a bridge per webhook source and a rig configured with
// both through the documented file and secret variables.
func bridges(t *testing.T, env ...string) (*rig, *bridgesim.Server, *bridgesim.Server) {
	t.Helper()
	return bridgesWith(t, "", env...)
}

// bridgesWith is bridges with more of the YAML file.
func bridgesWith(t *testing.T, moreYAML string, env ...string) (*rig, *bridgesim.Server, *bridgesim.Server) {
	t.Helper()
	twitter, err := bridgesim.New(bridgesim.Options{Secret: twitterSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(twitter.Close)
	forum, err := bridgesim.New(bridgesim.Options{Secret: forumSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(forum.Close)
	yaml := `high_reach: 10000
customers:
  signature: false
sources:
  webhook:
    - name: twitter
      display: X (Twitter)
      secret_env: TWITTER_HOOK_SECRET
      reply_url: ` + twitter.ReplyURL() + `
      sla: 30m
    - name: forum
      display: Brand forum
      secret_env: FORUM_HOOK_SECRET
      reply_url: ` + forum.ReplyURL() + `
` + moreYAML
	path := filepath.Join(t.TempDir(), "caredesk.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"CAREDESK_CONFIG":     path,
		"TWITTER_HOOK_SECRET": twitterSecret,
		"FORUM_HOOK_SECRET":   forumSecret,
	}
	for i := 0; i+1 < len(env); i += 2 {
		vars[env[i]] = env[i+1]
	}
	r := newRig(t, rigOptions{env: vars})
	r.start()
	return r, twitter, forum
}

func TestWebhookSources(t *testing.T) {
	r, twitter, forum := bridges(t)
	tweet := bridgesim.Complaint{
		ID: "1860000000000000001", ConversationID: "1860000000000000001",
		Author: bridgesim.Author{ID: "44196397", Handle: "loudcustomer", Name: "Loud Customer", ProfileURL: "https://x.com/loudcustomer", Followers: 250_000},
		Text:   "@brand three weeks and no refund. Never again.", URL: "https://x.com/loudcustomer/status/1860000000000000001", Language: "en",
	}
	for range 2 { // the bridge retries; the complaint is taken once
		status, body, err := twitter.SendComplaint(r.base, "twitter", tweet)
		if err != nil || status != http.StatusAccepted {
			t.Fatalf("signed complaint: %d %s %v, want 202", status, body, err)
		}
	}
	r.wait("the tweet's thread", func() bool { return len(r.roots()) == 1 })
	root := r.root(1)
	for _, want := range []string{"#1 · X (Twitter)", "250,000 followers", ":mega: *high reach*", "|original post>", "three weeks and no refund"} {
		if !strings.Contains(root.Rendered(), want) {
			t.Errorf("the root lacks %q:\n%s", want, root.Rendered())
		}
	}

	// The bridge fails twice, then takes the reply: delivered once.
	twitter.FailNext(2, http.StatusInternalServerError)
	r.command("UALICE", "alice", "claim 1")
	r.post("UALICE", root.TS, "So sorry! Your refund is on its way today.")
	r.wait("the reply at the twitter bridge", func() bool { return len(twitter.Replies()) == 1 })
	attempts := twitter.Attempts()
	if len(attempts) != 3 {
		t.Errorf("the bridge saw %d attempts, want 3 (two 500s, then the reply)", len(attempts))
	}
	for i, a := range attempts {
		if !a.Verified {
			t.Errorf("attempt %d was not correctly signed: %s", i+1, a.Error)
		}
		if a.Key != attempts[0].Key {
			t.Errorf("attempt %d has idempotency key %q, want the same %q on every attempt", i+1, a.Key, attempts[0].Key)
		}
	}
	reply := twitter.Replies()[0]
	if reply.Ticket != 1 || reply.InReplyTo.MessageID != tweet.ID || reply.Text != "So sorry! Your refund is on its way today." {
		t.Errorf("the bridge got %+v", reply)
	}
	r.wait("the ✔ on alice's reply", func() bool { return countReactions(r.slack, "heavy_check_mark") == 1 })

	// The bridge says where the reply was posted.
	status, body, err := twitter.ReportStatus(r.base, "twitter", bridgesim.Status{ReplyID: reply.ReplyID, Status: "delivered", URL: "https://x.com/brand/status/1860000000000000002"})
	if err != nil || status/100 != 2 {
		t.Fatalf("status report: %d %s %v", status, body, err)
	}
	r.wait("the public URL in the thread", func() bool { return threadHas(r, root.TS, "https://x.com/brand/status/1860000000000000002") })

	// The forum refuses: the failure is visible in the thread.
	forum.Reject(http.StatusUnprocessableEntity, "the topic is locked")
	post := bridgesim.Complaint{ID: "post-981", ConversationID: "topic-77", Author: bridgesim.Author{ID: "u-5", Name: "Forum User"}, Text: "The app logs me out every hour."}
	if status, body, err := forum.SendComplaint(r.base, "forum", post); err != nil || status != http.StatusAccepted {
		t.Fatalf("forum complaint: %d %s %v", status, body, err)
	}
	r.wait("the forum thread", func() bool { return len(r.roots()) == 2 })
	r.command("UBOB", "bob", "reply 2 We have fixed it in version 4.2.")
	r.wait("the visible failure", func() bool { return threadHas(r, r.root(2).TS, "the topic is locked") })
	if n := len(forum.Replies()); n != 0 {
		t.Errorf("the forum took %d replies while refusing", n)
	}
}

// TestWebhookOnly: a team that takes complaints only through bridges needs
// no Telegram bot.
func TestWebhookOnly(t *testing.T) {
	r, twitter, _ := bridges(t, "TELEGRAM_BOT_TOKEN", "")
	c := bridgesim.Complaint{ID: "9", Author: bridgesim.Author{ID: "a", Handle: "someone"}, Text: "hello from X"}
	if status, body, err := twitter.SendComplaint(r.base, "twitter", c); err != nil || status != http.StatusAccepted {
		t.Fatalf("complaint: %d %s %v", status, body, err)
	}
	r.wait("the thread", func() bool { return len(r.roots()) == 1 })
	if n := r.tg.Calls("getMe"); n != 0 {
		t.Errorf("caredesk called Telegram %d times without a Telegram token", n)
	}
}

func TestWebhookRefusals(t *testing.T) {
	r, twitter, _ := bridges(t)
	forger, err := bridgesim.New(bridgesim.Options{Secret: "not-the-real-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(forger.Close)
	good, _ := json.Marshal(bridgesim.Complaint{ID: "1", Author: bridgesim.Author{ID: "a"}, Text: "hello"})
	tests := []struct {
		name   string
		path   string
		body   []byte
		header http.Header
		status int
		field  string
	}{
		{"wrong secret", "/hooks/twitter", good, forger.Signed(good, time.Now()), 401, "X-Caredesk-Signature"},
		{"stale timestamp", "/hooks/twitter", good, twitter.Signed(good, time.Now().Add(-10*time.Minute)), 401, "X-Caredesk-Timestamp"},
		{"unsigned", "/hooks/twitter", good, http.Header{}, 401, "X-Caredesk-Timestamp"},
		{"unknown source", "/hooks/myspace", good, twitter.Signed(good, time.Now()), 404, ""},
		{"malformed JSON", "/hooks/twitter", []byte(`{"id":`), twitter.Signed([]byte(`{"id":`), time.Now()), 400, ""},
		{"missing author", "/hooks/twitter", []byte(`{"id":"2","text":"hi"}`), twitter.Signed([]byte(`{"id":"2","text":"hi"}`), time.Now()), 422, "author"},
		{"missing text", "/hooks/twitter", []byte(`{"id":"2","author":{"id":"a"}}`), twitter.Signed([]byte(`{"id":"2","author":{"id":"a"}}`), time.Now()), 422, "text"},
		{"too large", "/hooks/twitter", []byte(`{"text":"` + strings.Repeat("a", 1<<20) + `"}`), twitter.Signed([]byte(`{}`), time.Now()), 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := twitter.SendRaw(r.base, tt.path, tt.body, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status {
				t.Errorf("status %d, want %d: %s", status, tt.status, body)
			}
			var answer struct{ Error, Field string }
			if err := json.Unmarshal(body, &answer); err != nil || answer.Error == "" {
				t.Errorf("the answer is no JSON error: %s", body)
			}
			if answer.Field != tt.field {
				t.Errorf("field %q, want %q", answer.Field, tt.field)
			}
		})
	}
	if n := len(r.roots()); n != 0 {
		t.Errorf("refused requests opened %d tickets", n)
	}
	metrics := get(t, r.base+"/metrics")
	for _, want := range []string{`caredesk_webhook_rejected_total{reason="signature",source="webhook:twitter"} 2`, `caredesk_webhook_rejected_total{reason="stale",source="webhook:twitter"} 1`, `caredesk_webhook_rejected_total{reason="invalid",source="webhook:twitter"} 2`, `caredesk_webhook_rejected_total{reason="unknown_source",source=""} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s; it has:\n%s", want, grepLines(metrics, "caredesk_webhook_rejected_total{"))
		}
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func threadHas(r *rig, root, text string) bool {
	for _, m := range r.slack.Thread(root) {
		if strings.Contains(m.Text, text) || strings.Contains(m.Rendered(), text) {
			return true
		}
	}
	return false
}
