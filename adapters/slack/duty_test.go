package slack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	slackdesk "caredesk/adapters/slack"
	"caredesk/bot"
	"caredesk/sim/slacksim"
)

// TestCoreTokens: the core's mentions, channel pings and times reach Slack
// as Slack's own markup; anything else that looks like markup is escaped.
func TestCoreTokens(t *testing.T) {
	at := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name, text, want string
	}{
		{"mention", "ping <@U0BORA>", "ping <@U0BORA>"},
		{"channel", bot.Here + " #1 waits", "<!here> #1 waits"},
		{"time", "due " + bot.At(at, "t"), "due <!date^1795222800^{time}|01:00 UTC>"},
		{"date and time", bot.At(at, "f"), "<!date^1795222800^{date_short_pretty} {time}|2026-11-21 01:00 UTC>"},
		{"relative", bot.At(at, "R"), "<!date^1795222800^{ago}|2026-11-21 01:00 UTC>"},
		{"a customer's channel ping stays text", "said ‹!channel› and <!channel>", "said ‹!channel› and &lt;!channel&gt;"},
		{"a fake time token from outside", "<t:abc:t>", "&lt;t:abc:t&gt;"},
		{"a team's channel", "moved #3 to billing (<#C0BILLING>)", "moved #3 to billing (<#C0BILLING>)"},
		{"a channel link a customer wrote stays text", "said " + bot.Quote("<#C0EVIL>"), "said &lt;#C0EVIL&gt;"},
	}
	sim := newSim(t, slacksim.Options{})
	sim.AddUser("U0BORA", "bora")
	d := newDesk(t, sim)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := d.Announce(context.Background(), "", tt.text); err != nil {
				t.Fatal(err)
			}
			roots := sim.Roots()
			if got := roots[len(roots)-1].Text; got != tt.want {
				t.Errorf("announced %q\nSlack got %q\nwant      %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestDirectMessage(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	sim.AddUser("U0BORA", "bora")
	d := newDesk(t, sim)
	if err := d.DirectMessage(context.Background(), "U0BORA", "🌙 New complaint #1 while you are on duty"); err != nil {
		t.Fatal(err)
	}
	dms := sim.DirectMessages("U0BORA")
	if len(dms) != 1 || !strings.Contains(dms[0].Text, "New complaint #1") {
		t.Errorf("bora's direct messages: %+v", dms)
	}
	if err := d.DirectMessage(context.Background(), "U0NOBODY", "hello"); !bot.IsPermanent(err) {
		t.Errorf("a message to an unknown user: %v, want a permanent failure", err)
	}
}

// TestFindMessage: a thread message whose post answer was lost is found by
// the id caredesk put in its metadata.
func TestFindMessage(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	tk := posted(t, d)
	sim.FailNext("chat.postMessage", 1, slacksim.LostAnswer())
	m := bot.Message{ID: 77, TicketID: tk.ID, Kind: bot.Notice, Text: "📟 ping"}
	if _, err := d.PostMessage(context.Background(), tk, m); err == nil {
		t.Fatal("the lost answer was reported as a success")
	}
	ref, err := d.FindMessage(context.Background(), tk, m)
	if err != nil || ref == "" {
		t.Fatalf("FindMessage = %q, %v; want the posted message", ref, err)
	}
	if other, _ := d.FindMessage(context.Background(), tk, bot.Message{ID: 78}); other != "" {
		t.Errorf("found %q for a message never posted", other)
	}
	if got := sim.Thread(tk.DeskThread); len(got) != 1 || got[0].TS != ref {
		t.Errorf("thread %+v, want the one post with ts %s", got, ref)
	}
}

// TestRootShowsReach: a complaint from a webhook source shows the network's
// name, the author's audience with a badge above the threshold, and links
// to the post and the profile.
func TestRootShowsReach(t *testing.T) {
	tests := []struct {
		name      string
		customer  bot.Customer
		postURL   string
		want      []string
		wantNever []string
	}{
		{"high reach", bot.Customer{ID: "x1", Handle: "loud", Followers: 48_200, ProfileURL: "https://x.com/loud"}, "https://x.com/loud/status/1",
			[]string{"#12 · X (Twitter)", "48,200 followers", ":mega: *high reach*", "<https://x.com/loud/status/1|original post>", "<https://x.com/loud|profile>"}, nil},
		{"small account", bot.Customer{ID: "x2", Handle: "quiet", Followers: 12}, "",
			[]string{"12 followers"}, []string{"high reach", "original post"}},
		{"a link that tries to break out", bot.Customer{ID: "x3"}, "https://evil.example/a|<!channel>",
			[]string{"https://evil.example/a|&lt;!channel&gt;"}, []string{"<!channel>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			o := deskOptions(sim)
			o.HighReach = 10_000
			d, err := slackdesk.New(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			tk := ticket()
			tk.Source, tk.Network, tk.Customer, tk.PostURL = "webhook:twitter", "X (Twitter)", tt.customer, tt.postURL
			if _, err := d.PostTicket(context.Background(), tk); err != nil {
				t.Fatal(err)
			}
			shown := sim.Roots()[0].Rendered()
			for _, w := range tt.want {
				if !strings.Contains(shown, w) {
					t.Errorf("the root lacks %q:\n%s", w, shown)
				}
			}
			for _, w := range tt.wantNever {
				if strings.Contains(shown, w) {
					t.Errorf("the root shows %q:\n%s", w, shown)
				}
			}
		})
	}
}

// TestTeamChannel: a team's ticket is posted, threaded, re-rendered and
// marked in its team's channel, and a team's announcement goes there; the
// desk's own channel hears none of it.
func TestTeamChannel(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	sim.AddChannel("C0BILLING", "billing", true)
	o := deskOptions(sim)
	o.TeamChannels = map[string]string{"C0BILLING": "billing"}
	d, err := slackdesk.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tk := bot.Ticket{ID: 3, Source: "telegram", Customer: bot.Customer{ID: "1", Name: "Jane"}, Text: "charged twice",
		State: bot.Open, OpenedAt: now, Deadline: now.Add(time.Hour), Team: "billing", Channel: "C0BILLING"}
	if tk.DeskThread, err = d.PostTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PostMessage(ctx, tk, bot.Message{ID: 9, TicketID: 3, Kind: bot.Notice, Text: "⏰ half the time is gone"}); err != nil {
		t.Fatal(err)
	}
	moved := "↪️ moved here from tr-care (" + bot.ThreadLink("C0BILLING", "1700000000.000100") + "); a customer wrote " + bot.Quote(bot.ThreadLink("C0EVIL", "1.2"))
	if _, err := d.PostMessage(ctx, tk, bot.Message{ID: 10, TicketID: 3, Kind: bot.Notice, Text: moved}); err != nil {
		t.Fatal(err)
	}
	if err := d.UpdateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if err := d.Announce(ctx, "C0BILLING", "🔁 Hand-over for billing"); err != nil {
		t.Fatal(err)
	}
	for _, m := range sim.Messages() {
		if m.Channel != "C0BILLING" {
			t.Errorf("%q was posted in %s, want the team's channel C0BILLING", m.Text, m.Channel)
		}
	}
	thread := sim.Thread(tk.DeskThread)
	if len(thread) != 2 || !strings.Contains(thread[0].Text, "half the time") {
		t.Fatalf("the ticket's thread holds %+v, want the notices", thread)
	}
	link := "(<https://caredesk-sim.slack.com/archives/C0BILLING/p1700000000000100|the earlier thread>); a customer wrote &lt;thread:C0EVIL/1.2&gt;"
	if !strings.Contains(thread[1].Text, link) {
		t.Errorf("the move's notice reads %q, want the earlier thread as a link and the customer's words as text: %q", thread[1].Text, link)
	}
}

// TestPacedAfterA429: against a channel that takes 10 posts a second,
// caredesk posts freely until the first 429, then keeps to the pace: a
// stream of posts meets that one 429, not one every few posts.
func TestPacedAfterA429(t *testing.T) {
	sim := newSim(t, slacksim.Options{PostRate: 10, PostBurst: 2})
	o := deskOptions(sim)
	o.PostRate, o.PostBurst = 10, 2
	d, err := slackdesk.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	posted := 0
	for i := range 20 {
		err := d.Announce(context.Background(), "", fmt.Sprintf("🔁 notice %d", i))
		if ra := bot.RetryAfterOf(err); ra > 0 {
			// What the courier does: try again, paced.
			err = d.Announce(context.Background(), "", fmt.Sprintf("🔁 notice %d", i))
		}
		if err != nil {
			t.Fatalf("notice %d: %v", i, err)
		}
		posted++
	}
	if n := sim.Limited(); n != 1 {
		t.Errorf("Slack answered %d posts with 429, want only the first over its pace", n)
	}
	if n := len(sim.Roots()); n != posted {
		t.Errorf("%d notices in the channel, want %d", n, posted)
	}
}
