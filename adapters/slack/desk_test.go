package slack_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	slackdesk "caredesk/adapters/slack"
	"caredesk/bot"
	"caredesk/sim/slacksim"
)

func TestPostTicketShowsTheTicket(t *testing.T) {
	alice := bot.Agent{ID: "U0ALICE", Name: "alice"}
	tests := []struct {
		name    string
		edit    func(*bot.Ticket)
		status  string
		buttons []slacksim.Button
		times   []string // in the context line
	}{
		{
			name: "open", edit: func(*bot.Ticket) {}, status: "Open: nobody has claimed it yet.",
			buttons: []slacksim.Button{
				{ActionID: "caredesk:claim", Text: "Claim", Value: "12", Style: "primary"},
				{ActionID: "caredesk:resolve", Text: "Resolve", Value: "12"},
			},
			times: []string{"Opened <!date^1709337600^{date_short_pretty} {time}|2024-03-02 00:00 UTC>", "answer due <!date^1709341200^"},
		},
		{
			name: "claimed", edit: func(tk *bot.Ticket) { tk.State, tk.Owner = bot.Claimed, alice },
			status:  "Claimed by <@U0ALICE>.",
			buttons: []slacksim.Button{{ActionID: "caredesk:resolve", Text: "Resolve", Value: "12"}},
		},
		{
			name: "overdue", edit: func(tk *bot.Ticket) { tk.Deadline = now.Add(-time.Minute) },
			status: "Open: nobody", times: []string{":rotating_light: *overdue*"},
			buttons: []slacksim.Button{
				{ActionID: "caredesk:claim", Text: "Claim", Value: "12", Style: "primary"},
				{ActionID: "caredesk:resolve", Text: "Resolve", Value: "12"},
			},
		},
		{
			name: "resolved", status: "Resolved by <@U0ALICE>.",
			edit: func(tk *bot.Ticket) {
				tk.State, tk.Owner, tk.FirstReplyAt = bot.Resolved, alice, now.Add(-10*time.Minute)
			},
			times: []string{"first answered <!date^1709338800^"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			d := newDesk(t, sim)
			tk := ticket()
			tt.edit(&tk)
			ts, err := d.PostTicket(context.Background(), tk)
			if err != nil {
				t.Fatal(err)
			}
			m, ok := sim.Message(ts)
			if !ok || !m.IsRoot() || m.Channel != sim.Options().ChannelID {
				t.Fatalf("PostTicket returned %q; the channel holds %+v", ts, sim.Messages())
			}
			shown := m.Rendered()
			for _, want := range append([]string{"#12 · Telegram", "*Jane Doe (@jane)* wrote:", "My order #4411 never arrived.", tt.status}, tt.times...) {
				if !strings.Contains(shown, want) {
					t.Errorf("the root does not show %q:\n%s", want, shown)
				}
			}
			if tt.name != "overdue" && strings.Contains(shown, "overdue") {
				t.Errorf("a ticket in time is marked overdue:\n%s", shown)
			}
			if got := stripIDs(m.Buttons()); !slices.Equal(got, tt.buttons) {
				t.Errorf("buttons = %+v, want %+v", got, tt.buttons)
			}
			if !strings.Contains(m.Text, "#12 · Telegram") || !strings.Contains(m.Text, "Jane Doe (@jane)") || !strings.Contains(m.Text, "My order") {
				t.Errorf("notification text = %q", m.Text)
			}
			if m.UnfurlLinks != "false" || m.UnfurlMedia != "false" || m.LinkNames != "" {
				t.Errorf("unfurl_links=%q unfurl_media=%q link_names=%q; want previews off and no name linking", m.UnfurlLinks, m.UnfurlMedia, m.LinkNames)
			}
			var meta slackapi.SlackMetadata
			if err := json.Unmarshal(m.Metadata, &meta); err != nil || meta.EventType != "caredesk_ticket" || meta.EventPayload["ticket"] != float64(12) {
				t.Errorf("metadata = %s (%v)", m.Metadata, err)
			}
		})
	}
}

func stripIDs(bs []slacksim.Button) []slacksim.Button {
	for i := range bs {
		bs[i].BlockID = ""
	}
	return bs
}

// TestFindTicketKnowsItsOwnRoot: a root is found again by its ticket, and
// another database's ticket with the same number does not adopt it.
func TestFindTicketKnowsItsOwnRoot(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	tk := posted(t, d)
	other := ticket()
	other.OpenedAt = other.OpenedAt.Add(10 * time.Second)
	tests := []struct {
		name   string
		ticket bot.Ticket
		want   string
	}{
		{"the same ticket", tk, tk.DeskThread},
		{"the same number from another database", other, ""},
		{"another number", bot.Ticket{ID: 13, OpenedAt: tk.OpenedAt}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.FindTicket(context.Background(), tt.ticket)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("FindTicket = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUpdateTicketRerendersTheRoot(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	tk := posted(t, d)
	tk.State, tk.Owner = bot.Claimed, bot.Agent{ID: "U0ALICE"}
	if err := d.UpdateTicket(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	m, _ := sim.Message(tk.DeskThread)
	if m.Edits != 1 || !strings.Contains(m.Rendered(), "Claimed by <@U0ALICE>.") {
		t.Errorf("after the update the root shows (edits %d):\n%s", m.Edits, m.Rendered())
	}
	if bs := m.Buttons(); len(bs) != 1 || bs[0].ActionID != "caredesk:resolve" {
		t.Errorf("buttons of a claimed ticket = %+v, want only Resolve", bs)
	}
	if len(sim.Roots()) != 1 {
		t.Errorf("the update posted a new root: %+v", sim.Roots())
	}

	before := sim.Calls("chat.update")
	unposted := ticket()
	if err := d.UpdateTicket(context.Background(), unposted); err != nil || sim.Calls("chat.update") != before {
		t.Errorf("updating a ticket not on the desk: err %v, %d calls; want nothing to do", err, sim.Calls("chat.update")-before)
	}
}

// dateSeq is caredesk's own date formatting, the one control sequence a
// root may hold next to the status' mentions.
var dateSeq = regexp.MustCompile(`<!date\^[^<>]*>`)

// quoteBar is the start of a line of a quote block, in which the desk
// shows a customer's words.
var quoteBar = regexp.MustCompile(`(?m)^> `)

func TestCustomerDataIsEscaped(t *testing.T) {
	tests := []struct {
		text string
		want string // as the text must appear on the desk
	}{
		{"<!channel> refund me", "&lt;!channel&gt; refund me"},
		{"<!here>", "&lt;!here&gt;"},
		{"<!everyone> look", "&lt;!everyone&gt; look"},
		{"ask <@U123>", "ask &lt;@U123&gt;"},
		{"<!subteam^S1> help", "&lt;!subteam^S1&gt; help"},
		{"login at <http://evil.example|bank.com>", "login at &lt;http://evil.example|bank.com&gt;"},
		{"@channel @Here @everyone", "@\u2060channel @\u2060Here @\u2060everyone"},
		{"Tom & Jerry &amp; co", "Tom &amp; Jerry &amp;amp; co"},
	}
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			tk := ticket()
			tk.Text = tt.text
			tk.Customer = bot.Customer{ID: "1", Name: tt.text}
			ts, err := d.PostTicket(context.Background(), tk)
			if err != nil {
				t.Fatal(err)
			}
			tk.DeskThread = ts
			ref, err := d.PostMessage(context.Background(), tk, bot.Message{Kind: bot.FromCustomer, Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			root, _ := sim.Message(ts)
			reply, _ := sim.Message(ref)
			for _, shown := range []string{root.Rendered(), root.Text, reply.Rendered(), reply.Text} {
				if !strings.Contains(shown, tt.want) {
					t.Errorf("desk shows\n%s\nwant it to contain %q", shown, tt.want)
				}
				if rest := quoteBar.ReplaceAllString(dateSeq.ReplaceAllString(shown, ""), ""); strings.ContainsAny(rest, "<>") {
					t.Errorf("a control sequence reached the desk:\n%s", rest)
				}
				if regexp.MustCompile(`(?i)@(channel|here|everyone)\b`).MatchString(shown) {
					t.Errorf("a broadcast word reached the desk:\n%s", shown)
				}
			}
		})
	}
}

func TestLongTextIsSplitWithinSlackLimits(t *testing.T) {
	words := strings.Repeat("parcel lost again. ", 600) // 11,400 characters
	entities := strings.Repeat("<&>", 4000)             // 12,000 characters, 52,000 escaped
	endless := strings.Repeat("x", 200000)              // more than 50 blocks can show
	tests := []struct{ name, text, escaped string }{
		{"words", words, words},
		{"entities", entities, strings.Repeat("&lt;&amp;&gt;", 4000)},
		{"endless", endless, ""},
	}
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := ticket()
			tk.Text = tt.text
			ts, err := d.PostTicket(context.Background(), tk)
			if err != nil {
				t.Fatal(err) // the simulator refuses what Slack refuses
			}
			tk.DeskThread = ts
			ref, err := d.PostMessage(context.Background(), tk, bot.Message{Kind: bot.FromCustomer, Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []slacksim.Message{mustMessage(t, sim, ts), mustMessage(t, sim, ref)} {
				sections := sectionTexts(t, m)
				if n := blockCount(t, m); n > 50 {
					t.Errorf("%d blocks, Slack allows 50", n)
				}
				for _, s := range sections {
					if n := utf8.RuneCountInString(s); n > 3000 {
						t.Errorf("a section of %d characters, Slack allows 3000", n)
					}
					if strings.HasPrefix(s, "amp;") || strings.HasPrefix(s, "lt;") || strings.HasPrefix(s, "gt;") {
						t.Errorf("a section starts inside an entity: %.20q", s)
					}
				}
				if utf8.RuneCountInString(m.Text) > 3001 {
					t.Errorf("notification text of %d characters", utf8.RuneCountInString(m.Text))
				}
				joined := strings.ReplaceAll(strings.Join(sections, ""), ">", "") // the quote bars
				if tt.escaped != "" && !strings.Contains(strings.ReplaceAll(joined, " ", ""), strings.ReplaceAll(tt.escaped, " ", "")) {
					t.Errorf("the sections do not add up to the whole text (%d of %d characters)", len(joined), len(tt.escaped))
				}
				if tt.escaped == "" && !strings.Contains(joined, "too long") {
					t.Errorf("a cut text does not say so")
				}
			}
		})
	}
}

func mustMessage(t *testing.T, sim *slacksim.Server, ts string) slacksim.Message {
	t.Helper()
	m, ok := sim.Message(ts)
	if !ok {
		t.Fatalf("no message %s", ts)
	}
	return m
}

func blockCount(t *testing.T, m slacksim.Message) int {
	t.Helper()
	var bs []json.RawMessage
	if err := json.Unmarshal(m.Blocks, &bs); err != nil {
		t.Fatal(err)
	}
	return len(bs)
}

func sectionTexts(t *testing.T, m slacksim.Message) []string {
	t.Helper()
	var blocks slackapi.Blocks
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range blocks.BlockSet {
		if s, ok := b.(*slackapi.SectionBlock); ok && s.Text != nil {
			out = append(out, s.Text.Text)
		}
	}
	return out
}

func TestPostMessageWritesEachKindInTheThread(t *testing.T) {
	tests := []struct {
		name string
		m    bot.Message
		want string
	}{
		{"from customer", bot.Message{Kind: bot.FromCustomer, Text: "still waiting <3"}, "*Jane Doe (@jane)*:\n> still waiting &lt;3"},
		{"reply", bot.Message{Kind: bot.Reply, Author: "U0ALICE", Text: "Sorry, a new parcel is on its way."}, "<@U0ALICE> → customer: Sorry, a new parcel is on its way."},
		{"note", bot.Message{Kind: bot.Note, Author: "U0ALICE", Text: "courier says lost & found"}, "Note from <@U0ALICE>: courier says lost &amp; found"},
		{"notice", bot.Message{Kind: bot.Notice, Text: "<@U0ALICE> claimed #12."}, "<@U0ALICE> claimed #12."},
	}
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	tk := posted(t, d)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := d.PostMessage(context.Background(), tk, tt.m)
			if err != nil {
				t.Fatal(err)
			}
			m := mustMessage(t, sim, ref)
			if m.ThreadTS != tk.DeskThread {
				t.Errorf("posted in thread %q, want the ticket's %q", m.ThreadTS, tk.DeskThread)
			}
			if m.Text != tt.want || m.Rendered() != tt.want {
				t.Errorf("text %q, blocks %q; want %q", m.Text, m.Rendered(), tt.want)
			}
		})
	}

	_, err := d.PostMessage(context.Background(), ticket(), bot.Message{Kind: bot.Notice, Text: "early"})
	if err == nil || bot.IsPermanent(err) {
		t.Errorf("posting into a ticket not on the desk yet: %v; want a temporary error", err)
	}
}

func TestWhisperShowsTextToOneAgent(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	tk := posted(t, d)
	if err := d.Whisper(context.Background(), tk, "U0ALICE", "#12 is already claimed by <@U0BOB>."); err != nil {
		t.Fatal(err)
	}
	if err := d.Whisper(context.Background(), ticket(), "U0ALICE", "No ticket <here>."); err != nil {
		t.Fatal(err)
	}
	got := sim.Ephemerals()
	want := []slacksim.Ephemeral{
		{Channel: "C0DESK", User: "U0ALICE", ThreadTS: tk.DeskThread, Text: "#12 is already claimed by <@U0BOB>."},
		{Channel: "C0DESK", User: "U0ALICE", Text: "No ticket &lt;here&gt;."},
	}
	if len(got) != len(want) {
		t.Fatalf("ephemerals = %+v", got)
	}
	for i := range want {
		g := got[i]
		if g.Channel != want[i].Channel || g.User != want[i].User || g.ThreadTS != want[i].ThreadTS || g.Text != want[i].Text {
			t.Errorf("ephemeral %d = %+v, want %+v", i, g, want[i])
		}
	}
}

func TestMarkDeliveredPutsACheckMark(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	serve(t, sim, d, &core{})
	tk := posted(t, d)
	agentTS, _, err := sim.UserPosts("U0ALICE", tk.DeskThread, "hello")
	if err != nil {
		t.Fatal(err)
	}
	m := bot.Message{ID: 5, Kind: bot.Reply, DeskRef: agentTS}
	for range 2 { // the second time Slack says already_reacted: a retry after a lost answer
		if err := d.MarkDelivered(context.Background(), tk, m); err != nil {
			t.Fatal(err)
		}
	}
	want := slacksim.Reaction{Channel: "C0DESK", TS: agentTS, Name: "heavy_check_mark", User: "U0BOT"}
	if got := sim.Reactions(); len(got) != 1 || got[0] != want {
		t.Errorf("reactions = %+v, want %+v", got, want)
	}

	err = d.MarkDelivered(context.Background(), tk, bot.Message{ID: 6, Kind: bot.Reply})
	if err == nil || bot.IsPermanent(err) || bot.RetryAfterOf(err) != 0 {
		t.Errorf("marking a message not on the desk yet: %v; want a temporary error", err)
	}
}

func TestDeliveryErrorsTellTheOutboxHowToRetry(t *testing.T) {
	type call func(context.Context, *slackdesk.Desk, bot.Ticket) error
	postTicket := func(ctx context.Context, d *slackdesk.Desk, tk bot.Ticket) error {
		_, err := d.PostTicket(ctx, tk)
		return err
	}
	update := func(ctx context.Context, d *slackdesk.Desk, tk bot.Ticket) error { return d.UpdateTicket(ctx, tk) }
	post := func(ctx context.Context, d *slackdesk.Desk, tk bot.Ticket) error {
		_, err := d.PostMessage(ctx, tk, bot.Message{Kind: bot.Notice, Text: "hi"})
		return err
	}
	whisper := func(ctx context.Context, d *slackdesk.Desk, tk bot.Ticket) error {
		return d.Whisper(ctx, tk, "U0ALICE", "hi")
	}
	mark := func(ctx context.Context, d *slackdesk.Desk, tk bot.Ticket) error {
		return d.MarkDelivered(ctx, tk, bot.Message{DeskRef: tk.DeskThread})
	}
	tests := []struct {
		name       string
		method     string
		call       call
		fault      slacksim.Fault
		permanent  bool
		retryAfter time.Duration
	}{
		{"rate limited", "chat.postMessage", postTicket, slacksim.RateLimited(7 * time.Second), false, 7 * time.Second},
		{"rate limited update", "chat.update", update, slacksim.RateLimited(30 * time.Second), false, 30 * time.Second},
		{"channel gone", "chat.postMessage", post, slacksim.SlackError("channel_not_found"), true, 0},
		{"archived", "chat.postMessage", post, slacksim.SlackError("is_archived"), true, 0},
		{"token revoked", "chat.postEphemeral", whisper, slacksim.SlackError("token_revoked"), true, 0},
		{"root deleted", "chat.update", update, slacksim.SlackError("message_not_found"), true, 0},
		{"invalid blocks", "chat.postMessage", postTicket, slacksim.SlackError("invalid_blocks"), true, 0},
		{"slack outage", "chat.postMessage", postTicket, slacksim.ServerError(503), false, 0},
		{"slack bug", "reactions.add", mark, slacksim.ServerError(500), false, 0},
		{"internal error", "chat.postMessage", post, slacksim.SlackError("internal_error"), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			d := newDesk(t, sim)
			tk := posted(t, d)
			sim.FailNext(tt.method, 1, tt.fault)
			err := tt.call(context.Background(), d, tk)
			if err == nil {
				t.Fatal("no error")
			}
			if bot.IsPermanent(err) != tt.permanent || bot.RetryAfterOf(err) != tt.retryAfter {
				t.Errorf("%v: permanent %v, retry after %v; want %v, %v", err, bot.IsPermanent(err), bot.RetryAfterOf(err), tt.permanent, tt.retryAfter)
			}
			if err := tt.call(context.Background(), d, tk); err != nil {
				t.Errorf("the call after the fault: %v", err)
			}
		})
	}

	t.Run("slack down", func(t *testing.T) {
		sim := newSim(t, slacksim.Options{})
		d := newDesk(t, sim)
		sim.SetDown(true)
		_, err := d.PostTicket(context.Background(), ticket())
		if err == nil || bot.IsPermanent(err) {
			t.Errorf("during an outage: %v; want a temporary error", err)
		}
	})
}

func TestNewSaysWhatToFix(t *testing.T) {
	const secret = "xoxb-1234-right-token"
	tests := []struct {
		name string
		edit func(*slackdesk.Options, *slacksim.Server)
		want string
	}{
		{"wrong token", func(o *slackdesk.Options, _ *slacksim.Server) { o.BotToken = "xoxb-9999-wrong-token" },
			"Slack rejected SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page"},
		{"user token", func(o *slackdesk.Options, _ *slacksim.Server) { o.BotToken = "xoxp-1234" }, "SLACK_BOT_TOKEN is not a bot token"},
		{"no token", func(o *slackdesk.Options, _ *slacksim.Server) { o.BotToken = "" }, "SLACK_BOT_TOKEN is empty"},
		{"not a member", func(o *slackdesk.Options, sim *slacksim.Server) {
			sim.AddChannel("C0GENERAL", "general", false)
			o.ChannelID = "C0GENERAL"
		}, "@caredesk is not a member of SLACK_CHANNEL_ID C0GENERAL (#general): invite it with /invite @caredesk in that channel"},
		{"no such channel", func(o *slackdesk.Options, _ *slacksim.Server) { o.ChannelID = "C0NOPE" }, "channel_not_found: check SLACK_CHANNEL_ID C0NOPE"},
		{"no channel", func(o *slackdesk.Options, _ *slacksim.Server) { o.ChannelID = "" }, "SLACK_CHANNEL_ID is empty"},
		{"no way in", func(o *slackdesk.Options, _ *slacksim.Server) { o.SigningSecret, o.AppToken = "", "" }, "set SLACK_SIGNING_SECRET"},
		{"app token in its place", func(o *slackdesk.Options, _ *slacksim.Server) { o.AppToken = "xoxb-1234" }, "SLACK_APP_TOKEN is not an app-level token"},
		{"slack unreachable", func(o *slackdesk.Options, sim *slacksim.Server) { sim.Close() }, "cannot reach Slack at http://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{BotToken: secret})
			o := deskOptions(sim)
			tt.edit(&o, sim)
			_, err := slackdesk.New(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v\nwant an error containing %q", err, tt.want)
			}
			for _, tok := range []string{secret, o.BotToken, o.AppToken} {
				if tok != "" && len(tok) > 5 && strings.Contains(err.Error(), tok) {
					t.Errorf("the error shows a token: %v", err)
				}
			}
		})
	}
}
