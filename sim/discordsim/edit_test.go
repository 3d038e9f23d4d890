package discordsim_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"caredesk/sim/discordsim"
)

func TestPeoplesEditsAndDeletesReachTheBot(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	support := o.SourceChannelIDs[0]
	dg := session(t, s, o.Token)
	rec := listen(t, dg)
	s.UserDMs(alice, "hi")

	tests := []struct {
		name, channel, guild string
	}{
		{"in a channel", support, o.GuildID},
		{"in a DM", s.DMChannel(alice), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := s.UserPosts(tt.channel, alice, discordsim.Post{Content: "my parcel is lots", Files: []discordsim.Attachment{{Filename: "box.png", Data: png}}})
			await(t, s, rec, created(id))

			s.UserEdits(tt.channel, id, alice, "my parcel is lost")
			u := await(t, s, rec, func(u *discordgo.MessageUpdate) bool { return u.ID == id })
			if u.Content != "my parcel is lost" || u.ChannelID != tt.channel || u.GuildID != tt.guild || u.Author == nil || u.Author.ID != alice ||
				u.EditedTimestamp == nil || !u.EditedTimestamp.After(u.Timestamp) || len(u.Attachments) != 1 || u.Attachments[0].Filename != "box.png" {
				t.Errorf("MESSAGE_UPDATE %+v", u.Message)
			}
			if m, _ := s.Message(id); m.Content != "my parcel is lost" || m.Edits != 1 || !slices.Equal(m.Earlier, []string{"my parcel is lots"}) {
				t.Errorf("recorded %+v", m)
			}

			s.UserDeletes(tt.channel, id)
			d := await(t, s, rec, func(d *discordgo.MessageDelete) bool { return d.ID == id })
			if d.ChannelID != tt.channel || d.GuildID != tt.guild {
				t.Errorf("MESSAGE_DELETE %+v", d.Message)
			}
			if m, ok := s.Message(id); !ok || !m.Deleted {
				t.Errorf("the record %+v, %v; want it kept, deleted", m, ok)
			}
			msgs, err := dg.ChannelMessages(tt.channel, 100, "", "", "")
			if err != nil || slices.ContainsFunc(msgs, func(m *discordgo.Message) bool { return m.ID == id }) {
				t.Errorf("the channel still shows the deleted message: %v", err)
			}
		})
	}
}

func TestTheBotEditsAndDeletesOnlyItsOwnMessages(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	support := o.SourceChannelIDs[0]
	dg := session(t, s, o.Token)
	rec := listen(t, dg)
	mine, err := dg.ChannelMessageSend(support, "We are looking into it.")
	if err != nil {
		t.Fatal(err)
	}
	theirs := s.UserWrites(support, alice, "where is it?")
	s.UserDMs(alice, "hello")
	dm := s.DMChannel(alice)
	theirsInDM := s.UserDMs(alice, "still there?")

	edited, err := dg.ChannelMessageEdit(support, mine.ID, "We found it.")
	if err != nil {
		t.Fatal(err)
	}
	if edited.Content != "We found it." || edited.EditedTimestamp == nil {
		t.Errorf("the edit answered %+v", edited)
	}
	// Discord tells the bot of its own edits, as of anyone's.
	if u := await(t, s, rec, func(u *discordgo.MessageUpdate) bool { return u.ID == mine.ID }); u.Content != "We found it." || u.EditedTimestamp == nil {
		t.Errorf("MESSAGE_UPDATE %+v", u.Message)
	}
	if _, err := dg.ChannelMessageEdit(support, mine.ID, "It is on its way."); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(mine.ID); m.Content != "It is on its way." || m.Edits != 2 || !slices.Equal(m.Earlier, []string{"We are looking into it.", "We found it."}) {
		t.Errorf("recorded %q after %d edits, earlier %q", m.Content, m.Edits, m.Earlier)
	}

	refused := []struct {
		name         string
		call         func() error
		status, code int
	}{
		{"editing another's message", func() error { _, err := dg.ChannelMessageEdit(support, theirs, "x"); return err }, 403, 50005},
		{"editing an unknown message", func() error { _, err := dg.ChannelMessageEdit(support, "1", "x"); return err }, 404, 10008},
		{"editing a message of another channel", func() error { _, err := dg.ChannelMessageEdit(o.DeskChannelID, mine.ID, "x"); return err }, 404, 10008},
		{"editing to 2001 characters", func() error { _, err := dg.ChannelMessageEdit(support, mine.ID, strings.Repeat("x", 2001)); return err }, 400, 50035},
		{"deleting another's message", func() error { return dg.ChannelMessageDelete(support, theirs) }, 403, 50013},
		{"deleting another's message in a DM", func() error { return dg.ChannelMessageDelete(dm, theirsInDM) }, 403, 50003},
		{"deleting an unknown message", func() error { return dg.ChannelMessageDelete(support, "1") }, 404, 10008},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !matches(err, tt.status, tt.code) {
				t.Errorf("got %v, want %d (%d)", err, tt.status, tt.code)
			}
		})
	}
	if m, _ := s.Message(theirs); m.Content != "where is it?" || m.Edits != 0 || m.Deleted {
		t.Errorf("another's message became %+v", m)
	}

	s.FailNext(discordsim.RouteDeleteMessage, 1, 500, 0)
	if err := dg.ChannelMessageDelete(support, mine.ID); err == nil {
		t.Error("a delete Discord failed succeeded")
	}
	if err := dg.ChannelMessageDelete(support, mine.ID); err != nil {
		t.Fatal(err)
	}
	if d := await(t, s, rec, func(d *discordgo.MessageDelete) bool { return d.ID == mine.ID }); d.GuildID != o.GuildID || d.ChannelID != support {
		t.Errorf("MESSAGE_DELETE %+v", d.Message)
	}
	if m, _ := s.Message(mine.ID); !m.Deleted || m.Content != "It is on its way." || s.Calls(discordsim.RouteDeleteMessage) != 5 {
		t.Errorf("recorded %+v after %d deletes", m, s.Calls(discordsim.RouteDeleteMessage))
	}
	if _, err := dg.ChannelMessageEdit(support, mine.ID, "x"); !matches(err, 404, 10008) {
		t.Errorf("editing a deleted message: %v", err)
	}
	if err := dg.ChannelMessageDelete(support, mine.ID); !matches(err, 404, 10008) {
		t.Errorf("deleting it again: %v", err)
	}
}

func TestEditsKeepAddAndRemoveFiles(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	m, err := dg.ChannelMessageSendComplex(o.DeskChannelID, &discordgo.MessageSend{Content: "week 9", Files: []*discordgo.File{file("a.png", png), file("b.csv", []byte("b"))}})
	if err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		got, _ := s.Message(m.ID)
		var out []string
		for _, f := range got.Uploads {
			out = append(out, f.Filename)
		}
		return out
	}

	// Files in an edit are appended, as Discord documents.
	edited, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: o.DeskChannelID, Files: []*discordgo.File{file("c.csv", []byte("c"))}})
	if err != nil || len(edited.Attachments) != 3 || !slices.Equal(names(), []string{"a.png", "b.csv", "c.csv"}) {
		t.Fatalf("appending a file: %v; files %q", err, names())
	}
	// attachments names the files to keep: the others go.
	keep := []*discordgo.MessageAttachment{edited.Attachments[2]}
	edited, err = dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: o.DeskChannelID, Attachments: &keep, Files: []*discordgo.File{file("d.png", png)}})
	if err != nil || len(edited.Attachments) != 2 || !slices.Equal(names(), []string{"c.csv", "d.png"}) {
		t.Fatalf("keeping one and adding one: %v; files %q", err, names())
	}
	none := []*discordgo.MessageAttachment{}
	if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: o.DeskChannelID, Attachments: &none}); err != nil || len(names()) != 0 {
		t.Fatalf("removing every file: %v; files %q", err, names())
	}
	if got, _ := s.Message(m.ID); got.Content != "week 9" || got.Edits != 3 {
		t.Errorf("recorded %+v", got)
	}

	if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: o.DeskChannelID, Files: csvs(10)}); err != nil {
		t.Fatalf("ten files: %v", err)
	}
	if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: o.DeskChannelID, Files: csvs(1)}); !matches(err, 400, 50035) {
		t.Errorf("an eleventh file: %v", err)
	}
	got, _ := s.Message(m.ID)
	if len(got.Uploads) != 10 || !bytes.Equal(got.Uploads[9].Data, []byte("x")) {
		t.Errorf("the refused edit left %d files", len(got.Uploads))
	}
}
