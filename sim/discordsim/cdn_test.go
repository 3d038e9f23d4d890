package discordsim_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"caredesk/sim/discordsim"
)

const alice = "400000000000000001" // as newSim adds her

// listen opens a gateway session for dg with every message intent,
// content included, and returns what it receives.
func listen(t *testing.T, dg *discordgo.Session) *recorder {
	t.Helper()
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentsMessageContent
	rec := &recorder{}
	dg.AddHandler(rec.handle)
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeSession(dg) })
	return rec
}

// eventOf returns the first event of type T the session handled for
// which keep holds.
func eventOf[T any](r *recorder, keep func(T) bool) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if v, ok := e.Struct.(T); ok && keep(v) {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// await waits for the first event of type T for which keep holds.
func await[T any](t *testing.T, s *discordsim.Server, r *recorder, keep func(T) bool) T {
	t.Helper()
	var v T
	r.wait(t, s, func() bool {
		var ok bool
		v, ok = eventOf(r, keep)
		return ok
	})
	return v
}

func created(id string) func(*discordgo.MessageCreate) bool {
	return func(m *discordgo.MessageCreate) bool { return m.ID == id }
}

// download GETs link with dg's client, through the simulator's transport.
func download(t *testing.T, dg *discordgo.Session, link string) (*http.Response, []byte) {
	t.Helper()
	resp, err := dg.Client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestPeoplesFilesArriveWithLinksThatDownload(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	support := o.SourceChannelIDs[0]
	s.AddChannel(discordsim.Channel{ID: "700000000000000003", Name: "My order", Type: discordsim.ChannelPublicThread, ParentID: support})
	dg := session(t, s, o.Token)
	rec := listen(t, dg)
	photo := discordsim.Attachment{Filename: "photo.png", Data: png}

	tests := []struct {
		name, channel string
		post          func(discordsim.Post) string
		guild         string
	}{
		{"in a channel", support, func(p discordsim.Post) string { return s.UserPosts(support, alice, p) }, o.GuildID},
		{"in a thread", "700000000000000003", func(p discordsim.Post) string { return s.UserPosts("700000000000000003", alice, p) }, o.GuildID},
		{"in a DM", "", func(p discordsim.Post) string { return s.UserPostsDM(alice, p) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.post(discordsim.Post{Files: []discordsim.Attachment{photo}}) // a photo, no words
			m := await(t, s, rec, created(id))
			channel := tt.channel
			if channel == "" {
				channel = s.DMChannel(alice)
			}
			if m.Content != "" || m.GuildID != tt.guild || m.ChannelID != channel || len(m.Attachments) != 1 {
				t.Fatalf("MESSAGE_CREATE %+v with attachments %+v", m.Message, m.Attachments)
			}
			a := m.Attachments[0]
			rec, _ := s.Message(id)
			if len(rec.Files) != 1 || a.ID != rec.Files[0].ID || a.Filename != "photo.png" || a.ContentType != "image/png" ||
				a.Size != len(png) || a.Width != 16 || a.Height != 16 || a.ProxyURL != a.URL {
				t.Errorf("attachment %+v, recorded %+v", a, rec.Files)
			}
			prefix := s.URL() + "/attachments/" + channel + "/" + a.ID + "/photo.png?ex="
			if !strings.HasPrefix(a.URL, prefix) || !strings.Contains(a.URL, "&is=") || !strings.Contains(a.URL, "&hm=") {
				t.Errorf("url %s, want a signed link starting %s", a.URL, prefix)
			}
			resp, body := download(t, dg, a.URL)
			if resp.StatusCode != 200 || !bytes.Equal(body, png) || resp.Header.Get("Content-Type") != "image/png" ||
				resp.Header.Get("Content-Length") != strconv.Itoa(len(png)) || s.Downloads(a.ID) != 1 {
				t.Errorf("download: %s, %q, %d bytes, %d downloads", resp.Status, resp.Header, len(body), s.Downloads(a.ID))
			}
		})
	}
}

func TestAttachmentLinksAreRefusedAsDiscordsCDNRefusesThem(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	support := o.SourceChannelIDs[0]
	dg := session(t, s, o.Token)
	rec := listen(t, dg)
	big := discordsim.Attachment{Filename: "clip.mp4", Data: []byte("ftyp"), Size: 3000}
	id := s.UserPosts(support, alice, discordsim.Post{Content: "see", Files: []discordsim.Attachment{{Filename: "receipt.pdf", Data: []byte("%PDF-1.7")}, big}})
	m := await(t, s, rec, created(id))
	receipt, clip := m.Attachments[0], m.Attachments[1]
	gone := func(link string) func(*testing.T) {
		return func(t *testing.T) {
			t.Helper()
			if resp, body := download(t, dg, link); resp.StatusCode != 404 || strings.TrimSpace(string(body)) != "This content is no longer available." {
				t.Errorf("%s: %s %q; want 404 This content is no longer available.", link, resp.Status, body)
			}
		}
	}
	base, _, _ := strings.Cut(receipt.URL, "?")

	t.Run("a size announced beyond the bytes", func(t *testing.T) {
		resp, body := download(t, dg, clip.URL)
		if clip.Size != 3000 || clip.ContentType != "video/mp4" || resp.ContentLength != 3000 || len(body) != 3000 || !bytes.HasPrefix(body, []byte("ftyp")) {
			t.Errorf("attachment %+v served %d of %d bytes", clip, len(body), resp.ContentLength)
		}
	})
	t.Run("no signature", gone(base))
	t.Run("another signature", gone(strings.Replace(receipt.URL, "hm=", "hm=0", 1)))
	t.Run("another expiry", gone(strings.Replace(receipt.URL, "ex=", "ex=f", 1)))
	t.Run("another file's name", gone(strings.Replace(receipt.URL, "receipt.pdf", "clip.mp4", 1)))
	t.Run("the CDN fails", func(t *testing.T) {
		s.FailDownloads(1, 503)
		before := s.Downloads(receipt.ID)
		if resp, _ := download(t, dg, receipt.URL); resp.StatusCode != 503 {
			t.Errorf("a failing CDN answered %s", resp.Status)
		}
		if resp, body := download(t, dg, receipt.URL); resp.StatusCode != 200 || string(body) != "%PDF-1.7" || s.Downloads(receipt.ID) != before+2 {
			t.Errorf("after the failure: %s %q, %d downloads", resp.Status, body, s.Downloads(receipt.ID))
		}
	})
	t.Run("expired", func(t *testing.T) {
		s.ExpireAttachments()
		gone(receipt.URL)(t)
		// Fetching the message again gives a new link, as on Discord.
		msgs, err := dg.ChannelMessages(support, 1, "", "", "")
		if err != nil || len(msgs) != 1 || msgs[0].Attachments[0].URL == receipt.URL {
			t.Fatalf("messages %+v, %v; want a new link", msgs, err)
		}
		if resp, body := download(t, dg, msgs[0].Attachments[0].URL); resp.StatusCode != 200 || string(body) != "%PDF-1.7" {
			t.Errorf("the new link: %s %q", resp.Status, body)
		}
	})
	t.Run("the message deleted", func(t *testing.T) {
		msgs, _ := dg.ChannelMessages(support, 1, "", "", "")
		s.UserDeletes(support, id)
		if resp, _ := download(t, dg, msgs[0].Attachments[0].URL); resp.StatusCode != 404 {
			t.Errorf("a deleted message's file: %s", resp.Status)
		}
	})
}

func TestBotUploadsDownloadToo(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	m, err := dg.ChannelMessageSendComplex(o.DeskChannelID, &discordgo.MessageSend{Files: []*discordgo.File{file("chart.png", png)}})
	if err != nil {
		t.Fatal(err)
	}
	a := m.Attachments[0]
	if resp, body := download(t, dg, a.URL); resp.StatusCode != 200 || !bytes.Equal(body, png) || a.Width != 16 || s.Downloads(a.ID) != 1 {
		t.Errorf("the bot's chart %+v: %s, %d bytes", a, resp.Status, len(body))
	}
}
