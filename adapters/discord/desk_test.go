package discord_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/sim/discordsim"
)

func TestPostTicketShowsTheTicket(t *testing.T) {
	t.Parallel()
	al := bot.Agent{ID: alice, Name: "alice"}
	opened, due := now.Add(-30*time.Minute).Unix(), now.Add(30*time.Minute).Unix()
	tests := []struct {
		name    string
		edit    func(*bot.Ticket)
		status  string
		buttons []discordsim.Button
		fields  []string // "name: value" parts the embed must show
		colour  int
	}{
		{
			name: "open", edit: func(*bot.Ticket) {}, status: "Open: nobody has claimed it yet.", colour: 0xE67E22,
			buttons: []discordsim.Button{{CustomID: "caredesk:claim:12", Label: "Claim", Style: 1}, {CustomID: "caredesk:resolve:12", Label: "Resolve", Style: 2}},
			fields:  []string{fmt.Sprintf("Opened: <t:%d:f> (<t:%d:R>)", opened, opened), fmt.Sprintf("Answer by: <t:%d:f>", due)},
		},
		{
			name: "claimed", edit: func(tk *bot.Ticket) { tk.State, tk.Owner = bot.Claimed, al }, colour: 0x3498DB,
			status:  "Claimed by <@" + alice + ">.",
			buttons: []discordsim.Button{{CustomID: "caredesk:resolve:12", Label: "Resolve", Style: 2}},
		},
		{
			name: "overdue", edit: func(tk *bot.Ticket) { tk.Deadline = now.Add(-time.Minute) }, colour: 0xE74C3C,
			status: "Open: nobody", fields: []string{"🚨 **overdue**"},
			buttons: []discordsim.Button{{CustomID: "caredesk:claim:12", Label: "Claim", Style: 1}, {CustomID: "caredesk:resolve:12", Label: "Resolve", Style: 2}},
		},
		{
			name: "resolved", status: "Resolved by <@" + alice + ">.", colour: 0x2ECC71,
			edit: func(tk *bot.Ticket) {
				tk.State, tk.Owner, tk.FirstReplyAt = bot.Resolved, al, now.Add(-10*time.Minute)
			},
			fields: []string{fmt.Sprintf("First answered: <t:%d:f>", now.Add(-10*time.Minute).Unix())},
		},
		{
			name: "a large audience", status: "Open", colour: 0xE67E22,
			edit:    func(tk *bot.Ticket) { tk.Customer.Followers = 250000 },
			fields:  []string{"Reach: 250,000 followers"},
			buttons: []discordsim.Button{{CustomID: "caredesk:claim:12", Label: "Claim", Style: 1}, {CustomID: "caredesk:resolve:12", Label: "Resolve", Style: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			tk := ticket()
			tt.edit(&tk)
			thread, err := d.PostTicket(context.Background(), tk)
			if err != nil {
				t.Fatal(err)
			}
			root, ok := sim.Message(thread)
			if !ok || root.ChannelID != sim.Options().DeskChannelID || root.Thread != thread {
				t.Fatalf("PostTicket returned %q; the desk holds %+v", thread, sim.Messages())
			}
			e, ok := root.Embed()
			if !ok {
				t.Fatalf("the starter message has no embed: %+v", root)
			}
			shown := root.Rendered()
			for _, want := range append([]string{"#12 · Telegram", "Customer: Jane Doe (@jane)", "My order #4411 never arrived.", "Status: " + tt.status}, tt.fields...) {
				if !strings.Contains(shown, want) {
					t.Errorf("the starter message does not show %q:\n%s", want, shown)
				}
			}
			if tt.name != "overdue" && strings.Contains(shown, "overdue") {
				t.Errorf("a ticket in time is marked overdue:\n%s", shown)
			}
			if e.Color != tt.colour {
				t.Errorf("colour %#x, want %#x", e.Color, tt.colour)
			}
			if got := root.Buttons(); !slices.Equal(got, tt.buttons) {
				t.Errorf("buttons = %+v, want %+v", got, tt.buttons)
			}
			if !root.AllowedMentions.PingsNobody() {
				t.Errorf("allowed_mentions %+v: the starter message may ping", root.AllowedMentions)
			}
			threads := sim.Threads(sim.Options().DeskChannelID)
			if len(threads) != 1 || threads[0].ID != thread || threads[0].Name != "#12 · Telegram · Jane Doe (@jane)" || threads[0].AutoArchive != 10080 {
				t.Errorf("threads %+v; want one, named for the ticket, archived after a week", threads)
			}
		})
	}
}

func TestEachTicketIsAThreadOrAForumPost(t *testing.T) {
	t.Parallel()
	for _, forum := range []bool{false, true} {
		t.Run(fmt.Sprintf("forum=%v", forum), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{DeskForum: forum})
			d := newDiscord(t, sim)
			desk := sim.Options().DeskChannelID
			var threads []string
			for n := int64(1); n <= 3; n++ {
				tk := ticket()
				tk.ID = n
				thread, err := d.PostTicket(context.Background(), tk)
				if err != nil {
					t.Fatal(err)
				}
				threads = append(threads, thread)
				root, _ := sim.Message(thread)
				starterIn := desk
				if forum {
					starterIn = thread // a post's starter message is the post's first
				}
				if root.ChannelID != starterIn || root.Thread != thread {
					t.Errorf("ticket #%d: starter message %+v; want it in %s with thread %s", n, root, starterIn, thread)
				}
				tk.DeskThread, tk.State, tk.Owner = thread, bot.Claimed, bot.Agent{ID: alice}
				if err := d.UpdateTicket(context.Background(), tk); err != nil {
					t.Fatal(err)
				}
				if root, _ = sim.Message(thread); root.Edits != 1 || !strings.Contains(root.Rendered(), "Claimed by <@"+alice+">") {
					t.Errorf("after the claim the starter message shows (%d edits):\n%s", root.Edits, root.Rendered())
				}
				if _, err := d.PostMessage(context.Background(), tk, bot.Message{ID: n, Kind: bot.Notice, Text: "noted"}); err != nil {
					t.Fatal(err)
				}
			}
			got := sim.Threads(desk)
			if len(got) != 3 {
				t.Fatalf("threads %+v, want one per ticket", got)
			}
			for i, th := range got {
				if th.ID != threads[i] || th.ParentID != desk {
					t.Errorf("thread %d = %+v", i, th)
				}
				if msgs := sim.Thread(th.ID); len(msgs) == 0 || msgs[len(msgs)-1].Content != "noted" {
					t.Errorf("thread %s holds %+v", th.ID, msgs)
				}
			}
			if forum && len(sim.ChannelMessages(desk)) != 0 {
				t.Errorf("a forum got messages of its own: %+v", sim.ChannelMessages(desk))
			}
		})
	}
}

func TestUpdateTicketTakesTheButtonsOffAResolvedTicket(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	tk := posted(t, d)
	tk.State, tk.Owner = bot.Resolved, bot.Agent{ID: alice}
	if err := d.UpdateTicket(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	root, _ := sim.Message(tk.DeskThread)
	if len(root.Buttons()) != 0 || !strings.Contains(root.Rendered(), "Resolved by <@"+alice+">.") {
		t.Errorf("a resolved ticket shows buttons %+v:\n%s", root.Buttons(), root.Rendered())
	}
	before := sim.Calls(discordsim.RouteEditMessage)
	if err := d.UpdateTicket(context.Background(), ticket()); err != nil || sim.Calls(discordsim.RouteEditMessage) != before {
		t.Errorf("updating a ticket not on the desk: %v, %d calls; want nothing to do", err, sim.Calls(discordsim.RouteEditMessage)-before)
	}
}

// masked matches a Discord masked link that would still work.
var masked = regexp.MustCompile(`\[[^\]]*\]\(`)

// pinging matches what Discord would turn into a ping or a mention.
var pinging = regexp.MustCompile(`(?i)@(everyone|here)|<@|<#|</`)

func TestCustomerDataIsEscaped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want string // as it must appear on the desk
	}{
		{"@everyone refund me", "@\u200beveryone refund me"},
		{"@here @Everyone", "@\u200bhere @\u200bEveryone"},
		{"ask <@" + alice + "> or <@!" + bob + ">", "ask <\u200b@" + alice + "> or <\u200b@!" + bob + ">"},
		{"ping <@&987654321098765432> now", "ping <\u200b@&987654321098765432> now"},
		{"see <#300000000000000001>", "see <\u200b#300000000000000001>"},
		{"log in at [bank.com](https://evil.example)", "log in at [bank.com]\u200b(https://evil.example)"},
		{"[x](<https://evil.example>)", "[x]\u200b(<https://evil.example>)"},
		{"**bold** and `code` stay", "**bold** and `code` stay"},
		{"run </desk claim:123>", "run <\u200b/desk claim:123>"},
	}
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	for i, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			tk := ticket()
			tk.ID = int64(i + 1)
			tk.Text = tt.text
			tk.Customer = bot.Customer{ID: "1", Name: tt.text}
			thread, err := d.PostTicket(context.Background(), tk)
			if err != nil {
				t.Fatal(err)
			}
			tk.DeskThread = thread
			ref, err := d.PostMessage(context.Background(), tk, bot.Message{ID: tk.ID, Kind: bot.FromCustomer, Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			root, _ := sim.Message(thread)
			msg, _ := sim.Message(ref)
			e, _ := root.Embed()
			if !strings.Contains(e.Description, tt.want) || !strings.Contains(msg.Content, tt.want) {
				t.Errorf("the desk shows\n%q\n%q\nwant both to contain %q", e.Description, msg.Content, tt.want)
			}
			for _, shown := range []string{root.Rendered(), msg.Content} {
				if m := pinging.FindString(shown); m != "" {
					t.Errorf("%q would ping or mention, in\n%s", m, shown)
				}
				if m := masked.FindString(shown); m != "" {
					t.Errorf("a masked link survived: %q in\n%s", m, shown)
				}
			}
			if !msg.AllowedMentions.PingsNobody() || msg.Flags&4 == 0 {
				t.Errorf("customer text sent with allowed_mentions %+v, flags %d; want no pings and no link previews", msg.AllowedMentions, msg.Flags)
			}
			if strings.Contains(root.Rendered(), "Customer: **") || strings.Contains(msg.Content, "****") {
				t.Errorf("the customer's name formats the desk: %q", msg.Content)
			}
		})
	}
}

func TestLongTextIsSplitWithinDiscordLimits(t *testing.T) {
	t.Parallel()
	words := strings.Repeat("parcel lost again. ", 600) // 11,400 characters
	emoji := strings.Repeat("📦", 3000)                  // 6,000 UTF-16 units
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	for n, text := range []string{words, emoji} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tk := ticket()
			tk.ID = int64(n + 1)
			tk.Text = text
			thread, err := d.PostTicket(context.Background(), tk)
			if err != nil {
				t.Fatal(err) // the simulator refuses what Discord refuses
			}
			root, _ := sim.Message(thread)
			if e, _ := root.Embed(); units(e.Description) > 4096 || !strings.Contains(e.Description, "too long to show") {
				t.Errorf("embed description of %d units; want at most 4096, saying it was cut", units(e.Description))
			}
			tk.DeskThread = thread
			first, err := d.PostMessage(context.Background(), tk, bot.Message{ID: tk.ID, Kind: bot.FromCustomer, Text: text})
			if err != nil {
				t.Fatal(err)
			}
			parts := sim.Thread(thread)
			if len(parts) < 3 || parts[0].ID != first {
				t.Fatalf("%d parts, the first %s; want the text in several, and the first's id", len(parts), first)
			}
			joined := ""
			for _, p := range parts {
				if units(p.Content) > 2000 {
					t.Errorf("a part of %d units, Discord allows 2000", units(p.Content))
				}
				joined += p.Content
			}
			unquoted := strings.NewReplacer(" ", "", "\n", "", ">", "").Replace(joined)
			if unquoted != strings.ReplaceAll("**Jane Doe (@jane)**:"+text, " ", "") {
				t.Errorf("the parts do not add up to the text (%d of %d units)", units(joined), units(text))
			}
		})
	}
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

func TestPostMessageWritesEachKindInTheThread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		m     bot.Message
		want  string
		users []string // who may be pinged
		here  bool
	}{
		{"from customer", bot.Message{Kind: bot.FromCustomer, Text: "still waiting <3"}, "**Jane Doe (@jane)**:\n> still waiting <3", nil, false},
		{"reply", bot.Message{Kind: bot.Reply, Author: alice, Text: "Sorry, a new parcel is on its way."}, "<@" + alice + "> → customer: Sorry, a new parcel is on its way.", nil, false},
		{"note", bot.Message{Kind: bot.Note, Author: alice, Text: "courier says [lost](https://x.example)"}, "Note from <@" + alice + ">: courier says [lost]\u200b(https://x.example)", nil, false},
		{"notice", bot.Message{Kind: bot.Notice, Text: "<@" + alice + "> claimed #12; <@" + bob + "> please review."}, "<@" + alice + "> claimed #12; <@" + bob + "> please review.", []string{alice, bob}, false},
		{"escalation", bot.Message{Kind: bot.Notice, Text: bot.Here + " #12 is overdue since " + bot.At(now, "R") + "."}, fmt.Sprintf("@here #12 is overdue since <t:%d:R>.", now.Unix()), nil, true},
	}
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	tk := posted(t, d)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.m.ID = int64(i + 1)
			ref, err := d.PostMessage(context.Background(), tk, tt.m)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := sim.Message(ref)
			if m.ChannelID != tk.DeskThread {
				t.Errorf("posted in channel %s, want the ticket's thread %s", m.ChannelID, tk.DeskThread)
			}
			if m.Content != tt.want {
				t.Errorf("content %q\nwant    %q", m.Content, tt.want)
			}
			a := m.AllowedMentions
			if !a.Sent || !slices.Equal(a.Users, tt.users) || len(a.Roles) != 0 || slices.Contains(a.Parse, "everyone") != tt.here || slices.Contains(a.Parse, "users") {
				t.Errorf("allowed_mentions %+v; want users %v and @here %v only", a, tt.users, tt.here)
			}
		})
	}

	_, err := d.PostMessage(context.Background(), ticket(), bot.Message{Kind: bot.Notice, Text: "early"})
	if err == nil || bot.IsPermanent(err) {
		t.Errorf("posting into a ticket not on the desk yet: %v; want a temporary error", err)
	}
}

func TestWhisperMentionsOnlyTheAgent(t *testing.T) {
	t.Parallel()
	for _, forum := range []bool{false, true} {
		t.Run(fmt.Sprintf("forum=%v", forum), func(t *testing.T) {
			sim := newSim(t, discordsim.Options{DeskForum: forum})
			d := newDiscord(t, sim)
			tk := posted(t, d)
			if err := d.Whisper(context.Background(), tk, alice, "#12 is already claimed by <@"+bob+">."); err != nil {
				t.Fatal(err)
			}
			msgs := sim.Thread(tk.DeskThread)
			w := msgs[len(msgs)-1]
			if w.Content != "<@"+alice+"> #12 is already claimed by <@"+bob+">." || !slices.Equal(w.AllowedMentions.Users, []string{alice}) || len(w.AllowedMentions.Parse) != 0 {
				t.Errorf("whisper %q with allowed_mentions %+v; want it in the thread, pinging only the agent", w.Content, w.AllowedMentions)
			}

			if err := d.Whisper(context.Background(), ticket(), alice, "No ticket @everyone."); err != nil {
				t.Fatal(err)
			}
			where := sim.Options().DeskChannelID
			if forum {
				where = sim.DMChannel(alice) // a forum takes no messages of its own
			}
			msgs = sim.ChannelMessages(where)
			if len(msgs) == 0 || msgs[len(msgs)-1].Content != "<@"+alice+"> No ticket @\u200beveryone." {
				t.Errorf("a whisper without a thread: %+v in %s", msgs, where)
			}
		})
	}
}

func TestMarkDeliveredPutsACheckMark(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	tk := posted(t, d)
	agentMsg := sim.UserWrites(tk.DeskThread, alice, "hello")
	m := bot.Message{ID: 5, Kind: bot.Reply, DeskRef: agentMsg}
	for range 2 { // a retry after a lost answer changes nothing
		if err := d.MarkDelivered(context.Background(), tk, m); err != nil {
			t.Fatal(err)
		}
	}
	want := discordsim.Reaction{ChannelID: tk.DeskThread, MessageID: agentMsg, Emoji: "✔️", UserID: sim.Options().BotUserID}
	if got := sim.Reactions(); len(got) != 1 || got[0] != want {
		t.Errorf("reactions = %+v, want %+v", got, want)
	}
	err := d.MarkDelivered(context.Background(), tk, bot.Message{ID: 6, Kind: bot.Reply})
	if err == nil || bot.IsPermanent(err) || bot.RetryAfterOf(err) != 0 {
		t.Errorf("marking a message not on the desk yet: %v; want a temporary error", err)
	}
}

func TestAnnounceAndDirectMessage(t *testing.T) {
	t.Parallel()
	for _, forum := range []bool{false, true} {
		t.Run(fmt.Sprintf("forum=%v", forum), func(t *testing.T) {
			sim := newSim(t, discordsim.Options{DeskForum: forum})
			d := newDiscord(t, sim)
			text := bot.Here + " <@" + bob + "> is on duty until " + bot.At(now, "t") + "."
			for range 2 {
				if err := d.Announce(context.Background(), "", text); err != nil {
					t.Fatal(err)
				}
			}
			where := sim.Options().DeskChannelID
			if forum {
				posts := sim.Threads(where)
				if len(posts) != 1 || posts[0].Name != "caredesk · announcements" {
					t.Fatalf("forum posts %+v; want one announcements post", posts)
				}
				where = posts[0].ID
			}
			msgs := sim.ChannelMessages(where)
			if len(msgs) != 2 {
				t.Fatalf("announcements %+v, want 2", msgs)
			}
			a := msgs[1]
			if a.Content != fmt.Sprintf("@here <@%s> is on duty until <t:%d:t>.", bob, now.Unix()) ||
				!slices.Equal(a.AllowedMentions.Parse, []string{"everyone"}) || !slices.Equal(a.AllowedMentions.Users, []string{bob}) {
				t.Errorf("announcement %q, allowed_mentions %+v", a.Content, a.AllowedMentions)
			}
		})
	}

	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	if err := d.DirectMessage(context.Background(), alice, "You are on duty: #12 waits since "+bot.At(now, "R")+"."); err != nil {
		t.Fatal(err)
	}
	msgs := sim.ChannelMessages(sim.DMChannel(alice))
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Content, "You are on duty: #12") {
		t.Errorf("DMs to alice: %+v", msgs)
	}
	sim.SetDMsClosed(bob, true)
	if err := d.DirectMessage(context.Background(), bob, "hello"); !bot.IsPermanent(err) || !strings.Contains(err.Error(), "takes no direct messages") {
		t.Errorf("a DM to an agent who takes none: %v; want a permanent error saying so", err)
	}
}

func TestFindTicketAfterALostAnswer(t *testing.T) {
	t.Parallel()
	for _, forum := range []bool{false, true} {
		t.Run(fmt.Sprintf("forum=%v", forum), func(t *testing.T) {
			sim := newSim(t, discordsim.Options{DeskForum: forum})
			d := newDiscord(t, sim)
			other := ticket()
			other.ID = 1 // "#1 · " must not be taken for "#12 · "
			if _, err := d.PostTicket(context.Background(), other); err != nil {
				t.Fatal(err)
			}
			tk := ticket()
			if found, err := d.FindTicket(context.Background(), tk); err != nil || found != "" {
				t.Fatalf("FindTicket before posting: %q, %v", found, err)
			}
			route := discordsim.RouteStartThread
			if forum {
				route = discordsim.RouteStartForumThread
			}
			sim.FailWith(route, 1, discordsim.LostAnswer())
			if _, err := d.PostTicket(context.Background(), tk); err == nil {
				t.Fatal("PostTicket succeeded although its answer was lost")
			}
			found, err := d.FindTicket(context.Background(), tk)
			if err != nil || found == "" {
				t.Fatalf("FindTicket after the lost answer: %q, %v", found, err)
			}
			threads := sim.Threads(sim.Options().DeskChannelID)
			if len(threads) != 2 || threads[1].ID != found {
				t.Errorf("threads %+v; want the ticket's one, found (%s), and no other", threads, found)
			}
		})
	}
}

// TestFindTicketKnowsItsOwnRoot: another database's ticket with the same
// number (a new or restored database, another process) does not adopt a
// root; the ticket itself finds it.
func TestFindTicketKnowsItsOwnRoot(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	tk := ticket()
	root, err := newDiscord(t, sim).PostTicket(context.Background(), tk)
	if err != nil {
		t.Fatal(err)
	}
	d := newDiscord(t, sim) // another process: nothing remembered
	other := ticket()
	other.OpenedAt = other.OpenedAt.Add(10 * time.Second)
	if found, err := d.FindTicket(context.Background(), other); err != nil || found != "" {
		t.Errorf("FindTicket of another database's #%d: %q, %v; want nothing", other.ID, found, err)
	}
	if found, err := d.FindTicket(context.Background(), tk); err != nil || found != root {
		t.Errorf("FindTicket of the ticket itself: %q, %v; want %q", found, err, root)
	}
}

func TestPostTicketRetriedAfterTheThreadFailedPostsOnce(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	sim.FailNext(discordsim.RouteStartThread, 1, 500, 0)
	if _, err := d.PostTicket(context.Background(), ticket()); err == nil || bot.IsPermanent(err) {
		t.Fatalf("PostTicket with the thread failing: %v; want a temporary error", err)
	}
	thread, err := d.PostTicket(context.Background(), ticket())
	if err != nil {
		t.Fatal(err)
	}
	if roots := sim.ChannelMessages(sim.Options().DeskChannelID); len(roots) != 1 || roots[0].ID != thread || roots[0].Thread != thread {
		t.Errorf("the desk holds %+v; want one starter message with its thread", roots)
	}
}

func TestDeliveryErrorsTellTheOutboxHowToRetry(t *testing.T) {
	t.Parallel()
	// A call gets a ticket on the desk and an agent's message in its thread.
	type call func(context.Context, *discord.Discord, bot.Ticket, string) error
	postTicket := func(ctx context.Context, d *discord.Discord, tk bot.Ticket, _ string) error {
		tk.ID++ // a new ticket
		_, err := d.PostTicket(ctx, tk)
		return err
	}
	update := func(ctx context.Context, d *discord.Discord, tk bot.Ticket, _ string) error {
		return d.UpdateTicket(ctx, tk)
	}
	post := func(ctx context.Context, d *discord.Discord, tk bot.Ticket, _ string) error {
		_, err := d.PostMessage(ctx, tk, bot.Message{ID: 3, Kind: bot.Notice, Text: "hi"})
		return err
	}
	whisper := func(ctx context.Context, d *discord.Discord, tk bot.Ticket, _ string) error {
		return d.Whisper(ctx, tk, alice, "hi")
	}
	mark := func(ctx context.Context, d *discord.Discord, tk bot.Ticket, agentMsg string) error {
		return d.MarkDelivered(ctx, tk, bot.Message{DeskRef: agentMsg})
	}
	send := func(ctx context.Context, d *discord.Discord, _ bot.Ticket, _ string) error {
		_, err := d.Send(ctx, bot.Outgoing{Conversation: discordsim.DefaultDeskChannelID, Text: "hi", Key: "caredesk-9"})
		return err
	}
	tests := []struct {
		name       string
		route      string
		call       call
		status     int
		retryAfter time.Duration
		permanent  bool
	}{
		{"rate limited", discordsim.RouteCreateMessage, post, 429, 250 * time.Millisecond, false},
		{"rate limited edit", discordsim.RouteEditMessage, update, 429, 1500 * time.Millisecond, false},
		{"channel gone", discordsim.RouteCreateMessage, post, 404, 0, true},
		{"missing access", discordsim.RouteCreateMessage, whisper, 403, 0, true},
		{"invalid body", discordsim.RouteCreateMessage, postTicket, 400, 0, true},
		{"discord outage", discordsim.RouteCreateMessage, postTicket, 503, 0, false},
		{"discord bug", discordsim.RouteAddReaction, mark, 500, 0, false},
		{"token reset", discordsim.RouteEditMessage, update, 401, 0, false},
		{"reply rate limited", discordsim.RouteCreateMessage, send, 429, 300 * time.Millisecond, false},
		{"reply to a deleted channel", discordsim.RouteCreateMessage, send, 404, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			tk := posted(t, d)
			agentMsg := sim.UserWrites(tk.DeskThread, alice, "On its way.")
			sim.FailNext(tt.route, 1, tt.status, tt.retryAfter)
			err := tt.call(context.Background(), d, tk, agentMsg)
			if err == nil {
				t.Fatal("no error")
			}
			if bot.IsPermanent(err) != tt.permanent || bot.RetryAfterOf(err) != tt.retryAfter {
				t.Errorf("%v: permanent %v, retry after %v; want %v, %v", err, bot.IsPermanent(err), bot.RetryAfterOf(err), tt.permanent, tt.retryAfter)
			}
			// discordgo waits out the route's bucket, then the call works.
			if err := tt.call(context.Background(), d, tk, agentMsg); err != nil {
				t.Errorf("the call after the fault: %v", err)
			}
		})
	}

	t.Run("bad gateway is retried by discordgo", func(t *testing.T) {
		sim := newSim(t, discordsim.Options{})
		d := newDiscord(t, sim)
		sim.FailNext(discordsim.RouteCreateMessage, 1, 502, 0)
		if _, err := d.PostTicket(context.Background(), ticket()); err != nil {
			t.Errorf("one 502: %v; discordgo retries it", err)
		}
		if n := sim.Calls(discordsim.RouteCreateMessage); n != 2 {
			t.Errorf("%d message creates, want the 502 and its retry", n)
		}
	})

	t.Run("discord down", func(t *testing.T) {
		sim := newSim(t, discordsim.Options{})
		d := newDiscord(t, sim)
		sim.SetDown(true)
		_, err := d.PostTicket(context.Background(), ticket())
		if err == nil || bot.IsPermanent(err) {
			t.Errorf("during an outage: %v; want a temporary error", err)
		}
	})
}

func TestNewSaysWhatToFix(t *testing.T) {
	t.Parallel()
	const secret = "MTIzNDU2Nzg5.secret-bot-token"
	tests := []struct {
		name string
		edit func(*discord.Options, *discordsim.Server)
		want string
	}{
		{"wrong token", func(o *discord.Options, _ *discordsim.Server) { o.Token = "MTIzNDU2Nzg5.wrong-token" },
			"Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized)"},
		{"no token", func(o *discord.Options, _ *discordsim.Server) { o.Token = "" }, "DISCORD_BOT_TOKEN is empty"},
		{"no such channel", func(o *discord.Options, _ *discordsim.Server) { o.DeskChannelID = "200000000000000099" },
			"DISCORD_DESK_CHANNEL_ID 200000000000000099 was not found"},
		{"hidden channel", func(o *discord.Options, sim *discordsim.Server) {
			sim.AddChannel(discordsim.Channel{ID: "200000000000000098", Name: "secret", Hidden: true})
			o.DeskChannelID = "200000000000000098"
		}, "the bot cannot see DISCORD_DESK_CHANNEL_ID 200000000000000098 (Missing Access)"},
		{"a category", func(o *discord.Options, sim *discordsim.Server) {
			sim.AddChannel(discordsim.Channel{ID: "200000000000000097", Name: "Support", Type: 4})
			o.DeskChannelID = "200000000000000097"
		}, "DISCORD_DESK_CHANNEL_ID 200000000000000097 (#Support) is not a text or forum channel"},
		{"another server", func(o *discord.Options, _ *discordsim.Server) { o.GuildID = "100000000000000099" },
			"belongs to server 100000000000000001, not to DISCORD_GUILD_ID 100000000000000099"},
		{"a channel name", func(o *discord.Options, _ *discordsim.Server) { o.DeskChannelID = "#care-desk" },
			"DISCORD_DESK_CHANNEL_ID \"#care-desk\" is not a Discord id"},
		{"no guild", func(o *discord.Options, _ *discordsim.Server) { o.GuildID = "" }, "DISCORD_GUILD_ID is empty"},
		{"no application", func(o *discord.Options, _ *discordsim.Server) { o.ApplicationID = "" }, "DISCORD_APPLICATION_ID is empty"},
		{"bad source", func(o *discord.Options, _ *discordsim.Server) { o.SourceChannelIDs = []string{"300000000000000099"} },
			"DISCORD_SOURCE_CHANNEL_IDS 300000000000000099 was not found"},
		{"nothing to do", func(o *discord.Options, _ *discordsim.Server) {
			o.DeskChannelID, o.SourceChannelIDs, o.AcceptDMs = "", nil, false
		}, "Discord has nothing to do"},
		{"discord unreachable", func(_ *discord.Options, sim *discordsim.Server) { sim.Close() }, "cannot reach Discord at http://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, discordsim.Options{Token: secret})
			o := options(sim)
			logs := &logBuffer{}
			o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			tt.edit(&o, sim)
			_, err := discord.New(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v\nwant an error containing %q", err, tt.want)
			}
			for _, tok := range []string{secret, o.Token} {
				if tok != "" && (strings.Contains(err.Error(), tok) || strings.Contains(logs.String(), tok)) {
					t.Errorf("a token shows in the error or the log: %v\n%s", err, logs)
				}
			}
		})
	}
}

func TestFindMessageAfterALostAnswer(t *testing.T) {
	t.Parallel()
	for _, gateway := range []bool{false, true} {
		t.Run(fmt.Sprintf("gateway=%v", gateway), func(t *testing.T) {
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			if gateway {
				run(t, sim, d, &core{}, nil) // the echo of the bot's own post tells its nonce
			}
			tk := posted(t, d)
			same := bot.Message{ID: 8, Kind: bot.Notice, Text: "Reopened: the customer wrote again.", At: now}
			if _, err := d.PostMessage(context.Background(), tk, same); err != nil {
				t.Fatal(err)
			}
			m := bot.Message{ID: 9, Kind: bot.FromCustomer, Text: "Anyone there?", At: now}
			if found, err := d.FindMessage(context.Background(), tk, m); err != nil || found != "" {
				t.Fatalf("FindMessage before posting: %q, %v", found, err)
			}
			sim.FailWith(discordsim.RouteCreateMessage, 1, discordsim.LostAnswer())
			if _, err := d.PostMessage(context.Background(), tk, m); err == nil {
				t.Fatal("PostMessage succeeded although its answer was lost")
			}
			msgs := sim.Thread(tk.DeskThread)
			posted := msgs[len(msgs)-1]
			if gateway {
				wait(t, sim, "the echo", sim.Connected)
			}
			found, err := d.FindMessage(context.Background(), tk, m)
			if err != nil || found != posted.ID {
				t.Errorf("FindMessage after the lost answer: %q, %v; want %s", found, err, posted.ID)
			}
		})
	}
}

func TestHighReachAndLinksOnTheStarterMessage(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim, func(o *discord.Options) { o.HighReach = 10000 })
	tk := ticket()
	tk.Customer.Followers, tk.Customer.ProfileURL = 250000, "https://x.example/jane"
	tk.PostURL = "https://x.example/jane/status/1"
	thread, err := d.PostTicket(context.Background(), tk)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := sim.Message(thread)
	want := "Reach: 250,000 followers · 📣 **high reach** · [original post](https://x.example/jane/status/1) · [profile](https://x.example/jane)"
	if !strings.Contains(root.Rendered(), want) {
		t.Errorf("the starter message shows\n%s\nwant %q", root.Rendered(), want)
	}
	var raw []struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(root.Embeds, &raw); err != nil || raw[0].URL != tk.PostURL {
		t.Errorf("the title links to %+v, want the post", raw)
	}
}
