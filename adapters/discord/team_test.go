package discord_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/sim/discordsim"
)

// The teams' channels of the tests: one text channel, one forum.
const (
	billingText = "500000000000000001"
	roForum     = "500000000000000002"
)

// TestTeamChannels: each team's tickets and announcements go to its own
// channel, text or forum, whatever the desk's own channel is.
func TestTeamChannels(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	sim.AddChannel(discordsim.Channel{ID: billingText, Type: discordsim.ChannelText, Name: "billing"})
	sim.AddChannel(discordsim.Channel{ID: roForum, Type: discordsim.ChannelForum, Name: "ro-care"})
	d := newDiscord(t, sim, func(o *discord.Options) {
		o.TeamChannels = map[string]string{billingText: "billing", roForum: "ro-care"}
	})
	ctx := context.Background()
	for _, tt := range []struct {
		channel string
		forum   bool
		message int64 // the notice's id: Discord takes one message of a nonce
	}{{billingText, false, 1}, {roForum, true, 2}} {
		tk := bot.Ticket{ID: 7, Source: "telegram", Customer: bot.Customer{ID: "1", Name: "Ioana"}, Text: "charged twice",
			State: bot.Open, OpenedAt: now, Deadline: now.Add(time.Hour), Channel: tt.channel}
		thread, err := d.PostTicket(ctx, tk)
		if err != nil {
			t.Fatal(err)
		}
		info, ok := sim.ChannelInfo(thread)
		if !ok || info.ParentID != tt.channel {
			t.Errorf("the ticket's thread %s is in %+v, want a thread of %s", thread, info, tt.channel)
		}
		if _, err := d.PostMessage(ctx, bot.Ticket{ID: 7, DeskThread: thread, Channel: tt.channel},
			bot.Message{ID: tt.message, TicketID: 7, Kind: bot.Notice, Text: "↪️ moved here (" + bot.ThreadLink("", "600000000000000001") + ")"}); err != nil {
			t.Fatal(err)
		}
		if msgs := sim.Thread(thread); len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Content, "moved here (<#600000000000000001>)") {
			t.Errorf("the move's notice is %+v, want the earlier thread as its channel mention", msgs)
		}
		if err := d.Announce(ctx, tt.channel, "🔁 Hand-over for the team (<#"+tt.channel+">)"); err != nil {
			t.Fatal(err)
		}
		where := tt.channel
		if tt.forum {
			where = "" // the forum's announcements post
			for _, p := range sim.Threads(tt.channel) {
				if p.Name == "caredesk · announcements" {
					where = p.ID
				}
			}
		}
		msgs := sim.ChannelMessages(where)
		if len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Content, "Hand-over for the team (<#"+tt.channel+">)") {
			t.Errorf("the team's announcement is not in %s (forum %v): %+v", tt.channel, tt.forum, msgs)
		}
	}
	for _, m := range sim.ChannelMessages(sim.Options().DeskChannelID) {
		t.Errorf("the desk's own channel got %q", m.Content)
	}
}

// TestTeamChannelsCheckedAtStart: every team channel the bot cannot use
// is named at start, all at once.
func TestTeamChannelsCheckedAtStart(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	sim.AddChannel(discordsim.Channel{ID: billingText, Type: discordsim.ChannelText, Name: "billing", Hidden: true})
	o := options(sim)
	o.TeamChannels = map[string]string{billingText: "billing", roForum: "ro-care"}
	_, err := discord.New(context.Background(), o)
	if err == nil {
		t.Fatal("caredesk started with team channels it cannot use")
	}
	for _, want := range []string{"the channel of team billing " + billingText, "the channel of team ro-care " + roForum} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not name %q", err.Error(), want)
		}
	}
}
