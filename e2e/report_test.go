package e2e_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/sim/bridgesim"
	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
)

// reportConfig asks the customer a second after resolving, and puts the
// weekly digest at the minute that just passed, so that it is due now.
func reportConfig(t *testing.T) string {
	t.Helper()
	due := time.Now().UTC().Add(-time.Minute)
	yaml := fmt.Sprintf(`timezone: UTC
csat:
  delay: 1s
reports:
  weekly_digest: "%s %s"
`, strings.ToLower(due.Weekday().String()[:3]), due.Format("15:04"))
	path := filepath.Join(t.TempDir(), "caredesk.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// question finds the satisfaction question sent to chat.
func (r *rig) question(chat int64) (telegramsim.SentMessage, bool) {
	for _, m := range r.tg.Sent() {
		if m.ChatID == chat && len(m.Keyboard) > 0 {
			return m, true
		}
	}
	return telegramsim.SentMessage{}, false
}

// TestReportsThroughTheDesk: a ticket's whole life, the customer's score,
// /desk report with its charts, the digest, the exports and the metrics,
// through the built binary.
func TestReportsThroughTheDesk(t *testing.T) {
	r := newRig(t, rigOptions{env: map[string]string{
		"CAREDESK_CONFIG":       reportConfig(t),
		"CAREDESK_TICK":         "200ms",
		"CAREDESK_EXPORT_TOKEN": "e2e-export-token-0123456789",
	}})
	r.start()

	// The week before had nothing: the digest says so, in words only.
	r.wait("the weekly digest", func() bool { return r.noticesWith("📰 Weekly digest: Last week") == 1 })
	if d := r.notices(); !slices.ContainsFunc(d, func(s string) bool { return strings.Contains(s, "No complaints arrived in that period.") }) {
		t.Errorf("digest %q", d)
	}

	jane := customer(4242, "Jane", "jane_doe")
	r.tg.CustomerWrites(jane.ID, jane, "My parcel is lost")
	r.recorded(1)
	r.command("UALICE", "alice", "claim 1")
	r.post("UALICE", r.root(1).TS, "Found it: it arrives tomorrow.")
	// Jane was told her complaint arrived, then got the signed answer.
	r.wait("the reply", func() bool { return len(r.sentTo(jane.ID)) == 2 })
	if got := r.sentTo(jane.ID)[1]; got != "Found it: it arrives tomorrow.\n\n— alice" {
		t.Errorf("the answer reads %q", got)
	}
	r.command("UALICE", "alice", "resolve 1")

	// A second later the customer is asked, with five buttons.
	// rig.wait checks its condition from two goroutines: it must only read.
	r.wait("the satisfaction question", func() bool { _, ok := r.question(jane.ID); return ok })
	q, _ := r.question(jane.ID)
	if len(q.Keyboard) != 1 || len(q.Keyboard[0]) != 5 || q.Text != "How did we do? Tap a number: 1 is bad, 5 is great." {
		t.Fatalf("question %q with buttons %+v", q.Text, q.Keyboard)
	}
	r.tg.PressButton(jane.ID, q.MessageID, q.Keyboard[0][1].CallbackData, jane) // 2
	r.wait("the score on the root", func() bool { return strings.Contains(r.root(1).Rendered(), "Customer's rating: ★★☆☆☆ 2/5.") })
	r.wait("the follow-up", func() bool {
		sent := r.sentTo(jane.ID)
		return strings.HasPrefix(sent[len(sent)-1], "Sorry it wasn't better.")
	})
	r.tg.CustomerWrites(jane.ID, jane, "The courier was rude.")
	r.wait("the comment and the ping", func() bool {
		thread := r.slack.Thread(r.root(1).TS)
		return slices.ContainsFunc(thread, func(m slacksim.Message) bool {
			return strings.Contains(m.Text, "<@UALICE>, the customer explained their 2/5 for #1")
		})
	})

	// /desk report: the figures at once, the charts in a direct message.
	answer := r.command("UALICE", "alice", "report today")
	for _, want := range []string{"Complaints 1 · answered by a person 1 (100 %) · within the SLA 1 (100 %)",
		"Satisfaction: 2.0 of 5 from 1 answer to 1 question", "The charts are on their way to your direct messages."} {
		if !strings.Contains(answer, want) {
			t.Errorf("/desk report today lacks %q:\n%s", want, answer)
		}
	}
	r.wait("three charts", func() bool { return len(pngs(r.slack.Files())) == 3 })
	for _, f := range pngs(r.slack.Files()) {
		if f.Channel != "DUALICE" || f.AltText == "" || len(f.Data) < 1000 || string(f.Data[1:4]) != "PNG" {
			t.Errorf("chart %q: channel %s, alt %q, %d bytes", f.Name, f.Channel, f.AltText, len(f.Data))
		}
	}
	if got := r.command("UALICE", "alice", "report 2026-12-31..2026-12-01"); !strings.Contains(got, "ends before it starts") {
		t.Errorf("a backwards range answered %q", got)
	}

	// Without files:write, the charts come as words.
	r.slack.RevokeScope("files:write")
	r.command("UBOB", "bob", "report today")
	r.wait("the charts in words", func() bool {
		return slices.ContainsFunc(r.slack.DirectMessages("UBOB"), func(m slacksim.Message) bool {
			return strings.Contains(m.Text, "files:write") && strings.Contains(m.Text, "```")
		})
	})
	r.slack.GrantScope("files:write")

	// /desk export: a CSV in the agent's direct messages; and for BI tools.
	r.command("UALICE", "alice", "export today")
	r.wait("the export", func() bool { return len(csvs(r.slack.Files())) == 1 })
	rows, err := csv.NewReader(strings.NewReader(string(csvs(r.slack.Files())[0].Data))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "1" || rows[1][2] != "jane_doe" || rows[1][7] != "yes" || rows[1][9] != "2" {
		t.Errorf("export %q, %v", rows, err)
	}
	req, _ := http.NewRequest(http.MethodGet, r.base+"/export.csv", nil)
	req.Header.Set("Authorization", "Bearer e2e-export-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || len(rows) != 2 {
		t.Errorf("GET /export.csv: %d, %q, %v", resp.StatusCode, rows, err)
	}
	if status, _ := fetch(t, r.base+"/export.csv"); status != http.StatusUnauthorized {
		t.Errorf("GET /export.csv without the token: %d", status)
	}

	for name, want := range map[string]string{
		`caredesk_first_response_seconds_count{source="telegram"}`: "1",
		`caredesk_csat_score_sum{source="telegram"}`:               "2",
		"caredesk_tickets_open":                                    "0",
		"caredesk_tickets_unanswered":                              "0",
	} {
		if got := metric(t, r.base+"/metrics", name); got != want {
			t.Errorf("%s = %q, want %s", name, got, want)
		}
	}
}

func pngs(fs []slacksim.File) []slacksim.File {
	return slices.DeleteFunc(fs, func(f slacksim.File) bool { return !strings.HasSuffix(f.Name, ".png") })
}

func csvs(fs []slacksim.File) []slacksim.File {
	return slices.DeleteFunc(fs, func(f slacksim.File) bool { return !strings.HasSuffix(f.Name, ".csv") })
}

// TestBridgeAsksAndTakesTheScore: a webhook source's customer is asked
// through the bridge (kind csat_request), and the bridge's POST to
// /hooks/NAME/rating puts the score on the ticket.
func TestBridgeAsksAndTakesTheScore(t *testing.T) {
	r, twitter, _ := bridgesWith(t, "csat:\n  delay: 1s\n", "CAREDESK_TICK", "200ms")
	status, body, err := twitter.SendComplaint(r.base, "twitter", bridgesim.Complaint{
		ID: "tw-1", ConversationID: "tw-1", Author: bridgesim.Author{ID: "a-1", Handle: "angry"}, Text: "Where is my refund?"})
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("complaint: %d %s %v", status, body, err)
	}
	r.recorded(1)
	r.command("UALICE", "alice", "reply 1 Refunded today, sorry for the wait.")
	r.command("UALICE", "alice", "resolve 1")
	var asked bridgesim.Reply
	r.waitFor(twitter, "the question through the bridge", func() bool {
		for _, rep := range twitter.Replies() {
			if rep.Kind == "csat_request" {
				asked = rep
				return true
			}
		}
		return false
	})
	if asked.Ticket != 1 || asked.Scale == nil || asked.Scale.Min != 1 || asked.Scale.Max != 5 || asked.Text == "" {
		t.Errorf("question %+v", asked)
	}
	for range 2 { // the bridge retries; the score is taken once
		status, body, err = twitter.SendRating(r.base, "twitter", bridgesim.Rating{Ticket: 1, Score: 4, CustomerID: "a-1", EventID: "r-1"})
		if err != nil || status != http.StatusOK {
			t.Fatalf("rating: %d %s %v", status, body, err)
		}
	}
	r.wait("the score on the root", func() bool { return strings.Contains(r.root(1).Rendered(), "★★★★☆ 4/5") })
	status, _, _ = twitter.SendRating(r.base, "twitter", bridgesim.Rating{Ticket: 1, Score: 4, CustomerID: "someone-else", EventID: "r-2"})
	if status != http.StatusNotFound {
		t.Errorf("someone else's score: %d, want 404", status)
	}
}

// waitFor is rig.wait on a bridge's changes.
func (r *rig) waitFor(b *bridgesim.Server, what string, cond func() bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := b.Wait(ctx, cond); err != nil {
		r.t.Fatalf("waited 15 s for %s: %v", what, err)
	}
}
