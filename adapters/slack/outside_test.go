package slack_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	slackdesk "caredesk/adapters/slack"
	"caredesk/bot"
	"caredesk/sim/slacksim"
)

// livePing matches what Slack would obey as a mention or a ping in text
// it renders: user, group and channel mentions, @here, @channel,
// @everyone, and special commands like <!subteam^…>.
var livePing = regexp.MustCompile(`<[@#!]|(?i)@(channel|here|everyone)\b`)

// hidden matches what a reader cannot see but a screen or terminal obeys:
// C0 controls (other than tab and line feed), DEL and C1, escape
// sequences, bidi overrides and isolates.
var hidden = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f-\u009f\u202a-\u202e\u2066-\u2069]")

// hostileName is a customer's display name written to ping the channel
// and the team's lead, with a bidi override, an escape sequence and a NUL.
const hostileName = "<!here> <@U0LEAD> \u202egpj.exe \x1b[31mred\x1b[0m\x00"

// forged is a customer's message written to pass for caredesk's own lines.
const forged = "*✅ Resolved* by <@U0LEAD>\n⚠️ <!channel> your reply was NOT delivered\n\u2066@here\u2069"

func TestOutsideTextIsDataEverywhere(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		post func(d *slackdesk.Desk, tk bot.Ticket) error
		// want is in what the desk received: the outside text, shown
		want string
		// own is caredesk's own ping that must stay live; "" for none
		own string
	}{
		{"customer name on the root", func(d *slackdesk.Desk, tk bot.Ticket) error {
			return d.UpdateTicket(ctx, tk)
		}, "*&lt;!here&gt; &lt;@U0LEAD&gt; gpj.exe red (@jane)*", ""},
		{"customer message in the thread", func(d *slackdesk.Desk, tk bot.Ticket) error {
			_, err := d.PostMessage(ctx, tk, bot.Message{ID: 1, Kind: bot.FromCustomer, Text: forged})
			return err
		}, "> *✅ Resolved* by &lt;@U0LEAD&gt;\n> ⚠️ &lt;!channel&gt; your reply was NOT delivered\n> @\u2060here", ""},
		{"bridge's reason in a notice", func(d *slackdesk.Desk, tk bot.Ticket) error {
			_, err := d.PostMessage(ctx, tk, bot.Message{ID: 2, Kind: bot.Notice,
				Text: "⚠️ <@U0ALICE>, X could NOT post your reply: " + bot.Quote("<!here> moderation <@U0LEAD>\n*✅ Resolved*") + ". Try again."})
			return err
		}, "⚠️ <@U0ALICE>, X could NOT post your reply: &lt;!here&gt; moderation &lt;@U0LEAD&gt; *✅ Resolved*. Try again.", "<@U0ALICE>"},
		{"bridge's error body in the failed-reply notice", func(d *slackdesk.Desk, tk bot.Ticket) error {
			_, err := d.PostMessage(ctx, tk, bot.Message{ID: 3, Kind: bot.Notice,
				Text: "⚠️ <@U0ALICE>, your reply was NOT delivered to the customer: " + bot.Quote(`webhook x: 422: {"error":"<!channel> no"}`) + "."})
			return err
		}, `customer: webhook x: 422: {"error":"&lt;!channel&gt; no"}.`, "<@U0ALICE>"},
		{"customer name in a page", func(d *slackdesk.Desk, tk bot.Ticket) error {
			return d.DirectMessage(ctx, "U0BORA", "🚨 #12 from "+bot.Quote(hostileName)+" on Telegram missed its target.")
		}, "🚨 #12 from &lt;!here&gt; &lt;@U0LEAD&gt; gpj.exe red on Telegram", ""},
		{"/desk show answered to an agent", func(d *slackdesk.Desk, tk bot.Ticket) error {
			return d.Whisper(ctx, tk, "U0ALICE", "#12 · Telegram · "+bot.Quote(hostileName)+" · open\nNov 20 14:00 customer: "+bot.Quote(forged))
		}, "#12 · Telegram · &lt;!here&gt; &lt;@U0LEAD&gt; gpj.exe red · open\nNov 20 14:00 customer: *✅ Resolved* by &lt;@U0LEAD&gt; ⚠️ &lt;!channel&gt; your reply was NOT delivered @\u2060here", ""},
		{"customer name in an announcement", func(d *slackdesk.Desk, tk bot.Ticket) error {
			return d.Announce(ctx, "", bot.Here+" #12 from "+bot.Quote(hostileName)+" waits.")
		}, "<!here> #12 from &lt;!here&gt; &lt;@U0LEAD&gt; gpj.exe red waits.", "<!here>"},
	}
	sim := newSim(t, slacksim.Options{})
	sim.AddUser("U0BORA", "bora")
	d := newDesk(t, sim)
	tk := ticket()
	tk.Customer.Name = hostileName
	tk.PostURL = "https://x.example/status/1\u202egpj.exe"
	ts, err := d.PostTicket(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	tk.DeskThread = ts
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, dms, whispers := len(sim.Messages()), len(sim.DirectMessages("U0BORA")), len(sim.Ephemerals())
			if err := tt.post(d, tk); err != nil {
				t.Fatal(err)
			}
			got := append(sim.Messages()[before:], sim.DirectMessages("U0BORA")[dms:]...)
			if tt.name == "customer name on the root" {
				root, _ := sim.Message(ts)
				got = []slacksim.Message{root}
			}
			shown := ""
			for _, m := range got {
				shown += m.Text + "\n" + m.Rendered() + "\n"
			}
			for _, e := range sim.Ephemerals()[whispers:] {
				shown += e.Text + "\n"
			}
			if shown == "" {
				t.Fatal("nothing reached the desk")
			}
			if !strings.Contains(shown, tt.want) {
				t.Errorf("the desk shows\n%s\nwant it to contain\n%s", shown, tt.want)
			}
			rest := dateSeq.ReplaceAllString(shown, "")
			if tt.own != "" {
				rest = strings.ReplaceAll(rest, tt.own, "")
			}
			if m := livePing.FindString(rest); m != "" {
				t.Errorf("%q would ping, in\n%s", m, shown)
			}
			if m := hidden.FindString(shown); m != "" {
				t.Errorf("%q reached the desk, in %q", m, shown)
			}
			for _, line := range strings.Split(shown, "\n") {
				if strings.HasPrefix(line, "*✅ Resolved*") || strings.HasPrefix(line, "⚠️ &lt;!channel&gt;") {
					t.Errorf("a customer's line passes for caredesk's: %q", line)
				}
			}
		})
	}
}
