package discord_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/sim/discordsim"
)

// janesTicket is #12, opened by Jane's message msgID in #support.
func janesTicket(sim *discordsim.Server, msgID string) bot.Ticket {
	return bot.Ticket{
		ID: 12, Source: discord.SourceName, Conversation: sim.Options().SourceChannelIDs[0], LastInbound: msgID,
		Customer: bot.Customer{ID: jane, Name: "Jane Doe", Handle: "jane"}, State: bot.Open,
	}
}

func TestOpenPrivateMovesTheConversationToTheDM(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	in := &inbox{}
	run(t, sim, d, nil, in)
	support := sim.Options().SourceChannelIDs[0]
	asked := sim.UserWrites(support, jane, "My parcel is lost")
	in.waitFor(t, 1)

	tk := janesTicket(sim, asked)
	dm, err := d.OpenPrivate(context.Background(), tk)
	if err != nil {
		t.Fatal(err)
	}
	if dm == "" || dm != sim.DMChannel(jane) {
		t.Fatalf("OpenPrivate = %q; want the DM channel with Jane, %q", dm, sim.DMChannel(jane))
	}
	if again, err := d.OpenPrivate(context.Background(), tk); err != nil || again != dm {
		t.Errorf("opened again: %q, %v; want the same DM, %q", again, err, dm)
	}

	// The agent's answer goes to the DM, and Jane's answer there joins
	// the same conversation, as private.
	// It still names her public message, which is in another channel.
	ref, err := d.Send(context.Background(), bot.Outgoing{Ticket: tk, Conversation: dm, ReplyTo: tk.LastInbound, Text: "Hi Jane, what is your order number?", MessageID: 3, Key: "caredesk-5"})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := sim.Message(lastSent(t, ref)); !ok || m.ChannelID != dm || m.GuildID != "" || m.AuthorID != sim.Options().BotUserID {
		t.Errorf("the reply %q is %+v; want the bot's message in Jane's DM", ref, m)
	}
	answered := sim.UserDMs(jane, "It is 1234")
	got := in.waitFor(t, 2)
	want := []struct {
		id, conversation string
		private          bool
	}{{asked, support, false}, {answered, dm, true}}
	for i, w := range want {
		g := got[i]
		if g.MessageID != w.id || g.Conversation != w.conversation || g.Private != w.private || g.Customer.ID != jane || g.Language != "" || g.TimeZone != "" {
			t.Errorf("message %d = %+v; want %s in conversation %s, private %v, no language or zone", i, g, w.id, w.conversation, w.private)
		}
	}
}

func TestOpenPrivateSaysWhyItCannot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      *discordsim.Fault // on POST /users/@me/channels
		acceptDMs  bool
		customer   string
		permanent  bool
		retryAfter time.Duration
		says       string // in the error, for the agent
	}{
		{name: "the customer takes no DMs", fault: &discordsim.Fault{Status: 403, Code: 50007, Message: "Cannot send messages to this user"}, acceptDMs: true, customer: jane,
			permanent: true, says: "Jane Doe takes no direct messages from the server's members; ask them in the channel to allow DMs, or answer there"},
		{name: "the account is gone", fault: &discordsim.Fault{Status: 404, Code: 10013, Message: "Unknown User"}, acceptDMs: true, customer: jane,
			permanent: true, says: "Jane Doe is no longer known to Discord"},
		{name: "rate limited", fault: &discordsim.Fault{Status: 429, RetryAfter: 250 * time.Millisecond}, acceptDMs: true, customer: jane,
			retryAfter: 250 * time.Millisecond, says: "rate limited"},
		{name: "Discord fails", fault: &discordsim.Fault{Status: 500}, acceptDMs: true, customer: jane, says: "HTTP 500"},
		{name: "DMs are not taken", acceptDMs: false, customer: jane, permanent: true, says: "set DISCORD_ACCEPT_DMS=true"},
		{name: "not a Discord user", acceptDMs: true, customer: "jane", permanent: true, says: "not a Discord user id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim, func(o *discord.Options) { o.AcceptDMs = tt.acceptDMs })
			if tt.fault != nil {
				sim.FailWith(discordsim.RouteOpenDM, 1, *tt.fault)
			}
			tk := janesTicket(sim, "")
			tk.Customer.ID = tt.customer
			dm, err := d.OpenPrivate(context.Background(), tk)
			if err == nil {
				t.Fatalf("OpenPrivate = %q, want an error", dm)
			}
			if bot.IsPermanent(err) != tt.permanent || bot.RetryAfterOf(err) != tt.retryAfter || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%v: permanent %v, retry after %v; want %v, %v, saying %q", err, bot.IsPermanent(err), bot.RetryAfterOf(err), tt.permanent, tt.retryAfter, tt.says)
			}
			if calls := sim.Calls(discordsim.RouteOpenDM); (tt.fault == nil) != (calls == 0) {
				t.Errorf("%d calls to open a DM", calls)
			}
		})
	}
}

// TestADMTheCustomerRefusesSaysWhatToDo is the refusal Discord keeps for
// the first message: the DM opened, the customer takes none.
func TestADMTheCustomerRefusesSaysWhatToDo(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	sim.SetDMsClosed(jane, true)
	dm, err := d.OpenPrivate(context.Background(), janesTicket(sim, ""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Send(context.Background(), bot.Outgoing{Conversation: dm, Text: "Hi Jane", MessageID: 3, Key: "caredesk-6"})
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "ask them there to allow DMs from the server's members, or answer there") {
		t.Errorf("Send to a DM Jane refuses: %v", err)
	}
}

func TestSendShowsButtonsOnlyForTheRating(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	support := sim.Options().SourceChannelIDs[0]
	tests := []struct {
		purpose bot.Purpose
		text    string
		rows    int
	}{
		{bot.ForReply, "It left the depot today.", 0},
		{bot.ForCall, "Could you share a number we can call you on?", 0},
		{bot.ForPrivate, "Could we go on in a DM?", 0},
		{bot.ForNotice, "Thanks, we have your message: an agent answers by 10:30.", 0},
		{bot.ForRating, "How did we do?", 1},
	}
	for i, tt := range tests {
		out := bot.Outgoing{Ticket: bot.Ticket{ID: 12}, Conversation: support, Text: tt.text, Purpose: tt.purpose, Key: "caredesk-" + strconv.Itoa(i)}
		ref, err := d.Send(context.Background(), out)
		if err != nil {
			t.Fatalf("%q: %v", tt.purpose, err)
		}
		m, _ := sim.Message(lastSent(t, ref))
		if m.Content != tt.text || len(m.Rows()) != tt.rows {
			t.Errorf("%q: sent %q with %d rows of buttons; want %q with %d", tt.purpose, m.Content, len(m.Rows()), tt.text, tt.rows)
		}
	}
}

// The core moves tickets private through this interface.
var _ bot.PrivateOpener = (*discord.Discord)(nil)
