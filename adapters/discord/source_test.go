package discord_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"caredesk/bot"
	"caredesk/sim/discordsim"
)

func TestSendRepliesToTheCustomersMessage(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	support := sim.Options().SourceChannelIDs[0]
	asked := sim.UserWrites(support, jane, "Where is my parcel?")
	ref, err := d.Send(context.Background(), bot.Outgoing{
		Conversation: support, ReplyTo: asked, Text: "It left the depot today. @everyone <@&1> [track](https://x.example)", Key: "caredesk-41",
	})
	if err != nil {
		t.Fatal(err)
	}
	if channel, ids := sent(t, ref); channel != support || len(ids) != 1 {
		t.Errorf("Send returned %q; want one message in #support", ref)
	}
	m, ok := sim.Message(lastSent(t, ref))
	if !ok || m.ChannelID != support || m.AuthorID != sim.Options().BotUserID {
		t.Fatalf("Send returned %q; #support holds %+v", ref, sim.ChannelMessages(support))
	}
	if m.Reference == nil || m.Reference.MessageID != asked || m.Reference.FailIfNotExists == nil || *m.Reference.FailIfNotExists {
		t.Errorf("message_reference %+v; want a reply to %s that does not fail when it was deleted", m.Reference, asked)
	}
	a := m.AllowedMentions
	if !a.Sent || len(a.Parse) != 0 || len(a.Users) != 0 || len(a.Roles) != 0 || !a.RepliedUser {
		t.Errorf("allowed_mentions %+v; want nobody pinged but the customer replied to", a)
	}
	if m.Content != "It left the depot today. @everyone <@&1> [track](https://x.example)" {
		t.Errorf("the agent's words were changed: %q", m.Content)
	}

	// The customer deleted their message: the reply still goes.
	if _, err := d.Send(context.Background(), bot.Outgoing{Conversation: support, ReplyTo: "499999999999999999", Text: "Still there?", Key: "caredesk-42"}); err != nil {
		t.Errorf("replying to a deleted message: %v", err)
	}
}

func TestSendSplitsLongRepliesOnce(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	dm := sim.DMChannel(jane)
	if dm == "" {
		sim.UserDMs(jane, "hi")
		dm = sim.DMChannel(jane)
	}
	text := strings.Repeat("Your refund is on its way, sorry for the wait. ", 100) // 4,700 characters
	out := bot.Outgoing{Conversation: dm, Text: text, Key: "caredesk-7"}
	ref, err := d.Send(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	parts := sim.ChannelMessages(dm)[1:]
	if channel, ids := sent(t, ref); len(parts) != 3 || channel != dm || !slices.Equal(ids, []string{parts[0].ID, parts[1].ID, parts[2].ID}) {
		t.Fatalf("%d parts; Send returned %q; want 3, and the DM's and the parts' ids", len(parts), ref)
	}
	joined := ""
	for _, p := range parts {
		if units(p.Content) > 2000 {
			t.Errorf("a part of %d units", units(p.Content))
		}
		joined += p.Content + " "
	}
	if strings.Join(strings.Fields(joined), " ") != strings.TrimSpace(text) {
		t.Errorf("the parts do not add up to the reply")
	}
	// A retry after the answer was lost (same key) sends nothing new:
	// Discord knows the parts by their nonces.
	if again, err := d.Send(context.Background(), out); err != nil || again != ref || len(sim.ChannelMessages(dm)) != 4 {
		t.Errorf("the retry: %q, %v, %d messages; want the same reply, not a second one", again, err, len(sim.ChannelMessages(dm)))
	}
}

func TestSendErrorsSayWhatHappenedToTheCustomer(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	sim.UserDMs(jane, "hi")
	sim.SetDMsClosed(jane, true)
	_, err := d.Send(context.Background(), bot.Outgoing{Conversation: sim.DMChannel(jane), Text: "Hello", Key: "caredesk-1"})
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "takes no direct messages from the bot") {
		t.Errorf("a DM to a customer who takes none: %v", err)
	}
	for _, out := range []bot.Outgoing{{Conversation: "support", Text: "Hello"}, {Conversation: sim.Options().SourceChannelIDs[0], Text: " "}} {
		if _, err := d.Send(context.Background(), out); !bot.IsPermanent(err) {
			t.Errorf("Send(%+v): %v; want a permanent error", out, err)
		}
	}
}
