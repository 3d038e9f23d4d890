package e2e_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"caredesk/sim/bridgesim"
)

// slackPing matches what Slack would obey as a ping or mention if it came
// from the outside text of this test: <!here>, <!channel>, <!everyone>,
// <!subteam^…>, the lead's mention, and the bare words with link_names.
// caredesk's own mentions of the agent who replied stay live; nothing in
// this test is old enough for caredesk's own @here.
var slackPing = regexp.MustCompile(`<!(here|channel|everyone|subteam)|<@U0LEAD|(?i)@(channel|here|everyone)\b`)

// unseen matches what a reader cannot see but a screen or terminal obeys:
// C0 controls (other than tab and line feed), DEL and C1 (escape
// sequences start with one), bidi overrides and isolates.
var unseen = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f-\u009f\u202a-\u202e\u2066-\u2069]")

// TestOutsideTextIsDataOnTheDesk: customers' names and words, a bridge's
// status reason and a bridge's error body reach the Slack desk as text
// that pings nobody, shows no hidden characters, and cannot pass for
// caredesk's own lines; /desk show and /desk list quote them too.
func TestOutsideTextIsDataOnTheDesk(t *testing.T) {
	r, twitter, _ := bridges(t)

	// A Telegram customer whose name pings the channel and the lead, and
	// whose message hides a bidi override, colours and a NUL, and forges
	// caredesk's own lines.
	mallory := customer(6666, "<!here> <@U0LEAD>", "mallory")
	r.tg.CustomerWrites(6666, mallory, "refund \u202egpj.exe\u202c \x1b[31mnow\x1b[0m\x00\n*✅ Resolved*\n⚠️ <!channel> your reply was NOT delivered")
	r.wait("mallory's thread", func() bool { return len(r.roots()) == 1 })

	// A bridge's author with the same trick, a status report whose reason
	// pings, and an error body that pings.
	tweet := bridgesim.Complaint{ID: "t-1", ConversationID: "t-1", Author: bridgesim.Author{ID: "x9", Name: "<!channel> <@U0LEAD>", Handle: "x9"}, Text: "where is my parcel"}
	if status, body, err := twitter.SendComplaint(r.base, "twitter", tweet); err != nil || status != http.StatusAccepted {
		t.Fatalf("complaint: %d %s %v", status, body, err)
	}
	r.wait("the tweet's thread", func() bool { return len(r.roots()) == 2 })
	root := r.root(2)
	r.command("UALICE", "alice", "reply 2 On its way today.")
	r.wait("the reply at the bridge", func() bool { return len(twitter.Replies()) == 1 })
	report := bridgesim.Status{ReplyID: twitter.Replies()[0].ReplyID, Status: "failed", Reason: "<!here> moderation hid it <@U0LEAD>"}
	if status, body, err := twitter.ReportStatus(r.base, "twitter", report); err != nil || status/100 != 2 {
		t.Fatalf("status report: %d %s %v", status, body, err)
	}
	r.wait("the bridge's reason in the thread", func() bool { return threadHas(r, root.TS, "moderation hid it") })
	twitter.Reject(http.StatusUnprocessableEntity, "<!channel> the topic is locked <@U0LEAD>")
	r.command("UALICE", "alice", "reply 2 Sorry again.")
	r.wait("the bridge's error in the thread", func() bool { return threadHas(r, root.TS, "the topic is locked") })

	answers := map[string]string{
		"/desk show 1": r.command("UALICE", "alice", "show 1"),
		"/desk show 2": r.command("UALICE", "alice", "show 2"),
		"/desk list":   r.command("UALICE", "alice", "list"),
	}
	for cmd, answer := range answers {
		if !strings.Contains(answer, "&lt;@U0LEAD&gt;") {
			t.Errorf("%s does not show the customer's name as text:\n%s", cmd, answer)
		}
	}
	if !strings.Contains(answers["/desk show 1"], "customer: refund gpj.exe now *✅ Resolved* ⚠️ &lt;!channel&gt; your reply") {
		t.Errorf("/desk show 1 does not quote the customer's words on one line:\n%s", answers["/desk show 1"])
	}

	var seen []string
	for _, m := range r.slack.Messages() {
		seen = append(seen, m.Text, m.Rendered())
	}
	for _, e := range r.slack.Ephemerals() {
		seen = append(seen, e.Text)
	}
	for _, a := range answers {
		seen = append(seen, a)
	}
	all := strings.Join(seen, "\n")
	for _, want := range []string{"&lt;!here&gt; moderation hid it &lt;@U0LEAD&gt;", "&lt;!channel&gt; the topic is locked &lt;@U0LEAD&gt;", "*&lt;!here&gt; &lt;@U0LEAD&gt; (@mallory)*"} {
		if !strings.Contains(all, want) {
			t.Errorf("the desk never showed %q", want)
		}
	}
	for _, text := range seen {
		if m := slackPing.FindString(text); m != "" {
			t.Errorf("%q would ping, in\n%s", m, text)
		}
		if m := unseen.FindString(text); m != "" {
			t.Errorf("%q reached the desk, in %q", m, text)
		}
		for line := range strings.SplitSeq(text, "\n") {
			if strings.HasPrefix(line, "*✅ Resolved*") || strings.HasPrefix(line, "⚠️ &lt;!channel&gt;") {
				t.Errorf("a customer's line passes for caredesk's: %q in\n%s", line, text)
			}
		}
	}
}
