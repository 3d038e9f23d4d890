package telegram_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

// store plays caredesk's file store: uploads whose openings and closings
// it counts.
type store struct {
	mu             sync.Mutex
	opened, closed int
	ids            int64
}

// file is an upload of data with the kind, name and type the core gives it.
func (s *store) file(kind bot.FileKind, name, mimeType string, data []byte) bot.Upload {
	s.mu.Lock()
	s.ids++
	id := s.ids
	s.mu.Unlock()
	return bot.Upload{
		File: bot.Attachment{ID: id, Kind: kind, Name: name, MIME: mimeType, Size: int64(len(data)), From: bot.FromDesk, Stored: true},
		Open: func() (io.ReadCloser, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.opened++
			return &counted{Reader: bytes.NewReader(data), s: s}, nil
		},
	}
}

// balanced fails the test unless every upload opened was closed.
func (s *store) balanced(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opened != s.closed {
		t.Errorf("%d uploads opened, %d closed", s.opened, s.closed)
	}
}

type counted struct {
	io.Reader
	s *store
}

func (c *counted) Close() error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.closed++
	return nil
}

// sentFile is what a test expects of one message with a file.
type sentFile struct {
	kind, name, caption string
	data                []byte
}

func TestSendCarriesFiles(t *testing.T) {
	var (
		pdf    = []byte("%PDF-1.7 invoice")
		jpeg   = []byte("\xff\xd8\xff a photo of the label")
		png    = []byte("\x89PNG the receipt")
		gif    = []byte("GIF89a a spinner")
		huge   = bytes.Repeat([]byte("j"), 11<<20) // over the 10 MB of a photo
		voice  = []byte("OggS a voice note")
		twelve = func(fs *store) []bot.Upload {
			var files []bot.Upload
			for i := range 12 {
				files = append(files, fs.file(bot.FilePhoto, fmt.Sprintf("p%d.jpg", i), "image/jpeg", jpeg))
			}
			return files
		}
	)
	tests := []struct {
		name   string
		text   string
		files  func(fs *store) []bot.Upload
		want   []sentFile
		groups []int // messages per album, in order; 0 for a message alone
	}{
		{"a PDF with the reply as its caption", "Here is your corrected invoice.",
			func(fs *store) []bot.Upload {
				return []bot.Upload{fs.file(bot.FileDocument, "invoice.pdf", "application/pdf", pdf)}
			},
			[]sentFile{{"document", "invoice.pdf", "Here is your corrected invoice.", pdf}}, []int{0}},
		{"one photo", "This label?",
			func(fs *store) []bot.Upload {
				return []bot.Upload{fs.file(bot.FilePhoto, "label.jpg", "image/jpeg", jpeg)}
			},
			[]sentFile{{"photo", "label.jpg", "This label?", jpeg}}, []int{0}},
		{"three photos: an album, the caption on the first", "Which one is yours?",
			func(fs *store) []bot.Upload {
				return []bot.Upload{fs.file(bot.FilePhoto, "a.jpg", "image/jpeg", jpeg), fs.file(bot.FilePhoto, "b.png", "image/png", png), fs.file(bot.FilePhoto, "c.jpg", "", jpeg)}
			},
			[]sentFile{{"photo", "a.jpg", "Which one is yours?", jpeg}, {"photo", "b.png", "", png}, {"photo", "c.jpg", "", jpeg}}, []int{3}},
		{"a photo and a PDF: an album of documents", "Both attached.",
			func(fs *store) []bot.Upload {
				return []bot.Upload{fs.file(bot.FilePhoto, "label.jpg", "image/jpeg", jpeg), fs.file(bot.FileDocument, "invoice.pdf", "application/pdf", pdf)}
			},
			[]sentFile{{"document", "label.jpg", "Both attached.", jpeg}, {"document", "invoice.pdf", "", pdf}}, []int{2}},
		{"files without words", "",
			func(fs *store) []bot.Upload {
				return []bot.Upload{fs.file(bot.FileDocument, "invoice.pdf", "application/pdf", pdf)}
			},
			[]sentFile{{"document", "invoice.pdf", "", pdf}}, []int{0}},
		{"a GIF goes as it is, as a document", "",
			func(fs *store) []bot.Upload {
				return []bot.Upload{fs.file(bot.FilePhoto, "spinner.gif", "image/gif", gif)}
			},
			[]sentFile{{"document", "spinner.gif", "", gif}}, []int{0}},
		{"a photo over 10 MB goes as a document", "Full size.",
			func(fs *store) []bot.Upload {
				return []bot.Upload{fs.file(bot.FilePhoto, "scan.jpg", "image/jpeg", huge)}
			},
			[]sentFile{{"document", "scan.jpg", "Full size.", huge}}, []int{0}},
		{"a voice note goes as a document", "Listen.",
			func(fs *store) []bot.Upload {
				return []bot.Upload{fs.file(bot.FileVoice, "voice.ogg", "audio/ogg", voice)}
			},
			[]sentFile{{"document", "voice.ogg", "Listen.", voice}}, []int{0}},
		{"twelve photos: two albums of six", "All of them.", twelve,
			func() []sentFile {
				var want []sentFile
				for i := range 12 {
					want = append(want, sentFile{"photo", fmt.Sprintf("p%d.jpg", i), "", jpeg})
				}
				want[0].caption = "All of them."
				return want
			}(), []int{6, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			fs := &store{}
			ref, err := c.Send(testContext(t), bot.Outgoing{Conversation: "42", ReplyTo: "1", Text: tc.text, Key: "caredesk-9", Files: tc.files(fs)})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			fs.balanced(t)
			sent := s.Sent()
			if len(sent) != len(tc.want) {
				t.Fatalf("sent %d messages, want %d: %+v", len(sent), len(tc.want), sent)
			}
			if s.Calls("sendMessage") != 0 {
				t.Errorf("%d sendMessage calls, want the words as a caption", s.Calls("sendMessage"))
			}
			for i, w := range tc.want {
				m := sent[i]
				if len(m.Files) != 1 || m.Files[0].Kind != w.kind || m.Files[0].Name != w.name || !bytes.Equal(m.Files[0].Data, w.data) || m.Caption != w.caption {
					t.Errorf("message %d: %d files, caption %q; want a %s %q with caption %q", i, len(m.Files), m.Caption, w.kind, w.name, w.caption)
					continue
				}
				// Telegram makes every item of an album quote what the
				// album does.
				first := i == 0 || (tc.groups[0] > 0 && i < tc.groups[0])
				if first != (m.ReplyTo == 1) {
					t.Errorf("message %d quotes %d; only the first message, or album, quotes the customer", i, m.ReplyTo)
				}
			}
			i := 0
			for _, n := range tc.groups {
				if n == 0 {
					if sent[i].MediaGroupID != "" {
						t.Errorf("message %d is in album %s, want it alone", i, sent[i].MediaGroupID)
					}
					i++
					continue
				}
				for j := i; j < i+n; j++ {
					if sent[j].MediaGroupID == "" || sent[j].MediaGroupID != sent[i].MediaGroupID || (i > 0 && sent[j].MediaGroupID == sent[i-1].MediaGroupID) {
						t.Errorf("message %d in album %q; want %d messages from %d in one album of their own", j, sent[j].MediaGroupID, n, i)
					}
				}
				i += n
			}
			if want := refOf(sent, len(sent)); ref != want {
				t.Errorf("ref %q, want every message, the one with the caption first: %q", ref, want)
			}
		})
	}
}

func TestSendLongWordsGoBeforeTheFiles(t *testing.T) {
	s, c := customerAndClient(t)
	fs := &store{}
	text := strings.TrimSpace(strings.Repeat("We checked the parcel's route. ", 65)) // 2014 characters: too long for a caption
	m := bot.Outgoing{Conversation: "42", ReplyTo: "1", Text: text, Key: "caredesk-11", Files: []bot.Upload{fs.file(bot.FilePhoto, "route.jpg", "image/jpeg", []byte("jpeg map"))}}

	s.FailNext("sendPhoto", 1, 500, 0)
	if _, err := c.Send(testContext(t), m); err == nil || bot.IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary failure of the photo", err)
	}
	ref, err := c.Send(testContext(t), m)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	fs.balanced(t)
	sent := s.Sent()
	if len(sent) != 2 || sent[0].Text != text || sent[0].ReplyTo != 1 || len(sent[1].Files) != 1 || sent[1].Caption != "" || sent[1].ReplyTo != 0 {
		t.Fatalf("sent %+v; want the text once, quoting the customer, then the photo without a caption", sent)
	}
	if s.Calls("sendMessage") != 1 || s.Calls("sendPhoto") != 2 {
		t.Errorf("%d sendMessage, %d sendPhoto calls; want the text sent once, the photo tried twice", s.Calls("sendMessage"), s.Calls("sendPhoto"))
	}
	if want := refOf(sent, 1); ref != want {
		t.Errorf("ref %q, want %q: the text, which has the words an edit changes, then the photo", ref, want)
	}
}

func TestSendRetryDoesNotResendAnAlbum(t *testing.T) {
	s, c := customerAndClient(t)
	fs := &store{}
	var files []bot.Upload
	for i := range 12 {
		files = append(files, fs.file(bot.FileDocument, fmt.Sprintf("page%d.pdf", i), "application/pdf", []byte("%PDF")))
	}
	albums := 0
	undo := s.FailWhere("sendMediaGroup", func(map[string]string) bool { albums++; return albums == 2 }, 429, 4)
	defer undo()
	m := bot.Outgoing{Conversation: "42", Text: "Your statements.", Key: "caredesk-12", Files: files}
	_, err := c.Send(testContext(t), m)
	if bot.RetryAfterOf(err) == 0 {
		t.Fatalf("Send = %v, want the second album asked to wait", err)
	}
	ref, err := c.Send(testContext(t), m)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	fs.balanced(t)
	sent := s.Sent()
	if len(sent) != 12 || sent[0].Caption != "Your statements." || sent[0].MediaGroupID == sent[6].MediaGroupID {
		t.Fatalf("sent %d messages; want two albums of 6, each once", len(sent))
	}
	if want := refOf(sent, len(sent)); ref != want {
		t.Errorf("ref %q, want all 12 messages, each once: %q", ref, want)
	}
}

func TestSendClassifiesFileFailures(t *testing.T) {
	tests := []struct {
		name      string
		break_    func(s *telegramsim.Server)
		open      func() (io.ReadCloser, error)
		permanent bool
		says      string
	}{
		{"blocked by the customer", func(s *telegramsim.Server) { s.BlockBot(42, jane) }, nil, true, "the customer blocked the bot"},
		{"Telegram fails", func(s *telegramsim.Server) { s.FailNext("sendDocument", 1, 502, 0) }, nil, false, "tried again"},
		{"no bytes kept", func(*telegramsim.Server) {}, func() (io.ReadCloser, error) { return nil, bot.Errorf(bot.ENOTFOUND, "no such blob") }, true, "no longer keeps the bytes"},
		{"the file store fails", func(*telegramsim.Server) {}, func() (io.ReadCloser, error) { return nil, fmt.Errorf("disk I/O error") }, false, "tried again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := customerAndClient(t)
			fs := &store{}
			u := fs.file(bot.FileDocument, "invoice.pdf", "application/pdf", []byte("%PDF"))
			if tc.open != nil {
				u.Open = tc.open
			}
			tc.break_(s)
			_, err := c.Send(testContext(t), bot.Outgoing{Conversation: "42", Text: "attached", Files: []bot.Upload{u}})
			if err == nil || bot.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Send = %v (permanent %v); want permanent %v, saying %q", err, bot.IsPermanent(err), tc.permanent, tc.says)
			}
			fs.balanced(t)
			assertNoToken(t, err)
		})
	}
}

func TestSendAPhotoTelegramRefusesGoesAsADocument(t *testing.T) {
	s, c := customerAndClient(t)
	fs := &store{}
	u := fs.file(bot.FilePhoto, "scan.jpg", "image/jpeg", bytes.Repeat([]byte("j"), 11<<20))
	u.File.Size = 0 // the desk did not say: Telegram finds out, and refuses it as a photo
	ref, err := c.Send(testContext(t), bot.Outgoing{Conversation: "42", Text: "Full size.", Files: []bot.Upload{u}})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	fs.balanced(t)
	sent := s.Sent()
	if len(sent) != 1 || sent[0].Files[0].Kind != "document" || sent[0].Caption != "Full size." || ref != refOf(sent, 1) {
		t.Fatalf("sent %d messages (ref %q); want the picture once, as a document with its caption", len(sent), ref)
	}
	if s.Calls("sendPhoto") != 1 || s.Calls("sendDocument") != 1 {
		t.Errorf("%d sendPhoto, %d sendDocument calls; want one of each", s.Calls("sendPhoto"), s.Calls("sendDocument"))
	}
}
