package discordsim_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"caredesk/sim/discordsim"
)

// png is the start of a PNG file: its signature and IHDR chunk.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa")

// described is a message create with files whose attachments carry
// descriptions, which discordgo's MessageSend cannot say: the payload
// Discord documents, sent as discordgo sends files.
type described struct {
	*discordgo.MessageSend
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	ID          int    `json:"id"`
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
}

// sendDescribed posts m with its files to channel, each described by
// descriptions[i], and returns the message Discord answers with.
func sendDescribed(dg *discordgo.Session, channel string, m *discordgo.MessageSend, descriptions ...string) (*discordgo.Message, []byte, error) {
	body := described{MessageSend: m}
	for i, f := range m.Files {
		a := attachment{ID: i, Filename: f.Name}
		if i < len(descriptions) {
			a.Description = descriptions[i]
		}
		body.Attachments = append(body.Attachments, a)
	}
	ct, data, err := discordgo.MultipartBodyWithJSON(body, m.Files)
	if err != nil {
		return nil, nil, err
	}
	endpoint := discordgo.EndpointChannelMessages(channel)
	raw, err := dg.RequestRaw("POST", endpoint, ct, data, endpoint, 0)
	if err != nil {
		return nil, nil, err
	}
	var msg discordgo.Message
	return &msg, raw, json.Unmarshal(raw, &msg)
}

func file(name string, data []byte) *discordgo.File {
	return &discordgo.File{Name: name, Reader: bytes.NewReader(data)}
}

func TestMessagesCarryFiles(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	csv := []byte("ticket,minutes\n12,40\n")

	m, err := dg.ChannelMessageSendComplex(o.DeskChannelID, &discordgo.MessageSend{
		Content: "week 9", Files: []*discordgo.File{{Name: "chart.png", ContentType: "image/png", Reader: bytes.NewReader(png)}, file("tickets.csv", csv)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 2 || m.Attachments[0].Filename != "chart.png" || m.Attachments[0].Size != len(png) || m.Attachments[1].ContentType != "application/octet-stream" {
		t.Errorf("attachments answered: %+v", m.Attachments)
	}
	got, _ := s.Message(m.ID)
	if got.Content != "week 9" || len(got.Uploads) != 2 || !bytes.Equal(got.Uploads[0].Data, png) || !bytes.Equal(got.Uploads[1].Data, csv) ||
		got.Uploads[0].ContentType != "image/png" || got.Uploads[0].ID != m.Attachments[0].ID {
		t.Errorf("recorded %+v", got)
	}

	m, raw, err := sendDescribed(dg, o.DeskChannelID, &discordgo.MessageSend{Files: []*discordgo.File{file("chart.png", png), file("t.csv", csv)}}, "bars by day")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.Message(m.ID)
	if got.Content != "" || len(got.Uploads) != 2 || got.Uploads[0].Description != "bars by day" || got.Uploads[1].Description != "" || got.Uploads[0].ContentType != "image/png" {
		t.Errorf("a message of described files only: %+v", got)
	}
	if !strings.Contains(string(raw), `"description":"bars by day"`) {
		t.Errorf("the answer does not show the description: %s", raw)
	}

	if _, err := dg.ChannelMessageSend(o.DeskChannelID, "still JSON"); err != nil {
		t.Errorf("a message without files: %v", err)
	}
}

func TestFilesAreCheckedAsDiscordDoes(t *testing.T) {
	s := newSim(t, discordsim.Options{MaxUploadSize: 100})
	o := s.Options()
	dg := session(t, s, o.Token)
	eleven := make([]*discordgo.File, 11)
	for i := range eleven {
		eleven[i] = file("a.csv", []byte("x"))
	}
	tests := []struct {
		name         string
		send         func() error
		status, code int
	}{
		{"more bytes than the server takes", func() error {
			_, err := dg.ChannelMessageSendComplex(o.DeskChannelID, &discordgo.MessageSend{Files: []*discordgo.File{file("a.csv", bytes.Repeat([]byte("x"), 101))}})
			return err
		}, 413, 40005},
		{"more than ten files", func() error {
			_, err := dg.ChannelMessageSendComplex(o.DeskChannelID, &discordgo.MessageSend{Files: eleven})
			return err
		}, 400, 50035},
		{"a description too long", func() error {
			_, _, err := sendDescribed(dg, o.DeskChannelID, &discordgo.MessageSend{Files: []*discordgo.File{file("a.png", png)}}, strings.Repeat("é", 1025))
			return err
		}, 400, 50035},
		{"a description of no file", func() error {
			body := described{MessageSend: &discordgo.MessageSend{Content: "x"}, Attachments: []attachment{{ID: 3, Filename: "a.png"}}}
			ct, data, _ := discordgo.MultipartBodyWithJSON(body, []*discordgo.File{file("a.png", png)})
			endpoint := discordgo.EndpointChannelMessages(o.DeskChannelID)
			_, err := dg.RequestRaw("POST", endpoint, ct, data, endpoint, 0)
			return err
		}, 400, 50035},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); !matches(err, tt.status, tt.code) {
				t.Errorf("got %v, want %d (%d)", err, tt.status, tt.code)
			}
		})
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d refused messages were kept", n)
	}
}

func TestAttachFilesCanBeDenied(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	withFile := func(channel string) error {
		_, err := dg.ChannelMessageSendComplex(channel, &discordgo.MessageSend{Content: "chart", Files: []*discordgo.File{file("a.png", png)}})
		return err
	}

	s.DenyAttachFiles(true)
	if err := withFile(o.DeskChannelID); !matches(err, 403, 50013) {
		t.Errorf("files without Attach Files: %v, want 403 Missing Permissions", err)
	}
	if _, err := dg.ChannelMessageSend(o.DeskChannelID, "words"); err != nil {
		t.Errorf("words without Attach Files: %v", err)
	}
	dm, err := dg.UserChannelCreate("400000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if err := withFile(dm.ID); err != nil {
		t.Errorf("files in a DM, which has no permissions: %v", err)
	}
	s.DenyAttachFiles(false)
	if err := withFile(o.DeskChannelID); err != nil {
		t.Errorf("files once Attach Files is granted again: %v", err)
	}
}

// csvs are n one-byte files.
func csvs(n int) []*discordgo.File {
	var out []*discordgo.File
	for range n {
		out = append(out, file("x.csv", []byte("x")))
	}
	return out
}

func TestUploadLimits(t *testing.T) {
	tests := []struct {
		name         string
		opts         discordsim.Options
		files        func() []*discordgo.File
		status, code int // 0 for accepted
	}{
		{"a file of 11 MiB", discordsim.Options{}, func() []*discordgo.File {
			return []*discordgo.File{file("video.mp4", make([]byte, 11<<20))}
		}, 413, 40005},
		{"a file at the limit", discordsim.Options{MaxAttachmentSize: 100}, func() []*discordgo.File {
			return []*discordgo.File{file("a.csv", make([]byte, 100))}
		}, 0, 0},
		{"a file over the limit", discordsim.Options{MaxAttachmentSize: 100}, func() []*discordgo.File {
			return []*discordgo.File{file("a.csv", []byte("x")), file("b.csv", make([]byte, 101))}
		}, 413, 40005},
		{"files under the limit, over the request's", discordsim.Options{MaxAttachmentSize: 100, MaxUploadSize: 150}, func() []*discordgo.File {
			return []*discordgo.File{file("a.csv", make([]byte, 100)), file("b.csv", make([]byte, 100))}
		}, 413, 40005},
		{"ten files", discordsim.Options{}, func() []*discordgo.File { return csvs(10) }, 0, 0},
		{"eleven files", discordsim.Options{}, func() []*discordgo.File { return csvs(11) }, 400, 50035},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, tt.opts)
			o := s.Options()
			dg := session(t, s, o.Token)
			_, err := dg.ChannelMessageSendComplex(o.DeskChannelID, &discordgo.MessageSend{Content: "files", Files: tt.files()})
			if tt.status == 0 && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tt.status != 0 && !matches(err, tt.status, tt.code) {
				t.Errorf("got %v, want %d (%d)", err, tt.status, tt.code)
			}
			want := 1
			if tt.status != 0 {
				want = 0 // a refused message leaves nothing
			}
			if n := len(s.Messages()); n != want {
				t.Errorf("%d messages kept, want %d", n, want)
			}
		})
	}
}

// TestFilesAreRecordedWhereverTheyGo: two files reach the record with
// their names, types and bytes, in a channel, a thread, a DM and a reply.
func TestFilesAreRecordedWhereverTheyGo(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	support := o.SourceChannelIDs[0]
	dg := session(t, s, o.Token)
	question := s.UserWrites(support, alice, "can I have the invoice?")
	root, err := dg.ChannelMessageSend(o.DeskChannelID, "#12")
	if err != nil {
		t.Fatal(err)
	}
	thread, err := dg.MessageThreadStart(o.DeskChannelID, root.ID, "#12", 1440)
	if err != nil {
		t.Fatal(err)
	}
	dm, err := dg.UserChannelCreate(alice)
	if err != nil {
		t.Fatal(err)
	}
	invoice := []byte("%PDF-1.7 invoice")

	tests := []struct {
		name, channel string
		reply         *discordgo.MessageReference
	}{
		{"in the desk channel", o.DeskChannelID, nil},
		{"in a thread", thread.ID, nil},
		{"in a DM", dm.ID, nil},
		{"in a reply", support, &discordgo.MessageReference{MessageID: question, ChannelID: support}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := dg.ChannelMessageSendComplex(tt.channel, &discordgo.MessageSend{
				Content: "here", Reference: tt.reply,
				Files: []*discordgo.File{{Name: "chart.png", ContentType: "image/png", Reader: bytes.NewReader(png)}, file("invoice.pdf", invoice)},
			})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := s.Message(m.ID)
			if got.ChannelID != tt.channel || len(got.Uploads) != 2 ||
				got.Uploads[0].Filename != "chart.png" || got.Uploads[0].ContentType != "image/png" || !bytes.Equal(got.Uploads[0].Data, png) ||
				got.Uploads[1].Filename != "invoice.pdf" || got.Uploads[1].ContentType != "application/pdf" || !bytes.Equal(got.Uploads[1].Data, invoice) {
				t.Errorf("recorded %+v", got)
			}
			if tt.reply != nil && (got.Reference == nil || got.Reference.MessageID != question || m.MessageReference == nil || m.Type != discordgo.MessageTypeReply) {
				t.Errorf("the reply: reference %+v, answered %+v of type %d", got.Reference, m.MessageReference, m.Type)
			}
		})
	}
}
