package discord_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"caredesk/bot"
	"caredesk/sim/discordsim"
)

// hidden matches what a reader cannot see but a screen or terminal obeys:
// C0 controls (other than tab and line feed), DEL and C1, escape
// sequences, bidi overrides and isolates.
var hidden = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f-\u009f\u202a-\u202e\u2066-\u2069]")

// lead is the team lead whom a hostile customer tries to ping.
const lead = "400000000000000099"

// hostileName is a customer's display name written to ping everyone and
// the team's lead, with a bidi override, an escape sequence and a NUL.
const hostileName = "@everyone <@" + lead + "> <@&987> \u202egpj.exe \x1b[31mred\x1b[0m\x00"

// forged is a customer's message written to pass for caredesk's own lines.
const forged = "**✅ Resolved** by <@" + lead + ">\n⚠️ @here your reply was NOT delivered\n\u2066<!here>\u2069"

func TestOutsideTextIsDataEverywhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	tk := ticket()
	tk.Customer.Name = hostileName
	tk.Text = forged
	thread, err := d.PostTicket(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	tk.DeskThread = thread

	type shown struct {
		text    string
		allowed discordsim.AllowedMentions
	}
	last := func(channel string) func() []shown {
		return func() []shown {
			ms := sim.ChannelMessages(channel)
			m := ms[len(ms)-1]
			return []shown{{m.Content, m.AllowedMentions}}
		}
	}
	tests := []struct {
		name  string
		post  func() error
		got   func() []shown
		want  string   // in what the desk received: the outside text, shown
		users []string // caredesk's own mentions, the only users allowed to be pinged
		here  bool     // caredesk's own @here
	}{
		{"customer name and text on the starter message", func() error { return nil }, func() []shown {
			m, _ := sim.Message(thread)
			return []shown{{m.Rendered(), m.AllowedMentions}}
		}, "> **✅ Resolved** by <\u200b@" + lead + ">\n> ⚠️ @\u200bhere your reply was NOT delivered\n> <!here>\nCustomer: @\u200beveryone <\u200b@" + lead + "\\> <\u200b@&987\\> gpj.exe red (@jane)", nil, false},
		{"customer message in the thread", func() error {
			_, err := d.PostMessage(ctx, tk, bot.Message{ID: 1, Kind: bot.FromCustomer, Text: forged})
			return err
		}, last(thread), "**@\u200beveryone <\u200b@" + lead + "\\> <\u200b@&987\\> gpj.exe red (@jane)**:\n> **✅ Resolved** by <\u200b@" + lead + ">\n> ⚠️ @\u200bhere your reply was NOT delivered\n> <!here>", nil, false},
		{"bridge's reason in a notice", func() error {
			_, err := d.PostMessage(ctx, tk, bot.Message{ID: 2, Kind: bot.Notice,
				Text: "⚠️ <@" + alice + ">, X could NOT post your reply: " + bot.Quote("@everyone moderation <@"+lead+">\n**✅ Resolved**") + ". Try again."})
			return err
		}, last(thread), "⚠️ <@" + alice + ">, X could NOT post your reply: @\u200beveryone moderation <\u200b@" + lead + "\\> \\*\\*✅ Resolved\\*\\*. Try again.", []string{alice}, false},
		{"bridge's error body in the failed-reply notice", func() error {
			_, err := d.PostMessage(ctx, tk, bot.Message{ID: 3, Kind: bot.Notice,
				Text: "⚠️ <@" + alice + ">, your reply was NOT delivered to the customer: " + bot.Quote(`webhook x: 422: {"error":"<!here> <@&987>"}`) + "."})
			return err
		}, last(thread), `customer: webhook x: 422: {"error":"<!here\> <` + "\u200b" + `@&987\>"}.`, []string{alice}, false},
		{"customer name in a page", func() error {
			return d.DirectMessage(ctx, bob, "🚨 #12 from "+bot.Quote(hostileName)+" on Telegram missed its target.")
		}, func() []shown { return last(sim.DMChannel(bob))() }, "🚨 #12 from @\u200beveryone <\u200b@" + lead + "\\> <\u200b@&987\\> gpj.exe red on Telegram", nil, false},
		{"customer name in an announcement", func() error {
			return d.Announce(ctx, "", bot.Here+" <@"+bob+"> #12 from "+bot.Quote(hostileName)+" waits.")
		}, last(sim.Options().DeskChannelID), "@here <@" + bob + "> #12 from @\u200beveryone <\u200b@" + lead + "\\> <\u200b@&987\\> gpj.exe red waits.", []string{bob}, true},
		{"customer name in a whisper", func() error {
			return d.Whisper(ctx, tk, alice, "#12 · Telegram · "+bot.Quote(hostileName)+" · open")
		}, last(thread), "<@" + alice + "> #12 · Telegram · @\u200beveryone <\u200b@" + lead + "\\> <\u200b@&987\\> gpj.exe red · open", []string{alice}, false},
	}
	// A thread's name shows no markup, so it is only cleaned.
	if ch, _ := sim.ChannelInfo(thread); hidden.MatchString(ch.Name) || !strings.Contains(ch.Name, "gpj.exe red") {
		t.Errorf("thread name %q; want the customer's name without control characters", ch.Name)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.post(); err != nil {
				t.Fatal(err)
			}
			all := ""
			for _, s := range tt.got() {
				all += s.text + "\n"
				a := s.allowed
				if !a.Sent || len(a.Roles) != 0 || slices.Contains(a.Parse, "users") || slices.Contains(a.Parse, "roles") ||
					slices.Contains(a.Parse, "everyone") != tt.here || !slices.Equal(a.Users, tt.users) {
					t.Errorf("allowed_mentions %+v; want users %v and @here %v only", a, tt.users, tt.here)
				}
				own := s.text
				for _, u := range tt.users {
					own = strings.ReplaceAll(own, "<@"+u+">", "")
				}
				if tt.here {
					own = strings.Replace(own, "@here", "", 1)
				}
				if m := pinging.FindString(own); m != "" {
					t.Errorf("%q would ping or mention, in\n%s", m, s.text)
				}
				if m := hidden.FindString(s.text); m != "" {
					t.Errorf("%q reached the desk, in %q", m, s.text)
				}
				for _, line := range strings.Split(s.text, "\n") {
					if strings.HasPrefix(line, "**✅ Resolved**") || strings.HasPrefix(line, "⚠️ @") {
						t.Errorf("a customer's line passes for caredesk's: %q", line)
					}
				}
			}
			if !strings.Contains(all, tt.want) {
				t.Errorf("the desk shows\n%s\nwant it to contain\n%s", all, tt.want)
			}
		})
	}
}
