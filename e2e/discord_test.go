package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"caredesk/handlers"
	"caredesk/sim/discordsim"
)

func newDiscord(t *testing.T) *discordsim.Server {
	t.Helper()
	d, err := discordsim.New(discordsim.Options{HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	for _, u := range []discordsim.User{
		{ID: "400000000000000001", Username: "alice"}, {ID: "400000000000000002", Username: "bob"},
		{ID: "500000000000000001", Username: "mert", GlobalName: "Mert Kaya"},
	} {
		d.AddUser(u)
	}
	return d
}

// waitDiscord fails the test if cond is not true within 15 s.
func waitDiscord(t *testing.T, d *discordsim.Server, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := d.Wait(ctx, cond); err != nil {
		t.Fatalf("waited 15 s for %s: %v", what, err)
	}
}

// TestDiscordDesk: the whole story with the team working in Discord.
func TestDiscordDesk(t *testing.T) {
	d := newDiscord(t)
	o := d.Options()
	r := newRig(t, rigOptions{env: map[string]string{
		"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL_ID": "", "SLACK_SIGNING_SECRET": "",
		"DISCORD_BOT_TOKEN": o.Token, "DISCORD_APPLICATION_ID": o.ApplicationID, "DISCORD_GUILD_ID": o.GuildID,
		"DISCORD_DESK_CHANNEL_ID": o.DeskChannelID, "DISCORD_API_URL": d.URL(),
	}})
	r.start()
	cmds := d.Commands(o.GuildID)
	if len(cmds) != 1 || cmds[0].Name != "desk" || len(cmds[0].Options) != len(handlers.Commands) {
		t.Errorf("registered commands %+v, want /desk with one subcommand per grammar entry (%d)", cmds, len(handlers.Commands))
	}

	jane := customer(71, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "The parcel is damaged @everyone")
	waitDiscord(t, d, "the ticket's thread", func() bool { return len(d.Threads(o.DeskChannelID)) == 1 })
	r.recorded(1)
	thread := d.Threads(o.DeskChannelID)[0]
	starter, _ := d.Message(thread.ID) // a thread started from a message has its id
	embed, _ := starter.Embed()
	if !strings.Contains(embed.Title, "#1 · Telegram") || starter.AllowedMentions.Sent == false || len(starter.AllowedMentions.Parse) != 0 {
		t.Errorf("starter %+v, embed %+v: want the ticket, with no mentions allowed", starter, embed)
	}

	answer, err := d.SlashCommand("400000000000000001", "claim", nil, thread.ID).Wait(context.Background(), discordsim.Response.Done)
	if err != nil || !answer.Ephemeral || !strings.HasPrefix(answer.Content, "You own #1 now.") {
		t.Errorf("/desk claim in the thread answered %+v, %v", answer, err)
	}
	d.UserWrites(thread.ID, "400000000000000001", "So sorry, Jane! A new one ships today.")
	r.wait("the answer in Telegram", func() bool { return len(r.sentTo(jane.ID)) == 1 })
	if got := r.sentTo(jane.ID)[0]; got != "So sorry, Jane! A new one ships today." {
		t.Errorf("Jane received %q", got)
	}
	d.UserWrites(thread.ID, "400000000000000002", "I can call the courier")
	d.React("400000000000000001", o.DeskChannelID, starter.ID, "✅")
	waitDiscord(t, d, "the starter to say resolved", func() bool {
		m, _ := d.Message(starter.ID)
		e, _ := m.Embed()
		return strings.Contains(e.Description+fieldsText(e), "Resolved")
	})
	if n := len(r.sentTo(jane.ID)); n != 1 {
		t.Errorf("Jane received %d messages; bob's note must stay inside", n)
	}

	// The figures, as on Slack: at once for alice, the charts in her
	// direct messages as attachments with alt text.
	answer, err = d.SlashCommand("400000000000000001", "report", map[string]any{"period": "today", "source": "telegram"}, o.DeskChannelID).
		Wait(context.Background(), discordsim.Response.Done)
	if err != nil || !answer.Ephemeral || !strings.Contains(answer.Content, "Complaints 1 · answered by a person 1 (100 %)") {
		t.Errorf("/desk report answered %+v, %v", answer, err)
	}
	var charts []discordsim.Attachment
	waitDiscord(t, d, "the charts", func() bool {
		charts = nil
		for _, m := range d.Messages() {
			if m.ChannelID != o.DeskChannelID && m.ChannelID != thread.ID {
				charts = append(charts, m.Uploads...)
			}
		}
		return len(charts) == 3
	})
	for _, c := range charts {
		if !strings.HasSuffix(c.Filename, ".png") || c.Description == "" || len(c.Data) < 1000 {
			t.Errorf("chart %q, alt %q, %d bytes", c.Filename, c.Description, len(c.Data))
		}
	}
}

func fieldsText(e discordsim.Embed) string {
	var b strings.Builder
	for _, f := range e.Fields {
		b.WriteString(f.Name + " " + f.Value + "\n")
	}
	return b.String()
}

// TestDiscordCommunityToSlack: a customer complains in the brand's Discord
// server; the team answers from Slack; the customer gets a reply to their
// message in Discord.
func TestDiscordCommunityToSlack(t *testing.T) {
	d := newDiscord(t)
	o := d.Options()
	support := o.SourceChannelIDs[0]
	r := newRig(t, rigOptions{env: map[string]string{
		"DISCORD_BOT_TOKEN": o.Token, "DISCORD_SOURCE_CHANNEL_IDS": support, "DISCORD_API_URL": d.URL(),
	}})
	r.start()
	waitDiscord(t, d, "the gateway connection", d.Connected)
	msg := d.UserWrites(support, "500000000000000001", "The app crashes at checkout <@&1> [free nitro](https://evil.example)")
	r.wait("the Slack thread", func() bool { return len(r.roots()) == 1 })
	root := r.root(1)
	if shown := root.Rendered(); !strings.Contains(shown, "#1 · Discord") || !strings.Contains(shown, "Mert Kaya") {
		t.Errorf("root:\n%s", shown)
	}
	r.command("UALICE", "alice", "claim 1")
	r.post("UALICE", root.TS, "Fixed in 4.2, sorry Mert!")
	waitDiscord(t, d, "the reply in Discord", func() bool {
		for _, m := range d.ChannelMessages(support) {
			if m.AuthorID == o.BotUserID && m.Reference != nil && m.Reference.MessageID == msg {
				return true
			}
		}
		return false
	})
	// The gateway drops; the customer writes while caredesk reconnects.
	// The message arrives once, in the same thread.
	resumes := d.Resumes()
	d.DropConnection()
	d.UserWrites(support, "500000000000000001", "Still crashing after the update")
	waitDiscord(t, d, "the resumed session", func() bool { return d.Resumes() > resumes })
	r.wait("the follow-up in the thread", func() bool { return threadHas(r, root.TS, "Still crashing") })

	// Bots, including caredesk itself, never open tickets.
	d.UserWrites(support, o.BotUserID, "echo")
	r.post("UALICE", root.TS, "Anything else?")
	waitDiscord(t, d, "the second reply", func() bool {
		n := 0
		for _, m := range d.ChannelMessages(support) {
			if m.AuthorID == o.BotUserID {
				n++
			}
		}
		return n >= 3
	})
	if n := len(r.roots()); n != 1 {
		t.Errorf("%d tickets; the bot's own messages must not open any", n)
	}
	follow := 0
	for _, m := range r.slack.Thread(root.TS) {
		if strings.Contains(m.Rendered(), "Still crashing") {
			follow++
		}
	}
	if follow != 1 {
		t.Errorf("the message sent during the reconnect is in the thread %d times, want once", follow)
	}
}

// TestMentionsReachCustomersAsNames: an agent's reply that mentions a
// colleague reaches the customer with the colleague's name, not the
// desk's markup.
func TestMentionsReachCustomersAsNames(t *testing.T) {
	t.Run("slack", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.start()
		jane := customer(81, "Jane", "jane")
		r.tg.CustomerWrites(jane.ID, jane, "Who can help me?")
		r.wait("the thread", func() bool { return len(r.roots()) == 1 })
		r.command("UALICE", "alice", "claim 1")
		r.post("UALICE", r.root(1).TS, "@bob from billing will call you today.")
		r.wait("the answer", func() bool { return len(r.sentTo(jane.ID)) == 1 })
		if got := r.sentTo(jane.ID)[0]; got != "@bob from billing will call you today." {
			t.Errorf("Jane read %q", got)
		}
	})
	t.Run("discord", func(t *testing.T) {
		d := newDiscord(t)
		o := d.Options()
		r := newRig(t, rigOptions{env: map[string]string{
			"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL_ID": "", "SLACK_SIGNING_SECRET": "",
			"DISCORD_BOT_TOKEN": o.Token, "DISCORD_APPLICATION_ID": o.ApplicationID, "DISCORD_GUILD_ID": o.GuildID,
			"DISCORD_DESK_CHANNEL_ID": o.DeskChannelID, "DISCORD_API_URL": d.URL(),
		}})
		r.start()
		jane := customer(82, "Jane", "jane")
		r.tg.CustomerWrites(jane.ID, jane, "Who can help me?")
		waitDiscord(t, d, "the thread", func() bool { return len(d.Threads(o.DeskChannelID)) == 1 })
		r.recorded(1)
		thread := d.Threads(o.DeskChannelID)[0]
		if _, err := d.SlashCommand("400000000000000001", "claim", nil, thread.ID).Wait(context.Background(), discordsim.Response.Done); err != nil {
			t.Fatal(err)
		}
		d.UserWrites(thread.ID, "400000000000000001", "<@400000000000000002> from billing will call you today.")
		r.wait("the answer", func() bool { return len(r.sentTo(jane.ID)) == 1 })
		if got := r.sentTo(jane.ID)[0]; got != "@bob from billing will call you today." {
			t.Errorf("Jane read %q", got)
		}
	})
}
