package telegram_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

// received polls c until the customer's one message reached the core, and
// returns it.
func received(t *testing.T, s *telegramsim.Server, c *telegram.Client) bot.Inbound {
	t.Helper()
	rec := newRecorder()
	stop := poll(t, c, rec)
	got := rec.waitStored(t, 1)
	stop()
	if len(got) != 1 {
		t.Fatalf("the core got %d messages, want 1: %+v", len(got), got)
	}
	return got[0]
}

// fetched reads the whole file a Fetch hands over, and closes it.
func fetched(t *testing.T, c *telegram.Client, a bot.Attachment) []byte {
	t.Helper()
	body, err := c.Fetch(testContext(t), a)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", a.Label(), err)
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("reading %s: %v", a.Label(), err)
	}
	return data
}

func TestCustomersFilesReachTheCoreAndDownload(t *testing.T) {
	kettle := []byte("\xff\xd8\xff the broken kettle, full size")
	tests := []struct {
		name  string
		send  func(s *telegramsim.Server)
		text  string
		kind  bot.FileKind
		fname string
		mime  string
		data  []byte
	}{
		{"a photo with a caption: its largest size", func(s *telegramsim.Server) { s.CustomerSendsPhoto(42, jane, kettle, "it arrived broken") },
			"it arrived broken", bot.FilePhoto, "photo.jpg", "image/jpeg", kettle},
		{"a photo alone still opens a ticket", func(s *telegramsim.Server) { s.CustomerSendsPhoto(42, jane, kettle, "") },
			"[photo]", bot.FilePhoto, "photo.jpg", "image/jpeg", kettle},
		{"a voice message alone", func(s *telegramsim.Server) {
			s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "voice", Data: []byte("OggS voice"), Duration: 4})
		}, "[voice message]", bot.FileVoice, "voice.ogg", "audio/ogg", []byte("OggS voice")},
		{"a sticker", func(s *telegramsim.Server) {
			s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "sticker", Data: []byte("RIFF webp"), Emoji: "😡"})
		}, "[sticker]", bot.FileSticker, "sticker.webp", "image/webp", []byte("RIFF webp")},
		{"a document with a caption", func(s *telegramsim.Server) {
			s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "document", Name: "invoice.pdf", Data: []byte("%PDF-1.7"), Caption: "charged twice"})
		}, "charged twice", bot.FileDocument, "invoice.pdf", "application/pdf", []byte("%PDF-1.7")},
		{"a round video message", func(s *telegramsim.Server) {
			s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "video_note", Data: []byte("mp4 round"), Duration: 7})
		}, "[video message]", bot.FileVideo, "video-note.mp4", "video/mp4", []byte("mp4 round")},
		{"a GIF: one animation, though Telegram also calls it a document", func(s *telegramsim.Server) {
			s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "animation", Data: []byte("mp4 loop")})
		}, "[GIF]", bot.FileAnimation, "animation.gif.mp4", "video/mp4", []byte("mp4 loop")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t)
			tc.send(s)
			c, _ := newClient(t, s, telegram.Options{})
			in := received(t, s, c)
			if in.Text != tc.text || in.Edit || len(in.Files) != 1 {
				t.Fatalf("got %+v, want the text %q and one file", in, tc.text)
			}
			f := in.Files[0]
			if f.Kind != tc.kind || f.Name != tc.fname || f.MIME != tc.mime || f.From != "telegram" || f.Origin == "" || f.Size != int64(len(tc.data)) {
				t.Errorf("file %+v, want a %s %q (%s) of %d bytes from telegram, with its file_id", f, tc.kind, tc.fname, tc.mime, len(tc.data))
			}
			// The thumbnail's bytes differ: the photo itself is what arrives.
			if got := fetched(t, c, f); !bytes.Equal(got, tc.data) {
				t.Errorf("downloaded %q, want %q", got, tc.data)
			}
			if n := s.Downloads(); n != 1 {
				t.Errorf("%d downloads, want 1", n)
			}
		})
	}
}

func TestACustomersEditNamesTheOriginalMessage(t *testing.T) {
	tests := []struct {
		name  string
		write func(s *telegramsim.Server)
		edit  string
		files int // the message's files as they are now: the core shows one it has not seen
	}{
		{"text", func(s *telegramsim.Server) { s.CustomerWrites(42, jane, "my parcel is late") }, "my parcel is lost", 0},
		{"the caption of a photo", func(s *telegramsim.Server) { s.CustomerSendsPhoto(42, jane, []byte("jpeg"), "it arrived broken") }, "it arrived broken, see the corner", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t)
			tc.write(s)
			original := s.LastMessageID(42)
			c, _ := newClient(t, s, telegram.Options{})
			rec := newRecorder()
			poll(t, c, rec)
			rec.waitStored(t, 1)
			id := s.CustomerEdits(42, jane, original, tc.edit)
			got := rec.waitStored(t, 2)[1]
			if !got.Edit || got.MessageID != itoa(original) || got.EventID != itoa(id) || got.Text != tc.edit || len(got.Files) != tc.files {
				t.Errorf("got %+v; want an edit of message %d to %q in update %d, with %d files", got, original, tc.edit, id, tc.files)
			}
			if got.At.IsZero() || got.Conversation != "42" || got.Customer.ID != "42" {
				t.Errorf("got %+v; want the edit's time, chat and customer", got)
			}
		})
	}
}

// failingFiles is a transport that cannot reach Telegram's file server,
// so that a test sees what the download's error says: the address it
// failed on holds the token.
type failingFiles struct{ next http.RoundTripper }

func (f failingFiles) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/file/") {
		return nil, errors.New("connection reset by peer")
	}
	return f.next.RoundTrip(r)
}

func TestFetchSaysWhyAFileCannotBeHad(t *testing.T) {
	tests := []struct {
		name       string
		file       telegramsim.Media
		break_     func(s *telegramsim.Server)
		options    telegram.Options
		origin     string // "": the file's own id
		permanent  bool
		retryAfter time.Duration
		says       string
	}{
		{"over 20 MB", telegramsim.Media{Kind: "document", Name: "scan.pdf", Data: []byte("%PDF"), Size: 21 << 20}, func(*telegramsim.Server) {}, telegram.Options{}, "",
			true, 0, "Telegram lets bots download files up to 20 MB; this one is 21 MB — ask the customer to send it another way, e.g. a link"},
		{"an unknown file_id", telegramsim.Media{Kind: "document", Name: "a.pdf", Data: []byte("%PDF")}, func(*telegramsim.Server) {}, telegram.Options{}, "BQACAgIAAxkBAAI-gone",
			true, 0, "ask the customer to send it again"},
		{"the file server fails", telegramsim.Media{Kind: "voice", Data: []byte("OggS")}, func(s *telegramsim.Server) { s.FailDownloads(1, http.StatusBadGateway) }, telegram.Options{}, "",
			false, 0, "502 Bad Gateway; it will be tried again"},
		{"getFile is rate limited", telegramsim.Media{Kind: "voice", Data: []byte("OggS")}, func(s *telegramsim.Server) { s.FailNext("getFile", 1, 429, 9) }, telegram.Options{}, "",
			false, 9 * time.Second, "slow down"},
		{"getFile fails", telegramsim.Media{Kind: "voice", Data: []byte("OggS")}, func(s *telegramsim.Server) { s.FailNext("getFile", 1, 500, 0) }, telegram.Options{}, "",
			false, 0, "tried again"},
		{"the download's connection breaks", telegramsim.Media{Kind: "voice", Data: []byte("OggS")}, func(*telegramsim.Server) {},
			telegram.Options{HTTPClient: &http.Client{Transport: failingFiles{http.DefaultTransport}}}, "",
			false, 0, "connection reset by peer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t)
			s.CustomerSendsFile(42, jane, tc.file)
			c, _ := newClient(t, s, tc.options)
			f := received(t, s, c).Files[0]
			if tc.origin != "" {
				f.Origin = tc.origin
			}
			tc.break_(s)
			body, err := c.Fetch(testContext(t), f)
			if err == nil {
				body.Close()
				t.Fatal("Fetch succeeded")
			}
			if bot.IsPermanent(err) != tc.permanent || bot.RetryAfterOf(err) != tc.retryAfter {
				t.Errorf("permanent %v, retry after %s; want %v, %s (%v)", bot.IsPermanent(err), bot.RetryAfterOf(err), tc.permanent, tc.retryAfter, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			assertNoToken(t, err)
		})
	}
}

func TestFetchDownloadsAgainAfterAFailure(t *testing.T) {
	s := startSim(t)
	s.CustomerSendsPhoto(42, jane, []byte("jpeg kettle"), "")
	c, _ := newClient(t, s, telegram.Options{})
	f := received(t, s, c).Files[0]
	s.FailDownloads(1, http.StatusBadGateway)
	if _, err := c.Fetch(testContext(t), f); err == nil || bot.IsPermanent(err) {
		t.Fatalf("Fetch = %v, want a temporary error", err)
	}
	if got := fetched(t, c, f); string(got) != "jpeg kettle" || s.Downloads() != 1 {
		t.Errorf("the retry downloaded %q in %d downloads; want the photo, once", got, s.Downloads())
	}
}

func TestTakeFileRefusesOnlyWhatTelegramCannotTake(t *testing.T) {
	tests := []struct {
		name string
		file bot.Attachment
		says string // "": taken
	}{
		{"a photo", bot.Attachment{Kind: bot.FilePhoto, Name: "a.jpg", Size: 3 << 20}, ""},
		{"a photo over 10 MB goes as a document", bot.Attachment{Kind: bot.FilePhoto, Name: "a.jpg", Size: 12 << 20}, ""},
		{"a document of 50 MB", bot.Attachment{Kind: bot.FileDocument, Name: "a.zip", Size: 50 << 20}, ""},
		{"a size no one knows", bot.Attachment{Kind: bot.FileDocument, Name: "a.zip"}, ""},
		{"a video over 50 MB", bot.Attachment{Kind: bot.FileVideo, Name: "a.mp4", Size: 51 << 20}, "Telegram takes files up to 50 MB from bots, and this one is 51 MB"},
	}
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.TakeFile(tc.file)
			if (tc.says == "") != (got == "") || !strings.Contains(got, tc.says) {
				t.Errorf("TakeFile = %q, want %q", got, tc.says)
			}
		})
	}
}
