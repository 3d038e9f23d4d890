package discord_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/sim/discordsim"
)

// Bytes of files as people send them; only their first bytes are real.
var (
	photo   = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{0x42}, 2037)...) // 2 KB
	invoice = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
)

// files counts how often the uploads it makes are opened and closed:
// every file an adapter opens it must close.
type files struct {
	mu             sync.Mutex
	opened, closed int
}

// upload is f with data, read from the start on every Open.
func (fs *files) upload(f bot.Attachment, data []byte) bot.Upload {
	if f.Size == 0 {
		f.Size = int64(len(data))
	}
	return bot.Upload{File: f, Open: func() (io.ReadCloser, error) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		fs.opened++
		return &counted{Reader: bytes.NewReader(data), fs: fs}, nil
	}}
}

type counted struct {
	io.Reader
	fs   *files
	once sync.Once
}

func (c *counted) Close() error {
	c.once.Do(func() {
		c.fs.mu.Lock()
		defer c.fs.mu.Unlock()
		c.fs.closed++
	})
	return nil
}

// check fails t unless opened files were opened and all were closed.
func (fs *files) check(t *testing.T, opened int) {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.opened != opened || fs.closed != fs.opened {
		t.Errorf("files opened %d times and closed %d times; want %d, all closed", fs.opened, fs.closed, opened)
	}
}

// photos are n uploads of the photo, named photo-1.jpg on.
func (fs *files) photos(n int) []bot.Upload {
	var out []bot.Upload
	for i := range n {
		out = append(out, fs.upload(bot.Attachment{Kind: bot.FilePhoto, Name: fmt.Sprintf("photo-%d.jpg", i+1), MIME: "image/jpeg"}, photo))
	}
	return out
}

// fetch reads what Fetch hands over of a.
func fetch(t *testing.T, d *discord.Discord, a bot.Attachment) ([]byte, error) {
	t.Helper()
	body, err := d.Fetch(context.Background(), a)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return io.ReadAll(body)
}

func TestCustomersFilesComeWithTheirMessage(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	in := &inbox{}
	run(t, sim, d, nil, in)
	support := sim.Options().SourceChannelIDs[0]
	type file struct {
		name, mime string
		kind       bot.FileKind
		data       []byte
	}
	tests := []struct {
		name  string
		dm    bool
		words string
		files []file
		text  string // what the core reads
	}{
		{"a photo in #support", false, "It came broken", []file{{"IMG_0042.jpg", "image/jpeg", bot.FilePhoto, photo}}, "It came broken"},
		{"a PDF alone in a DM", true, "", []file{{"receipt.pdf", "application/pdf", bot.FileDocument, invoice}}, "📎 receipt.pdf"},
		{"a GIF and a video", false, "look", []file{{"box.gif", "image/gif", bot.FileAnimation, []byte("GIF89a")}, {"unboxing.mp4", "video/mp4", bot.FileVideo, []byte("mp4")}}, "look"},
		{"a recording", true, "", []file{{"call.mp3", "audio/mpeg", bot.FileAudio, []byte("ID3")}}, "📎 call.mp3"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			post := discordsim.Post{Content: tt.words}
			for _, f := range tt.files {
				post.Files = append(post.Files, discordsim.Attachment{Filename: f.name, Data: f.data})
			}
			var id string
			if tt.dm {
				id = sim.UserPostsDM(jane, post)
			} else {
				id = sim.UserPosts(support, jane, post)
			}
			got := in.waitFor(t, i+1)[i]
			if got.MessageID != id || got.Text != tt.text || got.Private != tt.dm || len(got.Attachments) != 0 || len(got.Files) != len(tt.files) {
				t.Fatalf("the core received %+v; want %q with %d files and no links", got, tt.text, len(tt.files))
			}
			for j, want := range tt.files {
				f := got.Files[j]
				if f.Name != want.name || f.MIME != want.mime || f.Kind != want.kind || f.Size != int64(len(want.data)) || f.From != "discord" ||
					!strings.HasPrefix(f.Origin, sim.URL()+"/attachments/"+got.Conversation+"/") {
					t.Errorf("file %d = %+v; want %s (%s, a %s of %d bytes) from discord at its CDN address", j, f, want.name, want.mime, want.kind, len(want.data))
				}
				if data, err := fetch(t, d, f); err != nil || !bytes.Equal(data, want.data) {
					t.Errorf("Fetch(%s) = %d bytes, %v; want the file's %d", f.Name, len(data), err, len(want.data))
				}
			}
		})
	}
}

func TestFetchSaysWhatBecameOfTheFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		before    func(sim *discordsim.Server, channel, msg string)
		permanent bool
		wait      bool   // a 429: after the CDN's wait
		says      string // in the error; "" for the bytes
	}{
		{name: "served", before: func(*discordsim.Server, string, string) {}},
		{name: "its link expired", before: func(s *discordsim.Server, _, _ string) { s.ExpireAttachments() }, permanent: true, says: "Discord no longer has the file"},
		{name: "its message was deleted", before: func(s *discordsim.Server, ch, msg string) { s.UserDeletes(ch, msg) }, permanent: true, says: "link expired or the message was deleted"},
		{name: "the CDN is in trouble", before: func(s *discordsim.Server, _, _ string) { s.FailDownloads(1, http.StatusServiceUnavailable) }, says: "HTTP 503"},
		{name: "the CDN asks to wait", before: func(s *discordsim.Server, _, _ string) { s.FailDownloads(1, http.StatusTooManyRequests) }, wait: true, says: "rate limited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			in := &inbox{}
			run(t, sim, d, nil, in)
			support := sim.Options().SourceChannelIDs[0]
			msg := sim.UserPosts(support, jane, discordsim.Post{Files: []discordsim.Attachment{{Filename: "IMG_0042.jpg", Data: photo}}})
			f := in.waitFor(t, 1)[0].Files[0]
			tt.before(sim, support, msg)
			data, err := fetch(t, d, f)
			switch {
			case tt.says == "":
				if err != nil || !bytes.Equal(data, photo) {
					t.Errorf("Fetch: %d bytes, %v; want the photo", len(data), err)
				}
				return
			case err == nil || bot.IsPermanent(err) != tt.permanent || (bot.RetryAfterOf(err) > 0) != tt.wait || !strings.Contains(err.Error(), tt.says):
				t.Errorf("Fetch: %v (permanent %v, wait %v); want %q, permanent %v, wait %v", err, bot.IsPermanent(err), bot.RetryAfterOf(err), tt.says, tt.permanent, tt.wait)
			}
			if !tt.permanent {
				// What was worth a retry is served on the next one.
				if data, err := fetch(t, d, f); err != nil || !bytes.Equal(data, photo) {
					t.Errorf("Fetch again: %d bytes, %v; want the photo", len(data), err)
				}
			}
		})
	}
}

func TestFetchGoesNowhereButDiscordsCDN(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	for _, origin := range []string{
		"https://evil.example/photo.jpg",
		"http://169.254.169.254/latest/meta-data/",
		"https://cdn.discordapp.com.evil.example/attachments/1/2/a.png",
		"https://user:pass@cdn.discordapp.com/attachments/1/2/a.png",
		"file:///etc/passwd",
		"ftp://cdn.discordapp.com/attachments/1/2/a.png",
		"",
	} {
		_, err := d.Fetch(context.Background(), bot.Attachment{Name: "a.png", From: "discord", Origin: origin})
		if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "only from Discord's CDN") {
			t.Errorf("Fetch(%q): %v; want a permanent refusal that names the CDN", origin, err)
		}
	}
	// Discord's own host is fetched from (here through the simulator): an
	// address without its signature is gone, as on Discord.
	_, err := d.Fetch(context.Background(), bot.Attachment{Name: "old.png", Origin: "https://cdn.discordapp.com/attachments/300000000000000001/1/old.png"})
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "no longer has the file") {
		t.Errorf("an unsigned CDN address: %v; want it asked for, and gone", err)
	}
}

func TestCustomersEditsReachTheCoreAsEdits(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	in := &inbox{}
	run(t, sim, d, nil, in)
	support := sim.Options().SourceChannelIDs[0]
	public := sim.UserWrites(support, jane, "My parcel is lost")
	private := sim.UserDMs(jane, "order 4411")
	in.waitFor(t, 2)
	dm := sim.DMChannel(jane)

	// The bot's own edits are none of the customer's.
	ref, err := d.Send(context.Background(), bot.Outgoing{Conversation: support, ReplyTo: public, Text: "Sorry! Checking.", Key: "caredesk-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.EditSent(context.Background(), ref, bot.Outgoing{Conversation: support, Text: "Sorry! Checking now."}); err != nil {
		t.Fatal(err)
	}
	sim.UserEdits(support, public, jane, "My parcel arrived broken")
	sim.UserEdits(dm, private, jane, "order 4412")
	sim.UserEdits(support, public, jane, "My parcel arrived broken, the box was wet")
	got := in.waitFor(t, 5)
	if len(got) != 5 {
		t.Fatalf("the core received %d messages, want 2 and 3 edits: %+v", len(got), got)
	}
	want := []struct {
		original     bot.Inbound
		text         string
		conversation string
	}{{got[0], "My parcel arrived broken", support}, {got[1], "order 4412", dm}, {got[0], "My parcel arrived broken, the box was wet", support}}
	for i, w := range want {
		e := got[2+i]
		if !e.Edit || e.MessageID != w.original.MessageID || e.Text != w.text || e.Conversation != w.conversation || e.Customer != w.original.Customer ||
			e.Private != w.original.Private || e.PostURL != w.original.PostURL || e.Source != "discord" {
			t.Errorf("edit %d = %+v; want %q as an edit of %s", i, e, w.text, w.original.MessageID)
		}
		if !e.At.After(w.original.At) || e.EventID != "edit:"+e.MessageID+":"+e.At.Format(time.RFC3339Nano) {
			t.Errorf("edit %d at %v with event id %q; want its own time, after %v, in the id", i, e.At, e.EventID, w.original.At)
		}
	}
	if got[2].EventID == got[4].EventID {
		t.Errorf("two edits of one message share the event id %q", got[2].EventID)
	}
}

func TestPostFilesShowsTheFilesInTheThread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		customer bot.Customer
		files    func(*files) []bot.Upload
		messages []int // the files of each message posted
		caption  string
	}{
		{
			name:     "a photo",
			customer: bot.Customer{ID: "777", Name: "Jane Doe", Handle: "jane"},
			files:    func(fs *files) []bot.Upload { return fs.photos(1) },
			messages: []int{1},
			caption:  "📎 photo-1.jpg (2 KB) from **Jane Doe (@jane)**",
		},
		{
			name:     "more than a message takes",
			customer: bot.Customer{ID: "777", Name: "Jane Doe"},
			files:    func(fs *files) []bot.Upload { return fs.photos(12) },
			messages: []int{10, 2},
			caption:  "📎 photo-1.jpg (2 KB), photo-2.jpg (2 KB)",
		},
		{
			name:     "a hostile customer",
			customer: bot.Customer{ID: "777", Name: hostileName},
			files: func(fs *files) []bot.Upload {
				return []bot.Upload{fs.upload(bot.Attachment{Kind: bot.FileDocument, Name: "<@&987> **urgent**.pdf", MIME: "application/pdf"}, invoice)}
			},
			messages: []int{1},
			caption:  "📎 <\u200b@&987\\> \\*\\*urgent\\*\\*.pdf",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			tk := ticket()
			tk.Customer = tt.customer
			thread, err := d.PostTicket(context.Background(), tk)
			if err != nil {
				t.Fatal(err)
			}
			tk.DeskThread = thread
			fs := &files{}
			uploads := tt.files(fs)
			m := bot.Message{ID: 41, TicketID: 12, Kind: bot.FromCustomer, Author: "777", At: time.Now()}
			ref, err := d.PostFiles(context.Background(), tk, m, uploads)
			if err != nil {
				t.Fatal(err)
			}
			fs.check(t, len(uploads))
			posts := uploaded(sim, thread)
			if len(posts) != len(tt.messages) || posts[0].ID != ref {
				t.Fatalf("%d messages with files, the first %q; want %d, and the first one's id", len(posts), ref, len(tt.messages))
			}
			n := 0
			for i, p := range posts {
				if len(p.Uploads) != tt.messages[i] || p.Nonce == "" || !p.AllowedMentions.PingsNobody() || !strings.HasPrefix(p.Content, "📎 ") {
					t.Errorf("message %d: %d files, nonce %q, mentions %+v, %q", i, len(p.Uploads), p.Nonce, p.AllowedMentions, p.Content)
				}
				for _, u := range p.Uploads {
					want := uploads[n]
					data, _ := io.ReadAll(must(want.Open()))
					if u.Filename != want.File.Name || u.ContentType != want.File.MIME || !bytes.Equal(u.Data, data) {
						t.Errorf("file %d is %q (%s, %d bytes); want %q with its bytes", n, u.Filename, u.ContentType, len(u.Data), want.File.Name)
					}
					n++
				}
			}
			if !strings.HasPrefix(posts[0].Content, tt.caption) {
				t.Errorf("the thread shows %q; want it to start %q", posts[0].Content, tt.caption)
			}
			if strings.Contains(posts[0].Content, "@everyone") || strings.Contains(posts[0].Content, "<@") {
				t.Errorf("the caption %q can ping", posts[0].Content)
			}
		})
	}
}

func must(r io.ReadCloser, err error) io.ReadCloser {
	if err != nil {
		panic(err)
	}
	return r
}

func TestPostFilesSaysWhyDiscordRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sim       discordsim.Options
		options   func(*discord.Options)
		before    func(*discordsim.Server)
		files     func(*files) []bot.Upload
		posts     int // create-message calls made
		permanent bool
		says      string
	}{
		{
			name: "no Attach Files", before: func(s *discordsim.Server) { s.DenyAttachFiles(true) },
			files: func(fs *files) []bot.Upload { return fs.photos(1) }, posts: 1, permanent: true, says: "lacks the Attach Files permission",
		},
		{
			name: "larger than caredesk posts",
			files: func(fs *files) []bot.Upload {
				return []bot.Upload{fs.upload(bot.Attachment{Kind: bot.FileVideo, Name: "unboxing.mp4", Size: 11 << 20}, []byte("mp4")), fs.photos(1)[0]}
			},
			posts: 0, permanent: true, says: "Discord takes files up to 10 MB in a server without boosts, and unboxing.mp4 (11 MB) is larger",
		},
		{
			name: "larger than the server takes", sim: discordsim.Options{MaxAttachmentSize: 1024},
			files: func(fs *files) []bot.Upload { return fs.photos(1) }, posts: 1, permanent: true, says: "too large",
		},
		{
			name: "Discord in trouble", before: func(s *discordsim.Server) {
				s.FailNext(discordsim.RouteCreateMessage, 1, http.StatusInternalServerError, 0)
			},
			files: func(fs *files) []bot.Upload { return fs.photos(1) }, posts: 1, says: "HTTP 500",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, tt.sim)
			d := newDiscord(t, sim)
			tk := posted(t, d)
			if tt.before != nil {
				tt.before(sim)
			}
			calls := sim.Calls(discordsim.RouteCreateMessage)
			fs := &files{}
			_, err := d.PostFiles(context.Background(), tk, bot.Message{ID: 41, At: time.Now()}, tt.files(fs))
			if err == nil || bot.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("PostFiles: %v (permanent %v); want %q, permanent %v", err, bot.IsPermanent(err), tt.says, tt.permanent)
			}
			if n := sim.Calls(discordsim.RouteCreateMessage) - calls; n != tt.posts {
				t.Errorf("%d messages were attempted, want %d", n, tt.posts)
			}
			fs.mu.Lock()
			defer fs.mu.Unlock()
			if fs.closed != fs.opened {
				t.Errorf("files opened %d times, closed %d", fs.opened, fs.closed)
			}
		})
	}
}

func TestFindFilesFindsAPostWhoseAnswerWasLost(t *testing.T) {
	t.Parallel()
	for _, gateway := range []bool{false, true} {
		t.Run(fmt.Sprintf("gateway=%v", gateway), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			c := &core{}
			if gateway {
				run(t, sim, d, c, nil) // the echo of the post carries its nonce
			}
			tk := posted(t, d)
			fs := &files{}
			uploads := fs.photos(2)
			m := bot.Message{ID: 41, TicketID: 12, Kind: bot.FromCustomer, At: time.Now()}
			if ref, err := d.FindFiles(context.Background(), tk, m, uploads, nil); err != nil || ref != "" {
				t.Fatalf("before any post: %q, %v; want nothing", ref, err)
			}
			sim.FailWith(discordsim.RouteCreateMessage, 1, discordsim.LostAnswer())
			if _, err := d.PostFiles(context.Background(), tk, m, uploads); err == nil || bot.IsPermanent(err) {
				t.Fatalf("PostFiles whose answer was lost: %v; want an error worth a retry", err)
			}
			posts := uploaded(sim, tk.DeskThread)
			if len(posts) != 1 {
				t.Fatalf("%d posts of files, want the one whose answer was lost", len(posts))
			}
			if gateway {
				// Events are handled in order: with an agent's message
				// after it through, the echo is too.
				sim.UserWrites(tk.DeskThread, alice, "after the files")
				c.waitFor(t, 1)
			}
			listed := sim.Calls(discordsim.RouteMessages)
			ref, err := d.FindFiles(context.Background(), tk, m, uploads, nil)
			if err != nil || ref != posts[0].ID {
				t.Errorf("FindFiles: %q, %v; want %s", ref, err, posts[0].ID)
			}
			if gateway && sim.Calls(discordsim.RouteMessages) != listed {
				t.Errorf("the thread was listed though the nonce's echo named the post")
			}
			// Files shown for another message already, or other files,
			// are not this post.
			if ref, err := d.FindFiles(context.Background(), tk, bot.Message{ID: 42, At: m.At}, uploads, []string{posts[0].ID}); err != nil || ref != "" {
				t.Errorf("with the post taken: %q, %v; want nothing", ref, err)
			}
			if ref, err := d.FindFiles(context.Background(), tk, bot.Message{ID: 43, At: m.At}, fs.photos(3), nil); err != nil || ref != "" {
				t.Errorf("other files: %q, %v; want nothing", ref, err)
			}
		})
	}
}

func TestEditMessageShowsTheEditInTheThread(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	tk := posted(t, d)
	ctx := context.Background()
	tests := []struct {
		name    string
		first   string
		now     string
		content string
	}{
		{"a customer's words", "My parcel is lost", "My parcel arrived broken @everyone",
			"**Jane Doe (@jane)**:\n> My parcel arrived broken @\u200beveryone\n*(edited)*"},
		{"words that no longer fit", "short", strings.Repeat("The parcel was wet and the box was torn. ", 60), ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.Message{ID: int64(50 + i), TicketID: 12, Kind: bot.FromCustomer, Author: "777", Text: tt.first, At: time.Now()}
			ref, err := d.PostMessage(ctx, tk, m)
			if err != nil {
				t.Fatal(err)
			}
			m.DeskRef, m.Original, m.Text, m.EditedAt = ref, m.Text, tt.now, now
			if err := d.EditMessage(ctx, tk, m); err != nil {
				t.Fatal(err)
			}
			got, _ := sim.Message(ref)
			if got.Edits != 1 || len(got.Earlier) != 1 || !strings.Contains(got.Earlier[0], tt.first) || !got.AllowedMentions.PingsNobody() {
				t.Errorf("the message had %d edits (before: %q), mentions %+v; want one, from %q, pinging nobody", got.Edits, got.Earlier, got.AllowedMentions, tt.first)
			}
			if tt.content != "" && got.Content != tt.content {
				t.Errorf("the thread shows %q, want %q", got.Content, tt.content)
			}
			if units(got.Content) > 2000 || !strings.HasSuffix(got.Content, "\n*(edited)*") {
				t.Errorf("the thread shows %d units ending %q; want at most 2000, marked edited", units(got.Content), got.Content[max(0, len(got.Content)-40):])
			}
			// Posted again (a retry), it reads the same and is found.
			if again, err := d.FindMessage(ctx, tk, m); err != nil || (tt.content != "" && again != ref) {
				t.Errorf("FindMessage after the edit: %q, %v; want %s", again, err, ref)
			}
		})
	}
	// The first message is the ticket's root, which UpdateTicket renders.
	root := bot.Message{ID: 1, TicketID: 12, Kind: bot.FromCustomer, Text: "My order #4411 arrived broken.", DeskRef: tk.DeskThread, EditedAt: now}
	tk.Text = root.Text
	if err := d.EditMessage(ctx, tk, root); err != nil {
		t.Fatal(err)
	}
	if got, _ := sim.Message(tk.DeskThread); got.Edits != 1 || got.Content != "" || !strings.Contains(got.Rendered(), "arrived broken") {
		t.Errorf("the root after the edit: %d edits, content %q, shows %q", got.Edits, got.Content, got.Rendered())
	}
}

func TestPostMessageShowsAMessageEditedBeforeItWasPosted(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	tk := posted(t, d)
	m := bot.Message{ID: 7, TicketID: 12, Kind: bot.FromCustomer, Author: "777", Text: "order 4412", Original: "order 4411", EditedAt: now, At: time.Now()}
	ref, err := d.PostMessage(context.Background(), tk, m)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := sim.Message(ref); got.Content != "**Jane Doe (@jane)**:\n> order 4412\n*(edited)*" {
		t.Errorf("the thread shows %q", got.Content)
	}
}

func TestAgentsFilesEditsAndDeletionsBecomeActions(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	c := &core{}
	run(t, sim, d, c, nil)
	tk := posted(t, d)
	thread := tk.DeskThread
	ctx := context.Background()

	label := sim.UserPosts(thread, alice, discordsim.Post{Files: []discordsim.Attachment{{Filename: "return-label.pdf", Data: invoice}}})
	said := sim.UserWrites(thread, alice, "Refund on its way")
	sim.UserEdits(thread, said, alice, "Refund sent today")
	// caredesk's own edits, of the root and of its posts, are no agent's.
	notice, err := d.PostMessage(ctx, tk, bot.Message{ID: 9, Kind: bot.Notice, Text: "Reminder: 10 minutes left."})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.UpdateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if err := d.EditMessage(ctx, tk, bot.Message{ID: 9, Kind: bot.Notice, Text: "Reminder: 5 minutes left.", DeskRef: notice}); err != nil {
		t.Fatal(err)
	}
	sim.UserDeletes(thread, said)
	sim.UserDeletes(thread, notice) // nobody caredesk saw write it
	last := sim.UserWrites(thread, bob, "thanks")

	got := c.waitFor(t, 6)
	al, bo := bot.Agent{ID: alice, Name: "Alice Agent"}, bot.Agent{ID: bob, Name: "bob"}
	if len(got) != 6 || len(got[0].Files) != 1 {
		t.Fatalf("the core got %+v", got)
	}
	f := got[0].Files[0]
	if f.Name != "return-label.pdf" || f.Kind != bot.FileDocument || f.MIME != "application/pdf" || f.Size != int64(len(invoice)) || f.From != bot.FromDesk ||
		!strings.HasPrefix(f.Origin, sim.URL()+"/attachments/"+thread+"/") {
		t.Errorf("the agent's file is %+v", f)
	}
	if data, err := fetch(t, d, f); err != nil || !bytes.Equal(data, invoice) {
		t.Errorf("Fetch of the agent's file: %d bytes, %v", len(data), err)
	}
	edit := got[2].EventID
	if !strings.HasPrefix(edit, "edit:"+said+":") || len(edit) <= len("edit:"+said+":") {
		t.Errorf("the edit's event id is %q, want edit:%s:<when>", edit, said)
	}
	got[0].Files, got[2].EventID = nil, ""
	want := []bot.Action{
		{Verb: bot.DoSay, Thread: thread, Agent: al, Ref: label, EventID: "message:" + label, Whisper: true},
		{Verb: bot.DoSay, Thread: thread, Agent: al, Text: "Refund on its way", Ref: said, EventID: "message:" + said, Whisper: true},
		{Verb: bot.DoEdit, Thread: thread, Agent: al, Text: "Refund sent today", Ref: said, Whisper: true},
		{Verb: bot.DoDelete, Thread: thread, Agent: al, Ref: said, EventID: "delete:" + said, Whisper: true},
		{Verb: bot.DoDelete, Thread: thread, Ref: notice, EventID: "delete:" + notice, Whisper: true},
		{Verb: bot.DoSay, Thread: thread, Agent: bo, Text: "thanks", Ref: last, EventID: "message:" + last, Whisper: true},
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("action %d = %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestSendCarriesTheReplysFiles(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Your refund is on its way, sorry for the wait. ", 100) // 3 parts
	tests := []struct {
		name  string
		dm    bool
		text  string
		files func(*files) []bot.Upload
		// each message: its words (a prefix) and how many files
		words []string
		count []int
		split bool // the ref names messages of files alone
	}{
		{
			name: "an invoice with words", text: "Here is your invoice.",
			files: func(fs *files) []bot.Upload {
				return []bot.Upload{fs.upload(bot.Attachment{Kind: bot.FileDocument, Name: "invoice 4411.pdf", MIME: "application/pdf"}, invoice)}
			},
			words: []string{"Here is your invoice."}, count: []int{1},
		},
		{
			name: "a photo without words in a DM", dm: true,
			files: func(fs *files) []bot.Upload { return fs.photos(1) },
			words: []string{""}, count: []int{1},
		},
		{
			name: "more files than a message takes", text: "All the photos",
			files: func(fs *files) []bot.Upload { return fs.photos(12) },
			words: []string{"All the photos", ""}, count: []int{10, 2}, split: true,
		},
		{
			name: "long words with a file", text: long,
			files: func(fs *files) []bot.Upload { return fs.photos(1) },
			words: []string{"Your refund", "", ""}, count: []int{0, 0, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			channel := sim.Options().SourceChannelIDs[0]
			var asked string
			if tt.dm {
				asked = sim.UserDMs(jane, "the photo please")
				channel = sim.DMChannel(jane)
			} else {
				asked = sim.UserWrites(channel, jane, "my invoice?")
			}
			fs := &files{}
			uploads := tt.files(fs)
			out := bot.Outgoing{Conversation: channel, ReplyTo: asked, Text: tt.text, Files: uploads, Key: "caredesk-8"}
			ref, err := d.Send(context.Background(), out)
			if err != nil {
				t.Fatal(err)
			}
			fs.check(t, len(uploads))
			where, ids := sent(t, ref)
			msgs := sim.ChannelMessages(channel)[1:]
			if where != channel || len(ids) != len(tt.words) || len(msgs) != len(ids) || strings.Contains(ref, "+") != tt.split {
				t.Fatalf("Send returned %q for %d messages; want %d in %s", ref, len(msgs), len(tt.words), channel)
			}
			n := 0
			for i, m := range msgs {
				if m.ID != ids[i] || !strings.HasPrefix(m.Content, tt.words[i]) || (tt.words[i] == "" && i == 0 && m.Content != "") || len(m.Uploads) != tt.count[i] {
					t.Errorf("message %d: %s %q with %d files; want %s %q… with %d", i, m.ID, m.Content, len(m.Uploads), ids[i], tt.words[i], tt.count[i])
				}
				for _, u := range m.Uploads {
					if data, _ := io.ReadAll(must(uploads[n].Open())); u.Filename != uploads[n].File.Name || !bytes.Equal(u.Data, data) || u.ContentType != uploads[n].File.MIME {
						t.Errorf("file %d went as %q (%s), %d bytes", n, u.Filename, u.ContentType, len(u.Data))
					}
					n++
				}
			}
			if r := msgs[0].Reference; r == nil || r.MessageID != asked {
				t.Errorf("the first message answers %+v, want %s", r, asked)
			}
			// A retry after a lost answer sends nothing new.
			again, err := d.Send(context.Background(), out)
			if err != nil || again != ref || len(sim.ChannelMessages(channel)) != len(msgs)+1 {
				t.Errorf("the retry: %q, %v, %d messages; want the same reply, not a second", again, err, len(sim.ChannelMessages(channel)))
			}
		})
	}
}

func TestSendSaysWhyFilesCannotGo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sim    discordsim.Options
		before func(*discordsim.Server)
		says   string
	}{
		{"no Attach Files", discordsim.Options{}, func(s *discordsim.Server) { s.DenyAttachFiles(true) }, "may not attach files in that channel"},
		{"larger than the server takes", discordsim.Options{MaxAttachmentSize: 1024}, func(*discordsim.Server) {}, "too large for that server (2 KB together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, tt.sim)
			d := newDiscord(t, sim)
			tt.before(sim)
			fs := &files{}
			_, err := d.Send(context.Background(), bot.Outgoing{Conversation: sim.Options().SourceChannelIDs[0], Text: "Here it is", Files: fs.photos(1), Key: "caredesk-3"})
			if !bot.IsPermanent(err) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Send: %v; want a permanent error saying %q", err, tt.says)
			}
		})
	}
}

func TestTakeFileRefusesWhatDiscordWouldRefuse(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	plain := newDiscord(t, sim)
	boosted := newDiscord(t, sim, func(o *discord.Options) { o.MaxFileSize = 50 << 20 })
	tests := []struct {
		d    *discord.Discord
		size int64
		want string
	}{
		{plain, 0, ""},
		{plain, 10 << 20, ""},
		{plain, 10<<20 + 1, "Discord takes files up to 10 MB in a server without boosts"},
		{boosted, 20 << 20, ""},
		{boosted, 60 << 20, "Discord takes files up to 50 MB on this server"},
	}
	for _, tt := range tests {
		if got := tt.d.TakeFile(bot.Attachment{Name: "video.mp4", Kind: bot.FileVideo, Size: tt.size}); got != tt.want {
			t.Errorf("TakeFile of %d bytes = %q, want %q", tt.size, got, tt.want)
		}
	}
}

func TestEditSentChangesTheCustomersCopy(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Your refund is on its way, sorry for the wait. ", 100) // 3 parts
	tests := []struct {
		name   string
		text   string // the reply as sent
		files  int    // photos sent with it
		edit   string // the new words
		before func(*discordsim.Server, []string)
		legacy bool // the ref is a message id alone, as before refs named their channel
		// after: the words of each message of the reply, "" for deleted
		after     []string
		permanent bool
		says      string
	}{
		{name: "a typo", text: "Your refnud is on its way", edit: "Your refund is on its way <@&1> @everyone", after: []string{"Your refund is on its way <@&1> @everyone"}},
		{name: "a ref of an id alone", text: "Your refnud is on its way", edit: "Your refund is on its way", legacy: true, after: []string{"Your refund is on its way"}},
		{name: "the words of a photo", files: 1, text: "Here", edit: "Here is the label", after: []string{"Here is the label"}},
		{name: "shorter than it was", text: long, files: 1, edit: "Refund sent.", after: []string{"", "", "Refund sent."}},
		{name: "longer than it was", text: "Refund sent.", edit: long, permanent: true, says: "send the rest as a new reply", after: []string{"Refund sent."}},
		{name: "gone", text: "Refund sent.", edit: "Refund sent today.", before: func(s *discordsim.Server, ids []string) { s.UserDeletes(s.Options().SourceChannelIDs[0], ids[0]) },
			permanent: true, says: "the customer's copy is gone already", after: []string{""}},
		{name: "Discord in trouble", text: "Refund sent.", edit: "Refund sent today.", before: func(s *discordsim.Server, _ []string) {
			s.FailNext(discordsim.RouteEditMessage, 1, http.StatusInternalServerError, 0)
		}, says: "HTTP 500", after: []string{"Refund sent."}},
		{name: "no access any more", text: "Refund sent.", edit: "Refund sent today.", before: func(s *discordsim.Server, _ []string) {
			s.FailNext(discordsim.RouteEditMessage, 1, http.StatusForbidden, 0)
		}, permanent: true, says: "does not let the bot edit", after: []string{"Refund sent."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			support := sim.Options().SourceChannelIDs[0]
			fs := &files{}
			ref, err := d.Send(context.Background(), bot.Outgoing{Conversation: support, Text: tt.text, Files: fs.photos(tt.files), Key: "caredesk-2"})
			if err != nil {
				t.Fatal(err)
			}
			_, ids := sent(t, ref)
			if tt.before != nil {
				tt.before(sim, ids)
			}
			if tt.legacy {
				ref = ids[0]
			}
			// The ticket went private since: the reply stays where it was.
			dm := sim.DMChannel(jane)
			if dm == "" {
				sim.UserDMs(jane, "hi")
				dm = sim.DMChannel(jane)
			}
			conversation := dm
			if tt.legacy {
				conversation = support
			}
			err = d.EditSent(context.Background(), ref, bot.Outgoing{Conversation: conversation, Text: tt.edit, Files: fs.photos(tt.files)})
			switch {
			case tt.says == "" && err != nil:
				t.Errorf("EditSent: %v", err)
			case tt.says != "" && (err == nil || bot.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.says)):
				t.Errorf("EditSent: %v (permanent %v); want %q, permanent %v", err, bot.IsPermanent(err), tt.says, tt.permanent)
			}
			for i, id := range ids {
				m, _ := sim.Message(id)
				switch {
				case tt.after[i] == "" && !m.Deleted:
					t.Errorf("message %d reads %q; want it deleted", i, m.Content)
				case tt.after[i] != "" && (m.Deleted || m.Content != tt.after[i] || !m.AllowedMentions.PingsNobody()):
					t.Errorf("message %d reads %q (deleted %v, mentions %+v); want %q, pinging nobody", i, m.Content, m.Deleted, m.AllowedMentions, tt.after[i])
				}
				if tt.files > 0 && i == len(ids)-1 && len(m.Uploads) != tt.files {
					t.Errorf("the reply's photo is gone from message %d", i)
				}
			}
		})
	}
}

func TestDeleteSentTakesTheReplyBack(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	sim.UserDMs(jane, "hi")
	dm := sim.DMChannel(jane)
	fs := &files{}
	ref, err := d.Send(context.Background(), bot.Outgoing{Conversation: dm, Text: "All the photos", Files: fs.photos(12), Key: "caredesk-4"})
	if err != nil {
		t.Fatal(err)
	}
	_, ids := sent(t, ref)
	// The ticket went public again, or elsewhere: the reply is found where it went.
	tk := ticket()
	tk.Source, tk.Conversation = "discord", sim.Options().SourceChannelIDs[0]
	if err := d.DeleteSent(context.Background(), tk, ref, time.Now().Add(-72*time.Hour)); err != nil {
		t.Fatalf("DeleteSent: %v", err)
	}
	for _, id := range ids {
		if m, _ := sim.Message(id); !m.Deleted {
			t.Errorf("message %s (%q, %d files) is still there", id, m.Content, len(m.Uploads))
		}
	}
	err = d.DeleteSent(context.Background(), tk, ref, time.Now())
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "the customer's copy is gone already") {
		t.Errorf("deleting again: %v; want a permanent error saying it is gone", err)
	}
	sim.FailNext(discordsim.RouteDeleteMessage, 1, http.StatusServiceUnavailable, 0)
	if err := d.DeleteSent(context.Background(), tk, ref, time.Now()); err == nil || bot.IsPermanent(err) {
		t.Errorf("DeleteSent while Discord is in trouble: %v; want an error worth a retry", err)
	}
}
