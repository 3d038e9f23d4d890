package discord_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/sim/discordsim"
)

func TestEmojiOnAStarterMessageClaimAndResolve(t *testing.T) {
	t.Parallel()
	for _, forum := range []bool{false, true} {
		t.Run(fmt.Sprintf("forum=%v", forum), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{DeskForum: forum})
			d := newDiscord(t, sim)
			c := &core{}
			run(t, sim, d, c, nil)
			tk := posted(t, d)
			starterIn := sim.Options().DeskChannelID
			if forum {
				starterIn = tk.DeskThread
			}
			agentMsg := sim.UserWrites(tk.DeskThread, bob, "I'll take it")
			sim.React(bob, tk.DeskThread, agentMsg, "🙋")        // not a starter message: ignored
			sim.React(alice, starterIn, tk.DeskThread, "👍")     // another emoji: ignored
			sim.React(other, starterIn, tk.DeskThread, "🙋")     // a bot: ignored
			sim.React(alice, starterIn, tk.DeskThread, "🙋🏽‍♀️") // skin tone and gender count as 🙋
			sim.React(alice, starterIn, tk.DeskThread, "✅")
			got := c.waitFor(t, 3)
			al := bot.Agent{ID: alice, Name: "Alice Agent"}
			want := []bot.Action{
				{Verb: bot.DoSay, Thread: tk.DeskThread, Agent: bot.Agent{ID: bob, Name: "bob"}, Text: "I'll take it", Ref: agentMsg, EventID: "message:" + agentMsg, Whisper: true},
				{Verb: bot.DoClaim, Thread: tk.DeskThread, Agent: al, Whisper: true},
				{Verb: bot.DoResolve, Thread: tk.DeskThread, Agent: al, Whisper: true},
			}
			for i := range got {
				if i > 0 && !strings.HasPrefix(got[i].EventID, "reaction:") {
					t.Errorf("action %d has event id %q", i, got[i].EventID)
				}
				if i > 0 {
					got[i].EventID = ""
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the core got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestThreadMessagesAreSaidAndOthersIgnored(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	c := &core{answer: func(n int, a bot.Action) (bot.Result, error) {
		if n == 0 {
			return bot.Result{}, bot.Errorf(bot.EFORBIDDEN, "#12 belongs to <@%s>.", bob)
		}
		return bot.Result{}, nil
	}}
	run(t, sim, d, c, nil)
	tk := posted(t, d)
	desk := sim.Options().DeskChannelID
	sim.AddChannel(discordsim.Channel{ID: "700000000000000001", Name: "general"})
	sim.UserWrites(tk.DeskThread, other, "a bot in the thread")                     // other bots: ignored
	sim.UserWrites(desk, alice, "chatting in the desk channel")                     // not in a ticket: ignored
	sim.UserWrites("700000000000000001", alice, "lunch?")                           // another channel: ignored
	first := sim.UserWrites(tk.DeskThread, alice, "Refund issued <:parcel:123456>") // said
	if _, err := d.PostMessage(context.Background(), tk, bot.Message{ID: 1, Kind: bot.Notice, Text: "caredesk's own"}); err != nil {
		t.Fatal(err) // the bot's own message comes back on the gateway: ignored
	}
	last := sim.UserPosts(tk.DeskThread, bob, discordsim.Post{Content: "note: see photo", Attachments: []string{"box.png"}})
	got := c.waitFor(t, 2)
	if len(got) != 2 || got[0].Verb != bot.DoSay || got[0].Text != "Refund issued :parcel:" || got[0].Ref != first || len(got[0].Files) != 0 ||
		got[1].Ref != last || got[1].Text != "note: see photo" || len(got[1].Files) != 1 {
		t.Fatalf("the core got %+v", got)
	}
	// The photo goes as a file, not as a link in the words.
	if f := got[1].Files[0]; f.Name != "box.png" || f.Kind != bot.FilePhoto || f.MIME != "image/png" || f.From != bot.FromDesk || !strings.HasSuffix(f.Origin, "/box.png") {
		t.Errorf("the agent's file is %+v", f)
	}
	// The refusal is told to the agent in the thread, pinging only them.
	// It may land before or after bob's post, which raced it.
	refusal := func() (discordsim.Message, bool) {
		for _, m := range sim.Thread(tk.DeskThread) {
			if strings.Contains(m.Content, "#12 belongs to") {
				return m, true
			}
		}
		return discordsim.Message{}, false
	}
	wait(t, sim, "the refusal", func() bool { _, ok := refusal(); return ok })
	if w, _ := refusal(); w.Content != "<@"+alice+"> #12 belongs to <@"+bob+">." || len(w.AllowedMentions.Users) != 1 || w.AllowedMentions.Users[0] != alice {
		t.Errorf("the agent was told %q, pinging %+v", w.Content, w.AllowedMentions)
	}
}

func TestCustomersMessagesBecomeComplaints(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	in := &inbox{}
	run(t, sim, d, nil, in)
	support, complaints := sim.Options().SourceChannelIDs[0], sim.Options().SourceChannelIDs[1]
	sim.AddChannel(discordsim.Channel{ID: "700000000000000001", Name: "general"})
	sim.AddChannel(discordsim.Channel{ID: "700000000000000002", Name: "help", Type: discordsim.ChannelForum})
	sim.AddChannel(discordsim.Channel{ID: "700000000000000003", Name: "My order", Type: discordsim.ChannelPublicThread, ParentID: support})

	sim.UserWrites("700000000000000001", jane, "not a support channel")
	sim.UserWrites(support, other, "a bot's message")
	m1 := sim.UserWrites(support, jane, "My parcel is lost @everyone")
	m2 := sim.UserPosts(complaints, bob, discordsim.Post{Content: "", Attachments: []string{"receipt.pdf"}})
	m3 := sim.UserDMs(jane, "hello in private")
	m4 := sim.UserWrites("700000000000000003", jane, "in a thread of #support")
	got := in.waitFor(t, 4)
	want := []bot.Inbound{
		{Source: "discord", MessageID: m1, Conversation: support, Customer: bot.Customer{ID: jane, Name: "Jane Doe", Handle: "jane"}, Text: "My parcel is lost @everyone"},
		{Source: "discord", MessageID: m2, Conversation: complaints, Customer: bot.Customer{ID: bob, Name: "bob", Handle: "bob"}, Text: "📎 receipt.pdf"},
		{Source: "discord", MessageID: m3, Conversation: sim.DMChannel(jane), Customer: bot.Customer{ID: jane, Name: "Jane Doe", Handle: "jane"}, Text: "hello in private", Private: true},
		{Source: "discord", MessageID: m4, Conversation: "700000000000000003", Customer: bot.Customer{ID: jane, Name: "Jane Doe", Handle: "jane"}, Text: "in a thread of #support"},
	}
	if len(got) != len(want) {
		t.Fatalf("the core received %+v", got)
	}
	for i := range want {
		g := got[i]
		if g.At.IsZero() || time.Since(g.At) > time.Minute {
			t.Errorf("message %d: At = %v, want when it was written", i, g.At)
		}
		if wantURL := "https://discord.com/channels/" + sim.Options().GuildID + "/" + g.Conversation + "/" + g.MessageID; g.PostURL != wantURL && g.Conversation != sim.DMChannel(jane) {
			t.Errorf("message %d links to %q, want %q", i, g.PostURL, wantURL)
		}
		// The receipt is a file, whose address is no longer in the words.
		if i == 1 && (len(g.Files) != 1 || g.Files[0].Name != "receipt.pdf" || g.Files[0].Kind != bot.FileDocument || g.Files[0].From != "discord" ||
			!strings.HasSuffix(g.Files[0].Origin, "/receipt.pdf") || len(g.Attachments) != 0) {
			t.Errorf("message %d has files %+v and links %q; want the receipt as a file", i, g.Files, g.Attachments)
		}
		g.At, g.PostURL, g.Files = time.Time{}, "", nil
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("message %d = %+v\nwant %+v", i, g, want[i])
		}
	}
}

func TestDirectMessagesOnlyWhenAccepted(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim, func(o *discord.Options) { o.AcceptDMs = false })
	in := &inbox{}
	run(t, sim, d, nil, in)
	sim.UserDMs(jane, "hello?")
	last := sim.UserWrites(sim.Options().SourceChannelIDs[0], jane, "in public")
	if got := in.waitFor(t, 1); len(got) != 1 || got[0].MessageID != last {
		t.Errorf("the core received %+v; want only the public message", got)
	}
}

func TestACustomerMessageTheCoreCannotStoreIsAskedAgain(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	logs := &logBuffer{}
	d := newDiscord(t, sim, func(o *discord.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	in := &inbox{fail: func(n int, in bot.Inbound) error {
		switch {
		case in.Text == "lost" || (in.Text == "first" && n == 0):
			return errInternal
		case in.Text == "refused":
			return bot.Errorf(bot.EINVALID, "cannot be filed")
		}
		return nil
	}}
	run(t, sim, d, nil, in)
	support := sim.Options().SourceChannelIDs[0]
	sim.UserWrites(support, jane, "first")
	sim.UserWrites(support, jane, "refused")
	lost := sim.UserWrites(support, jane, "lost")
	sim.UserWrites(support, jane, "after")
	got := in.waitFor(t, 2+1+5+1)
	var texts []string
	for _, g := range got {
		texts = append(texts, g.Text)
	}
	want := "first first refused lost lost lost lost lost after"
	if strings.Join(texts, " ") != want {
		t.Errorf("the core was asked %q, want %q: in order, failures again, refusals once", strings.Join(texts, " "), want)
	}
	logs.waitFor(t, "LOST a Discord message")
	if !strings.Contains(logs.String(), lost) {
		t.Errorf("the lost message's link is not in the log:\n%s", logs)
	}
}

func TestAgentEventsTheCoreFailsOnAreAskedAgainThenApologised(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	c := &core{answer: func(int, bot.Action) (bot.Result, error) { return bot.Result{}, errInternal }}
	run(t, sim, d, c, nil)
	tk := posted(t, d)
	sim.UserWrites(tk.DeskThread, alice, "Refund issued.")
	got := c.waitFor(t, 5)
	for _, a := range got {
		if !reflect.DeepEqual(a, got[0]) {
			t.Errorf("asked again with a different action: %+v, then %+v", got[0], a)
		}
	}
	wait(t, sim, "the apology", func() bool {
		msgs := sim.Thread(tk.DeskThread)
		return strings.Contains(msgs[len(msgs)-1].Content, "Sorry, that did not work")
	})
}

// The gateway loses its connection between messages: discordgo resumes the
// session and Discord replays what was sent meanwhile. Every message
// reaches the core exactly once.
func TestGatewayResumesWithoutLosingOrRepeatingEvents(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{HeartbeatInterval: 200 * time.Millisecond})
	d := newDiscord(t, sim)
	c, in := &core{}, &inbox{}
	run(t, sim, d, c, in)
	tk := posted(t, d)
	support := sim.Options().SourceChannelIDs[0]
	var sent []string
	say := func(n int) {
		sent = append(sent, sim.UserWrites(support, jane, fmt.Sprintf("complaint %d", n)))
		sim.UserWrites(tk.DeskThread, alice, fmt.Sprintf("answer %d", n))
	}
	for n := range 3 {
		say(n)
	}
	in.waitFor(t, 3)
	wait(t, sim, "heartbeats", func() bool { return sim.Heartbeats() >= 2 })
	sim.DropConnection()
	for n := 3; n < 6; n++ {
		say(n) // while the bot is away, or coming back
	}
	wait(t, sim, "the resume", func() bool { return sim.Resumes() == 1 && sim.Connected() })
	for n := 6; n < 8; n++ {
		say(n)
	}
	got, actions := in.waitFor(t, 8), c.waitFor(t, 8)
	// The queues keep order, so with the last in, any repeat would be too.
	if len(got) != 8 || len(actions) != 8 {
		t.Errorf("the core received %d messages and %d actions, want 8 each", len(got), len(actions))
	}
	for i, g := range got {
		if g.MessageID != sent[i] || g.Text != fmt.Sprintf("complaint %d", i) {
			t.Errorf("message %d = %q (%s), want complaint %d (%s)", i, g.Text, g.MessageID, i, sent[i])
		}
	}
	for i, a := range actions {
		if a.Text != fmt.Sprintf("answer %d", i) {
			t.Errorf("action %d = %q, want answer %d", i, a.Text, i)
		}
	}
	if sim.Identifies() != 1 {
		t.Errorf("%d identifies: the session was started anew instead of resumed, and what came meanwhile is lost", sim.Identifies())
	}
}

func TestGatewayReconnectsWhenDiscordAsks(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	in := &inbox{}
	run(t, sim, d, nil, in)
	sim.RequestReconnect()
	m := sim.UserWrites(sim.Options().SourceChannelIDs[0], jane, "are you there?")
	if got := in.waitFor(t, 1); len(got) != 1 || got[0].MessageID != m {
		t.Errorf("the core received %+v", got)
	}
	wait(t, sim, "the resume", func() bool { return sim.Resumes() == 1 })
	if sim.Identifies() != 1 {
		t.Errorf("%d identifies, want the session resumed", sim.Identifies())
	}
}

func TestRunSaysWhatToFixWhenTheGatewayRefuses(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{DenyMessageContent: true})
	logs := &logBuffer{}
	d := newDiscord(t, sim, func(o *discord.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	err := d.Run(context.Background(), handlers.Runner{Actor: &core{}}, &inbox{})
	if err == nil || !strings.Contains(err.Error(), "MESSAGE CONTENT INTENT") {
		t.Errorf("Run: %v; want it to say to switch on the Message Content intent", err)
	}
	if want := int(discord.Intents); sim.Intents() != want {
		t.Errorf("intents %d, want %d", sim.Intents(), want)
	}
	if tok := sim.Options().Token; strings.Contains(err.Error(), tok) || strings.Contains(logs.String(), tok) {
		t.Errorf("the token shows in the error or the log")
	}
}
