package discord_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/sim/discordsim"
)

// The threads of the digest tests' tickets that have one.
const digestThread = "600000000000000009"

// digestOf is storm digest 42 (the storm's first) listing tickets #first
// to #first+n-1 from Telegram, all open, each written at length.
func digestOf(first int64, n int) bot.Digest {
	g := bot.Digest{ID: 42, Storm: 3, Number: 1, Created: now}
	for i := range int64(n) {
		g.Entries = append(g.Entries, bot.DigestEntry{Ticket: bot.Ticket{
			ID: first + i, Source: "telegram", Conversation: fmt.Sprint(5550000 + i), State: bot.Open, OpenedAt: now,
			Customer: bot.Customer{ID: fmt.Sprint(700 + i), Name: fmt.Sprintf("Customer number %d with a rather long name", first+i), Handle: "customer_handle"},
			Text:     strings.Repeat("My parcel never arrived and nobody answers the phone. ", 8),
		}})
	}
	return g
}

// entry returns the entry of ticket n in g.
func entry(t *testing.T, g *bot.Digest, n int64) *bot.DigestEntry {
	t.Helper()
	for i := range g.Entries {
		if g.Entries[i].Ticket.ID == n {
			return &g.Entries[i]
		}
	}
	t.Fatalf("digest %d lists no #%d", g.ID, n)
	return nil
}

// claimButton is the Claim button of ticket n, as on the ticket's root.
func claimButton(n int64) discordsim.Button {
	return discordsim.Button{CustomID: fmt.Sprintf("caredesk:claim:%d", n), Label: fmt.Sprintf("Claim #%d", n), Style: 1}
}

// postedDigest posts g and returns where its message is: the channel
// (the announcements post in a forum desk) and its id.
func postedDigest(t *testing.T, sim *discordsim.Server, d *discord.Discord, g bot.Digest) (ref string, m discordsim.Message) {
	t.Helper()
	ref, err := d.PostDigest(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	return ref, digestMessage(t, sim, ref)
}

// digestMessage is the message of a digest's ref, "id" or "post/id".
func digestMessage(t *testing.T, sim *discordsim.Server, ref string) discordsim.Message {
	t.Helper()
	id := ref[strings.LastIndexByte(ref, '/')+1:]
	m, ok := sim.Message(id)
	if !ok || m.Deleted {
		t.Fatalf("the digest's ref %q names no message", ref)
	}
	return m
}

// digestLines are the lines of a digest message's embed.
func digestLines(t *testing.T, m discordsim.Message) []string {
	t.Helper()
	e, ok := m.Embed()
	if !ok {
		t.Fatalf("the digest has no embed: %+v", m)
	}
	return strings.Split(e.Description, "\n")
}

// lineOf is the line of ticket n.
func lineOf(lines []string, n int64) string {
	prefix := fmt.Sprintf("**#%d** · ", n)
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// checkLimits fails unless m is within Discord's limits on a message:
// an embed's title 256 and description 4,096, 6,000 over all embeds, ten
// embeds, five action rows of at most five buttons, labels of 80.
func checkLimits(t *testing.T, m discordsim.Message) {
	t.Helper()
	embeds := m.EmbedList()
	total := 0
	for _, e := range embeds {
		if units(e.Title) > 256 || units(e.Description) > 4096 {
			t.Errorf("an embed's title has %d units (256 allowed), its description %d (4096)", units(e.Title), units(e.Description))
		}
		total += units(e.Title) + units(e.Description) + units(e.Footer)
		for _, f := range e.Fields {
			total += units(f.Name) + units(f.Value)
		}
	}
	if total > 6000 || len(embeds) > 10 {
		t.Errorf("%d embeds of %d units together; Discord takes 10 of 6000", len(embeds), total)
	}
	rows := m.Rows()
	if len(rows) > 5 {
		t.Errorf("%d action rows; Discord takes 5", len(rows))
	}
	for i, r := range rows {
		if len(r) == 0 || len(r) > 5 {
			t.Errorf("action row %d holds %d buttons; Discord takes 1 to 5", i, len(r))
		}
		for _, b := range r {
			if units(b.Label) > 80 {
				t.Errorf("button %q: a label of more than 80", b.Label)
			}
		}
	}
}

// TestDigestShowsEachComplaint: a digest of 25 complaints is one message
// of the bot's in the desk channel: a line each, customer text escaped,
// the owners and threads shown as Discord shows them, and a Claim button,
// as on the ticket's root, for each complaint nobody owns.
func TestDigestShowsEachComplaint(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim, func(o *discord.Options) { o.HighReach = 10000 })
	g := digestOf(101, 25)
	hostile := entry(t, &g, 101)
	hostile.Ticket.Customer = bot.Customer{ID: "1", Name: "@everyone", Handle: "here"}
	hostile.Ticket.Text = "<@" + alice + "> **urgent** [bank.com](evil) @here <#" + digestThread + ">"
	claimed := entry(t, &g, 102)
	claimed.Ticket.State, claimed.Ticket.Owner = bot.Claimed, bot.Agent{ID: alice, Name: "alice"}
	resolved := entry(t, &g, 103)
	resolved.Ticket.State, resolved.Ticket.Owner = bot.Resolved, bot.Agent{ID: bob, Name: "bob"}
	threaded := entry(t, &g, 104)
	threaded.Ticket.State, threaded.Ticket.Owner, threaded.Ticket.DeskThread = bot.Claimed, bot.Agent{ID: bob, Name: "bob"}, digestThread
	loud := entry(t, &g, 105)
	loud.Ticket.Customer.Followers, loud.Again = 250000, true
	moved := entry(t, &g, 106)
	moved.Ticket.Moves, moved.Ticket.Team = 1, "billing"
	markdown := entry(t, &g, 107)
	markdown.Ticket.Customer.Name = strings.Repeat("*_~`|", 20)

	ref, m := postedDigest(t, sim, d, g)
	if m.ID != ref || m.ChannelID != sim.Options().DeskChannelID || m.AuthorID != sim.Options().BotUserID {
		t.Fatalf("PostDigest returned %q; the message is %s in %s by %s, want the bot's in the desk channel", ref, m.ID, m.ChannelID, m.AuthorID)
	}
	if !m.AllowedMentions.PingsNobody() {
		t.Errorf("allowed_mentions %+v: the digest may ping", m.AllowedMentions)
	}
	checkLimits(t, m)
	e, _ := m.Embed()
	if want := "🌪️ Storm digest 1 · 25 complaints, #101–#125 · urgent first, then oldest"; e.Title != want {
		t.Errorf("title %q, want %q", e.Title, want)
	}
	if want := fmt.Sprintf("caredesk · digest 42 · %d", now.UnixMilli()); e.Footer != want {
		t.Errorf("footer %q, want %q", e.Footer, want)
	}
	if e.Color != 0xE67E22 {
		t.Errorf("colour %#x, want open's while complaints are unclaimed", e.Color)
	}
	lines := digestLines(t, m)
	if len(lines) != 25 {
		t.Fatalf("%d lines, want 25:\n%s", len(lines), e.Description)
	}
	var want []discordsim.Button
	for _, en := range g.Entries {
		n := en.Ticket.ID
		l := lineOf(lines, n)
		if !strings.HasPrefix(l, fmt.Sprintf("**#%d** · Telegram · **", n)) {
			t.Errorf("#%d has no line of its own:\n%s", n, e.Description)
		}
		if units(l) > 160 {
			t.Errorf("#%d: a line of %d units, too long for 25 to fit: %s", n, units(l), l)
		}
		if en.Ticket.Owner.ID == "" {
			want = append(want, claimButton(n))
		}
	}
	if got := m.Buttons(); !slices.Equal(got, want) {
		t.Errorf("buttons %+v\nwant    %+v", got, want)
	}
	if rows := m.Rows(); len(rows) != 5 || len(rows[0]) != 5 || len(rows[4]) != 2 {
		t.Errorf("rows of %v buttons; want five to a row", rows)
	}

	tests := []struct {
		name        string
		ticket      int64
		shows, hide []string
	}{
		{"a customer's name pings nobody", 101, []string{"**@\u200beveryone (@\u200bhere)**"}, []string{"@everyone", "@here"}},
		{"a customer's words mention, link and format nothing", 101,
			[]string{"<\u200b@" + alice, `\*\*urgent\*\*`, `\[bank.com\]`, `<\#` + digestThread},
			[]string{"<@" + alice + ">", "<#" + digestThread + ">", "](", "**urgent"}},
		{"claimed", 102, []string{"· 🙋 <@" + alice + ">"}, nil},
		{"resolved", 103, []string{"· ✅ resolved by <@" + bob + ">"}, nil},
		{"a thread is its channel mention", 104, []string{"🙋 <@" + bob + "> · <#" + digestThread + ">"}, []string{"<thread:"}},
		{"high reach, wrote again", 105, []string{"· 📣 250,000 —", "💬 wrote again"}, nil},
		{"moved", 106, []string{"➡️ team billing"}, nil},
		{"a name of markdown is cut, escaped", 107, []string{`**\*\_\~\` + "`" + `\|`, "…**"}, []string{`\…`}},
		{"words are cut", 110, []string{"— My parcel never arrived", "…"}, []string{strings.Repeat("My parcel never arrived and nobody answers the phone. ", 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lineOf(lines, tt.ticket)
			for _, s := range tt.shows {
				if !strings.Contains(l, s) {
					t.Errorf("the line of #%d does not show %q:\n%s", tt.ticket, s, l)
				}
			}
			for _, s := range tt.hide {
				if strings.Contains(l, s) {
					t.Errorf("the line of #%d shows %q:\n%s", tt.ticket, s, l)
				}
			}
		})
	}
}

// TestDigestFitsDiscordsLimits: however long the names, words and
// statuses, and however many complaints, a digest is a message Discord
// takes, with a button for each unclaimed complaint it shows.
func TestDigestFitsDiscordsLimits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("😡*_<@", 200)
	tests := []struct {
		name    string
		n       int
		edit    func(e *bot.DigestEntry)
		lines   int
		buttons int
	}{
		{"25 long complaints", 25, func(*bot.DigestEntry) {}, 25, 25},
		{"25 of the longest", 25, func(e *bot.DigestEntry) {
			e.Ticket.Customer = bot.Customer{ID: "1", Name: long, Handle: long, Followers: 1234567890}
			e.Ticket.Text, e.First, e.Again, e.Ticket.Moves, e.Ticket.Team = long, true, true, 3, long
			e.Ticket.DeskThread, e.Ticket.Channel = digestThread, billingText
			e.Ticket.ID += 1000000000
			if e.Ticket.ID%2 == 0 {
				e.Ticket.State, e.Ticket.Owner = bot.Resolved, bot.Agent{ID: alice, Name: long}
			}
		}, 25, 13},
		{"more than a message takes", 30, func(*bot.DigestEntry) {}, 26, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim, func(o *discord.Options) { o.HighReach = 1000 })
			if d.DigestSize() != 25 {
				t.Fatalf("DigestSize() = %d, want 25: five rows of five buttons", d.DigestSize())
			}
			g := digestOf(1, tt.n)
			for i := range g.Entries {
				tt.edit(&g.Entries[i])
			}
			_, m := postedDigest(t, sim, d, g)
			checkLimits(t, m)
			lines := digestLines(t, m)
			for _, l := range lines {
				if units(l) > 160 {
					t.Errorf("a line of %d units: %s", units(l), l)
				}
			}
			if len(lines) != tt.lines || len(m.Buttons()) != tt.buttons {
				t.Errorf("%d lines and %d buttons, want %d and %d:\n%s", len(lines), len(m.Buttons()), tt.lines, tt.buttons, m.Rendered())
			}
			if tt.n > 25 && lines[25] != "*…and 5 more.*" {
				t.Errorf("the last line %q does not say 5 more are not shown", lines[25])
			}
		})
	}
}

// TestDigestInEachDeskChannel: a digest goes to the desk's own channel, a
// team's channel, or, in a forum desk, the announcements post; it is
// edited there as tickets change (a claimed complaint loses its button)
// and found there after a lost answer.
func TestDigestInEachDeskChannel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		forum   bool
		channel string // the digest's; "" for the desk's own
	}{
		{"desk channel", false, ""},
		{"team channel", false, billingText},
		{"forum desk", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{DeskForum: tt.forum})
			sim.AddChannel(discordsim.Channel{ID: billingText, Type: discordsim.ChannelText, Name: "billing"})
			d := newDiscord(t, sim, func(o *discord.Options) { o.TeamChannels = map[string]string{billingText: "billing"} })
			ctx := context.Background()
			where := func() string {
				t.Helper()
				if !tt.forum {
					return sim.Options().DeskChannelID
				}
				for _, p := range sim.Threads(sim.Options().DeskChannelID) {
					if p.Name == "caredesk · announcements" {
						return p.ID
					}
				}
				t.Fatal("the forum desk has no announcements post")
				return ""
			}
			g := digestOf(1, 3)
			g.Channel = tt.channel
			ref, m := postedDigest(t, sim, d, g)
			want := where()
			if tt.channel != "" {
				want = tt.channel
			}
			if m.ChannelID != want {
				t.Errorf("the digest is in %s, want %s", m.ChannelID, want)
			}
			if got := m.Buttons(); !slices.Equal(got, []discordsim.Button{claimButton(1), claimButton(2), claimButton(3)}) {
				t.Errorf("buttons %+v, want a Claim for each", got)
			}

			g.Ref = ref
			e := entry(t, &g, 2)
			e.Ticket.State, e.Ticket.Owner = bot.Claimed, bot.Agent{ID: alice}
			if err := d.UpdateDigest(ctx, g); err != nil {
				t.Fatal(err)
			}
			m = digestMessage(t, sim, ref)
			if got := m.Buttons(); m.Edits != 1 || !slices.Equal(got, []discordsim.Button{claimButton(1), claimButton(3)}) {
				t.Errorf("after #2 was claimed: %d edits, buttons %+v; want #2's gone", m.Edits, got)
			}
			if l := lineOf(digestLines(t, m), 2); !strings.Contains(l, "🙋 <@"+alice+">") {
				t.Errorf("#2's line after the claim: %s", l)
			}
			if !m.AllowedMentions.PingsNobody() {
				t.Errorf("the edit's allowed_mentions %+v may ping", m.AllowedMentions)
			}
			for i := range g.Entries {
				g.Entries[i].Ticket.State = bot.Resolved
			}
			if err := d.UpdateDigest(ctx, g); err != nil {
				t.Fatal(err)
			}
			m = digestMessage(t, sim, ref)
			if em, _ := m.Embed(); len(m.Components) != 0 || em.Color != 0x2ECC71 {
				t.Errorf("all resolved: components %s, colour %#x; want none, resolved's", m.Components, em.Color)
			}

			if got, err := d.FindDigest(ctx, g); err != nil || got != ref {
				t.Errorf("FindDigest = %q, %v; want %q", got, err, ref)
			}
			// A second digest goes beside the first.
			second := digestOf(4, 2)
			second.ID, second.Number, second.Channel = 43, 2, tt.channel
			ref2, m2 := postedDigest(t, sim, d, second)
			if ref2 == ref || m2.ChannelID != m.ChannelID {
				t.Errorf("the second digest %q is in %s; want another message beside %q in %s", ref2, m2.ChannelID, ref, m.ChannelID)
			}
			if got, err := d.FindDigest(ctx, second); err != nil || got != ref2 {
				t.Errorf("FindDigest of the second = %q, %v; want %q", got, err, ref2)
			}
		})
	}
}

// TestFindDigestAfterALostAnswer: a digest Discord posted but whose
// answer was lost is found by another process, by its id and creation,
// and not posted twice; other digests are not taken for it.
func TestFindDigestAfterALostAnswer(t *testing.T) {
	t.Parallel()
	for _, forum := range []bool{false, true} {
		t.Run(fmt.Sprintf("forum=%v", forum), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{DeskForum: forum})
			d := newDiscord(t, sim)
			ctx := context.Background()
			g := digestOf(1, 3)
			if got, err := d.FindDigest(ctx, g); err != nil || got != "" {
				t.Fatalf("FindDigest before any post = %q, %v; want \"\"", got, err)
			}
			route := discordsim.RouteCreateMessage
			if forum {
				route = discordsim.RouteStartForumThread
			}
			sim.FailWith(route, 1, discordsim.LostAnswer())
			if _, err := d.PostDigest(ctx, g); err == nil || bot.IsPermanent(err) {
				t.Fatalf("a lost answer: %v; want a temporary error", err)
			}
			posted := sim.Messages()
			if len(posted) != 1 {
				t.Fatalf("Discord holds %d messages, want the one whose answer was lost", len(posted))
			}
			after := newDiscord(t, sim) // a caredesk started again, which knows nothing of it
			tests := []struct {
				name string
				g    func() bot.Digest
				want string
			}{
				{"the digest", func() bot.Digest { return g }, posted[0].ID},
				{"another digest", func() bot.Digest { o := g; o.ID = 43; return o }, ""},
				{"another database's digest of the same id", func() bot.Digest { o := g; o.Created = now.Add(time.Second); return o }, ""},
			}
			for _, tt := range tests {
				got, err := after.FindDigest(ctx, tt.g())
				want := tt.want
				if forum && want != "" {
					want = posted[0].ChannelID + "/" + want
				}
				if err != nil || got != want {
					t.Errorf("%s: FindDigest = %q, %v; want %q", tt.name, got, err, want)
				}
			}
			if !forum {
				// Posting again in the nonce's minutes gets the same message.
				ref, err := after.PostDigest(ctx, g)
				if err != nil || ref != posted[0].ID || len(sim.Messages()) != 1 {
					t.Errorf("posting again = %q, %v with %d messages; want %s, not a second one", ref, err, len(sim.Messages()), posted[0].ID)
				}
			}
		})
	}
}

// TestFindDigestInEveryAnnouncementsPost: in a forum desk, the storm's
// notice and its first digest may each have started an announcements
// post; the digest is found in whichever holds it.
func TestFindDigestInEveryAnnouncementsPost(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{DeskForum: true})
	d := newDiscord(t, sim)
	ctx := context.Background()
	g := digestOf(1, 3)
	sim.FailWith(discordsim.RouteStartForumThread, 1, discordsim.LostAnswer())
	if _, err := d.PostDigest(ctx, g); err == nil {
		t.Fatal("a lost answer was taken for a post")
	}
	posts := sim.Threads(sim.Options().DeskChannelID)
	if len(posts) != 1 {
		t.Fatalf("the forum holds %+v, want the post the lost digest started", posts)
	}
	// The notice's post, started at the same time, is the older.
	const notices = "200000000000000009"
	sim.AddChannel(discordsim.Channel{ID: notices, Type: discordsim.ChannelPublicThread, Name: "caredesk · announcements",
		ParentID: sim.Options().DeskChannelID, OwnerID: sim.Options().BotUserID, AutoArchive: 10080})
	sim.UserWrites(notices, alice, "noted")
	want := posts[0].ID + "/" + posts[0].ID
	if got, err := d.FindDigest(ctx, g); err != nil || got != want {
		t.Errorf("FindDigest = %q, %v; want %q", got, err, want)
	}
	// What comes next goes to the older post.
	next := digestOf(4, 1)
	next.ID = 43
	if ref, err := d.PostDigest(ctx, next); err != nil || !strings.HasPrefix(ref, notices+"/") {
		t.Errorf("the next digest is %q, %v; want it in the older post %s", ref, err, notices)
	}
}

// TestDigestClaimButtonClaims: a click on a digest's Claim button claims
// the ticket as the button on its root does.
func TestDigestClaimButtonClaims(t *testing.T) {
	t.Parallel()
	for _, forum := range []bool{false, true} {
		t.Run(fmt.Sprintf("forum=%v", forum), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{DeskForum: forum})
			d := newDiscord(t, sim)
			c := &core{}
			run(t, sim, d, c, nil)
			_, m := postedDigest(t, sim, d, digestOf(101, 5))
			click := sim.ClickButton(alice, m.ChannelID, m.ID, "caredesk:claim:103")
			if r := waitResponse(t, click); r.Type != discordsim.ResponseDeferredUpdate {
				t.Errorf("the click was answered with type %d, want a deferred update (6)", r.Type)
			}
			want := bot.Action{Verb: bot.DoClaim, Ticket: 103, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}, EventID: "interaction:" + click.ID, Whisper: true}
			if got := c.waitFor(t, 1); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Errorf("the core got %+v, want %+v", got, want)
			}
		})
	}
}

// TestDigestErrors: a failed digest call tells the outbox when to try
// again, as the desk's other calls do.
func TestDigestErrors(t *testing.T) {
	t.Parallel()
	type call func(ctx context.Context, d *discord.Discord, g bot.Digest) error
	post := func(ctx context.Context, d *discord.Discord, g bot.Digest) error {
		_, err := d.PostDigest(ctx, g)
		return err
	}
	update := func(ctx context.Context, d *discord.Discord, g bot.Digest) error { return d.UpdateDigest(ctx, g) }
	find := func(ctx context.Context, d *discord.Discord, g bot.Digest) error {
		_, err := d.FindDigest(ctx, g)
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
		{"post rate limited", discordsim.RouteCreateMessage, post, 429, 250 * time.Millisecond, false},
		{"post to a channel gone", discordsim.RouteCreateMessage, post, 404, 0, true},
		{"edit rate limited", discordsim.RouteEditMessage, update, 429, 1500 * time.Millisecond, false},
		{"edit refused", discordsim.RouteEditMessage, update, 403, 0, true},
		{"edit in an outage", discordsim.RouteEditMessage, update, 503, 0, false},
		{"listing rate limited", discordsim.RouteMessages, find, 429, 300 * time.Millisecond, false},
		{"listing in an outage", discordsim.RouteMessages, find, 503, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			g := digestOf(1, 2)
			ref, _ := postedDigest(t, sim, d, g)
			if tt.route != discordsim.RouteCreateMessage {
				g.Ref = ref
			}
			g.ID = 43 // a digest of its own: posting it is not answered with the first by its nonce
			sim.FailNext(tt.route, 1, tt.status, tt.retryAfter)
			err := tt.call(context.Background(), d, g)
			if err == nil {
				t.Fatal("no error")
			}
			if bot.IsPermanent(err) != tt.permanent || bot.RetryAfterOf(err) != tt.retryAfter {
				t.Errorf("%v: permanent %v, retry after %v; want %v, %v", err, bot.IsPermanent(err), bot.RetryAfterOf(err), tt.permanent, tt.retryAfter)
			}
			if err := tt.call(context.Background(), d, g); err != nil {
				t.Errorf("the call after the fault: %v", err)
			}
		})
	}

	t.Run("refs", func(t *testing.T) {
		t.Parallel()
		sim := newSim(t, discordsim.Options{})
		d := newDiscord(t, sim)
		g := digestOf(1, 2)
		if err := d.UpdateDigest(context.Background(), g); err == nil || bot.IsPermanent(err) {
			t.Errorf("editing a digest not posted yet: %v; want a temporary error", err)
		}
		g.Ref = "C0123/1700000000.000100" // a Slack post's
		if err := d.UpdateDigest(context.Background(), g); !bot.IsPermanent(err) {
			t.Errorf("editing a digest of a ref not Discord's: %v; want a permanent error", err)
		}
	})
}
