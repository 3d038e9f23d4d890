package discord_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"caredesk/bot"
	"caredesk/sim/discordsim"
)

// chart is a small PNG file: its signature, then bytes a PNG would carry.
var chart = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, '\r', '\n'}, 500)...)

// report is what a weekly report shares: a chart and a CSV export.
func report() []bot.File {
	return []bot.File{
		{Name: "first-answer.png", Title: "First answer, this week", Alt: "Bars by day: Monday 12 minutes, Tuesday 40 minutes.", Data: chart},
		{Name: "tickets.csv", Title: "Tickets *all*", Data: []byte("ticket,customer,minutes\n12,\"@everyone Jane\",40\n")},
	}
}

// uploaded returns the messages of channel that carry files.
func uploaded(sim *discordsim.Server, channel string) []discordsim.Message {
	var out []discordsim.Message
	for _, m := range sim.ChannelMessages(channel) {
		if len(m.Uploads) > 0 {
			out = append(out, m)
		}
	}
	return out
}

func TestUploadSendsFilesWithTheirText(t *testing.T) {
	t.Parallel()
	text := "📊 Week 9 for <@" + bob + ">: slowest #12 from " + bot.Quote(hostileName)
	tests := []struct {
		name  string
		forum bool
		agent string
		where func(*discordsim.Server) string // the channel that must hold the upload
		pings []string                        // the users it may ping
	}{
		{"in the desk channel", false, "", func(s *discordsim.Server) string { return s.Options().DeskChannelID }, []string{bob}},
		{"in a forum desk's announcements", true, "", func(s *discordsim.Server) string {
			posts := s.Threads(s.Options().DeskChannelID)
			if len(posts) != 1 || posts[0].Name != "caredesk · announcements" {
				return "no announcements post"
			}
			return posts[0].ID
		}, []string{bob}},
		{"privately to an agent", false, alice, func(s *discordsim.Server) string { return s.DMChannel(alice) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, discordsim.Options{DeskForum: tt.forum})
			d := newDiscord(t, sim)
			if err := d.Upload(context.Background(), tt.agent, text, report()); err != nil {
				t.Fatal(err)
			}
			msgs := uploaded(sim, tt.where(sim))
			if len(msgs) != 1 {
				t.Fatalf("messages with files in %s: %+v; want one", tt.where(sim), msgs)
			}
			m := msgs[0]
			for i, want := range report() {
				got := m.Uploads[i]
				if got.Filename != want.Name || got.Description != want.Alt || !bytes.Equal(got.Data, want.Data) {
					t.Errorf("file %d arrived as %s, description %q, %d bytes; want %s, %q, %d bytes",
						i, got.Filename, got.Description, len(got.Data), want.Name, want.Alt, len(want.Data))
				}
			}
			if m.Uploads[0].ContentType != "image/png" || !strings.HasPrefix(m.Uploads[1].ContentType, "text/csv") {
				t.Errorf("content types %q, %q; want a picture and a CSV", m.Uploads[0].ContentType, m.Uploads[1].ContentType)
			}
			want := fmt.Sprintf("📊 Week 9 for <@%s>: slowest #12 from @\u200beveryone <\u200b@%s\\> <\u200b@&987\\> gpj.exe red\n- First answer, this week\n- Tickets \\*all\\*", bob, lead)
			if m.Content != want {
				t.Errorf("the upload says\n%q\nwant\n%q", m.Content, want)
			}
			if !m.AllowedMentions.Sent || len(m.AllowedMentions.Parse) != 0 || !slices.Equal(m.AllowedMentions.Users, tt.pings) || len(m.AllowedMentions.Roles) != 0 {
				t.Errorf("allowed_mentions %+v; want only %v", m.AllowedMentions, tt.pings)
			}
			if hidden.MatchString(m.Content) {
				t.Errorf("a hidden character reached the desk: %q", m.Content)
			}
		})
	}
}

// TestUploadKeepsWithinDiscordLimits: alt text longer than Discord takes
// is cut rather than refused; the files go with the text's first part, so
// a refusal leaves nothing posted; more files than a message holds go in
// the next message, and the rest of a long text after them.
func TestUploadKeepsWithinDiscordLimits(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	var files []bot.File
	for i := range 12 {
		files = append(files, bot.File{Name: fmt.Sprintf("day-%d.png", i), Alt: strings.Repeat("🙂", 1000), Data: []byte{byte(i + 1)}})
	}
	text := strings.Repeat("figures ", 300) // 2,400 characters
	if err := d.Upload(context.Background(), "", text, files); err != nil {
		t.Fatal(err)
	}
	msgs := sim.ChannelMessages(sim.Options().DeskChannelID)
	if len(msgs) != 3 || len(msgs[0].Uploads) != 10 || msgs[0].Content == "" || len(msgs[1].Uploads) != 2 || msgs[1].Content != "" || len(msgs[2].Uploads) != 0 || msgs[2].Content == "" {
		t.Fatalf("got %d messages; want ten files with the text's first part, then two files, then the rest of the text", len(msgs))
	}
	if got := strings.Join(strings.Fields(msgs[0].Content+" "+msgs[2].Content), " "); got != strings.TrimSpace(text) {
		t.Errorf("the text arrived as %q", got)
	}
	n := 0
	for _, m := range msgs {
		for _, f := range m.Uploads {
			if units := len(utf16.Encode([]rune(f.Description))); units > 1024 || !strings.HasPrefix(f.Description, "🙂🙂") || f.Data[0] != byte(n+1) {
				t.Errorf("file %d: %s starting %d, description of %d units", n, f.Filename, f.Data[0], units)
			}
			n++
		}
	}
}

func TestUploadWithoutFilesIsWords(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	ctx := context.Background()
	if err := d.Upload(ctx, "", "nothing to chart this week", nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Upload(ctx, alice, "nothing for you either", nil); err != nil {
		t.Fatal(err)
	}
	if msgs := sim.ChannelMessages(sim.Options().DeskChannelID); len(msgs) != 1 || msgs[0].Content != "nothing to chart this week" {
		t.Errorf("desk channel: %+v", msgs)
	}
	if msgs := sim.ChannelMessages(sim.DMChannel(alice)); len(msgs) != 1 || msgs[0].Content != "nothing for you either" {
		t.Errorf("alice's DMs: %+v", msgs)
	}
}

func TestUploadErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		agent     string
		sim       discordsim.Options
		breakIt   func(*discordsim.Server)
		permanent bool
		retry     time.Duration // the wait Discord asked for
		says      string        // in the error, for whoever runs caredesk
	}{
		{name: "no Attach Files", breakIt: func(s *discordsim.Server) { s.DenyAttachFiles(true) }, permanent: true,
			says: "Discord refused the upload: the bot lacks the Attach Files permission in channel " + discordsim.DefaultDeskChannelID + "; grant Attach Files to caredesk's role in that channel's or the server's settings (Permissions)"},
		{name: "too large", sim: discordsim.Options{MaxUploadSize: 1000}, permanent: true,
			says: "Discord refused the upload: the files are 2063 bytes together, more than the server takes in one message (10 MiB unless it is boosted); send smaller files"},
		{name: "DMs closed", agent: bob, breakIt: func(s *discordsim.Server) { s.SetDMsClosed(bob, true) }, permanent: true,
			says: "agent " + bob + " takes no direct messages from the bot"},
		{name: "rate limited", breakIt: func(s *discordsim.Server) {
			s.FailNext(discordsim.RouteCreateMessage, 1, 429, 1500*time.Millisecond)
		}, retry: 1500 * time.Millisecond, says: "rate limited"},
		{name: "Discord down", breakIt: func(s *discordsim.Server) {
			s.FailNext(discordsim.RouteCreateMessage, 1, 503, 0)
		}, says: "HTTP 503"},
		{name: "channel gone", breakIt: func(s *discordsim.Server) {
			s.FailNext(discordsim.RouteCreateMessage, 1, 404, 0)
		}, permanent: true, says: "Unknown Channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, tt.sim)
			d := newDiscord(t, sim)
			if tt.breakIt != nil {
				tt.breakIt(sim)
			}
			err := d.Upload(context.Background(), tt.agent, "week 9", report())
			if err == nil {
				t.Fatal("the upload succeeded")
			}
			if bot.IsPermanent(err) != tt.permanent || bot.RetryAfterOf(err) != tt.retry {
				t.Errorf("%v: permanent %v, retry after %s; want %v, %s", err, bot.IsPermanent(err), bot.RetryAfterOf(err), tt.permanent, tt.retry)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q\ndoes not say %q", err, tt.says)
			}
			if n := len(sim.Messages()); n != 0 {
				t.Errorf("a failed upload left %d messages on Discord", n)
			}
		})
	}
}

// TestDMsTakeFilesWithoutAttachFiles: a server's permissions do not reach
// direct messages, so an agent still gets a report in private.
func TestDMsTakeFilesWithoutAttachFiles(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	sim.DenyAttachFiles(true)
	if err := d.Upload(context.Background(), alice, "week 9", report()); err != nil {
		t.Fatal(err)
	}
	if msgs := uploaded(sim, sim.DMChannel(alice)); len(msgs) != 1 || !bytes.Equal(msgs[0].Uploads[0].Data, chart) {
		t.Errorf("alice's DMs with files: %+v", msgs)
	}
}

// TestRefusedUploadPostsNothing: when Discord refuses the files for good,
// not even the first part of a long text is left behind, so the words the
// courier posts instead are the only copy.
func TestRefusedUploadPostsNothing(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	sim.DenyAttachFiles(true)
	d := newDiscord(t, sim)
	err := d.Upload(context.Background(), "", strings.Repeat("figures ", 300), []bot.File{{Name: "a.png", Data: []byte{1}}})
	if !bot.IsPermanent(err) {
		t.Fatalf("Upload: %v, want a permanent refusal", err)
	}
	if msgs := sim.ChannelMessages(sim.Options().DeskChannelID); len(msgs) != 0 {
		t.Errorf("%d messages were left behind", len(msgs))
	}
}
