package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/blob"
	"caredesk/bot"
)

// fileDesk is the fake desk that also shows files, edits thread messages
// and hands over the bytes of files agents attach.
type fileDesk struct {
	*desk
	posts   []filePost        // every PostFiles that reached the desk
	edits   []bot.Message     // every EditMessage
	agents  map[string][]byte // Origin → bytes of files agents attached
	loseAt  int               // the PostFiles call with this number (from 1) posts, then loses the answer
	maxFile int64             // TakeFile refuses larger files; 0 takes any
	finds   int               // FindFiles calls: each costs a real desk an API call
	during  func()            // runs inside the next Fetch, as an agent acting while it downloads
}

func (d *fileDesk) TakeFile(a bot.Attachment) string {
	if d.maxFile > 0 && a.Size > d.maxFile {
		return "the desk takes files up to 1 KB"
	}
	return ""
}

type filePost struct {
	ref   string
	names []string
	data  [][]byte
}

func (d *fileDesk) PostFiles(_ context.Context, t bot.Ticket, m bot.Message, files []bot.Upload) (string, error) {
	p := filePost{ref: fmt.Sprintf("files-%d", m.ID)}
	for _, u := range files {
		r, err := u.Open()
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return "", err
		}
		p.names, p.data = append(p.names, u.File.Name), append(p.data, b)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p.ref = fmt.Sprintf("files-%d-%d", m.ID, len(d.posts)+1)
	d.posts = append(d.posts, p)
	if d.loseAt == len(d.posts) {
		return "", errors.New("connection reset before the answer arrived")
	}
	return p.ref, nil
}

func (d *fileDesk) FindFiles(_ context.Context, _ bot.Ticket, m bot.Message, files []bot.Upload, taken []string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.finds++
	for _, p := range d.posts {
		if strings.HasPrefix(p.ref, fmt.Sprintf("files-%d-", m.ID)) && slices.Equal(p.names, []string{files[0].File.Name}) && !contains(taken, p.ref) {
			return p.ref, nil
		}
	}
	return "", nil
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func (d *fileDesk) EditMessage(_ context.Context, _ bot.Ticket, m bot.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.edits = append(d.edits, m)
	return nil
}

func (d *fileDesk) Fetch(_ context.Context, a bot.Attachment) (io.ReadCloser, error) {
	if f := d.during; f != nil {
		d.during = nil
		f()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.agents[a.Origin]
	if !ok {
		return nil, bot.Permanent(errors.New("Slack answered with a login page: the app lacks files:read"))
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// fileSource is the fake Telegram that also has files, edits and limits.
type fileSource struct {
	*customers
	mu       sync.Mutex
	files    map[string][]byte // file_id → bytes
	fails    []error           // the next Fetch calls fail with these
	fetches  int
	sentData [][]byte
	edited   map[string]string // ref → text now
	deleted  []string
	maxPhoto int64
	tooOld   bool   // DeleteSent refuses, as Telegram after 48 hours
	during   func() // runs inside the next Send, as an agent acting while it is under way
}

func (s *fileSource) Fetch(_ context.Context, a bot.Attachment) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	if len(s.fails) > 0 {
		err := s.fails[0]
		s.fails = s.fails[1:]
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(s.files[a.Origin])), nil
}

func (s *fileSource) Send(ctx context.Context, m bot.Outgoing) (string, error) {
	if f := s.during; f != nil {
		s.during = nil
		f()
	}
	for _, u := range m.Files {
		r, err := u.Open()
		if err != nil {
			return "", err
		}
		b, _ := io.ReadAll(r)
		r.Close()
		s.mu.Lock()
		s.sentData = append(s.sentData, b)
		s.mu.Unlock()
	}
	return s.customers.Send(ctx, m)
}

func (s *fileSource) TakeFile(a bot.Attachment) string {
	if a.Kind == bot.FilePhoto && s.maxPhoto > 0 && a.Size > s.maxPhoto {
		return "Telegram takes photos up to 10 MB"
	}
	return ""
}

func (s *fileSource) EditSent(_ context.Context, ref string, m bot.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.edited[ref] = m.Text
	return nil
}

func (s *fileSource) DeleteSent(_ context.Context, _ bot.Ticket, ref string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tooOld {
		return bot.Permanent(errors.New("Telegram lets bots delete messages only within 48 hours of sending them"))
	}
	s.deleted = append(s.deleted, ref)
	return nil
}

// fileWorld is a world whose desk and Telegram know files.
type fileWorld struct {
	*world
	fd    *fileDesk
	src   *fileSource
	blobs *blob.Dir
}

func newFileWorld(t *testing.T, p bot.FilePolicy) *fileWorld {
	t.Helper()
	return fileWorldOf(t, newWorld(t), p)
}

// fileWorldOf is base with a desk and a source that take files and edits.
func fileWorldOf(t *testing.T, base *world, p bot.FilePolicy) *fileWorld {
	t.Helper()
	w := &fileWorld{world: base}
	w.fd = &fileDesk{desk: w.desk, agents: map[string][]byte{}}
	w.src = &fileSource{customers: w.tg, files: map[string][]byte{}, edited: map[string]string{}}
	var err error
	if w.blobs, err = blob.Open(t.TempDir(), p.MaxTotal); err != nil {
		t.Fatal(err)
	}
	w.courier = bot.NewCourier(w.db, w.fd, map[string]bot.Source{"telegram": w.src},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)),
		bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}),
		bot.CourierFiles(w.blobs, p))
	return w
}

// sends is the customer sending a file with a caption (or a placeholder).
func (w *fileWorld) sends(c bot.Customer, id int, text string, files ...bot.Attachment) {
	w.t.Helper()
	err := w.bot.Receive(context.Background(), bot.Inbound{
		Source: "telegram", EventID: fmt.Sprint(500 + id), MessageID: fmt.Sprint(id),
		Conversation: c.ID, Customer: c, Text: text, Files: files,
	})
	if err != nil {
		w.t.Fatalf("receive %q: %v", text, err)
	}
	w.flush()
}

func (w *fileWorld) thread(n int64) []string {
	w.t.Helper()
	tk := w.ticket(n)
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	var s []string
	for _, m := range w.desk.thread[tk.DeskThread] {
		s = append(s, m.Text)
	}
	return s
}

func photo(fileID string, size int64) bot.Attachment {
	return bot.Attachment{Kind: bot.FilePhoto, Name: "photo.jpg", MIME: "image/jpeg", Size: size, From: "telegram", Origin: fileID}
}

func TestCustomerFilesReachTheThread(t *testing.T) {
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{7}, 4000)...)
	tests := []struct {
		name      string
		policy    bot.FilePolicy
		file      bot.Attachment
		fails     []error
		wantPosts int
		wantLine  string // in the thread, when the file is not shown
	}{
		{"a photo", bot.DefaultFilePolicy(), photo("AgAD1", int64(len(jpeg))), nil, 1, ""},
		{"a download that fails once", bot.DefaultFilePolicy(), photo("AgAD1", int64(len(jpeg))), []error{errors.New("502 Bad Gateway")}, 1, ""},
		{"announced over the cap", bot.FilePolicy{MaxFile: 1024, MaxTotal: 1 << 30, Retention: time.Hour}, photo("AgAD1", 25<<20), nil, 0,
			bot.Quote("photo.jpg (25 MB)") + ": " + bot.Quote("it is larger than the 1 KB caredesk takes per file (files: max_file)")},
		{"larger than announced", bot.FilePolicy{MaxFile: 1024, MaxTotal: 1 << 30, Retention: time.Hour}, photo("AgAD1", 900), nil, 0,
			"it is larger than the 1 KB caredesk takes per file"},
		{"the store is full", bot.FilePolicy{MaxFile: 1 << 20, MaxTotal: 100, Retention: time.Hour}, photo("AgAD1", 0), nil, 0,
			"caredesk's file store is full (files: max_total 100 bytes)"},
		{"gone on the network", bot.DefaultFilePolicy(), photo("AgAD1", 10), []error{bot.Permanent(errors.New("Telegram says the file is gone"))}, 0,
			"Telegram says the file is gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newFileWorld(t, tt.policy)
			w.src.files["AgAD1"], w.src.fails = jpeg, tt.fails
			w.sends(jane, 1, "[photo]", tt.file)
			for range tt.fails {
				w.clock.Add(time.Minute)
				w.flush()
			}
			if len(w.fd.posts) != tt.wantPosts {
				t.Fatalf("%d posts of files, want %d", len(w.fd.posts), tt.wantPosts)
			}
			if tt.wantPosts > 0 && !bytes.Equal(w.fd.posts[0].data[0], jpeg) {
				t.Errorf("the desk got %d other bytes than the customer sent", len(w.fd.posts[0].data[0]))
			}
			if got := w.ticket(1).Text; got != "[photo]" {
				t.Errorf("a picture alone opened a ticket reading %q", got)
			}
			lines := strings.Join(w.thread(1), "\n")
			if tt.wantLine != "" && !strings.Contains(lines, tt.wantLine) {
				t.Errorf("thread says\n%s\nwant a line with %q", lines, tt.wantLine)
			}
			if tt.wantLine == "" && lines != "" {
				t.Errorf("thread says %q, want nothing but the file", lines)
			}
			if w.outbox() != 0 {
				t.Errorf("%d deliveries left in the outbox", w.outbox())
			}
			if w.fd.finds != 0 {
				t.Errorf("the desk was searched %d times for earlier posts that were never made", w.fd.finds)
			}
		})
	}
}

// TestLostUploadAnswerPostsOnce: the desk shows the second of three
// files but its answer is lost (as when caredesk dies between the upload
// and its record); the retry finds that post instead of posting the photo
// again, posts the third, and downloads nothing twice.
func TestLostUploadAnswerPostsOnce(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	for _, id := range []string{"a", "b", "c"} {
		w.src.files[id] = []byte("jpeg bytes " + id)
	}
	w.fd.loseAt = 2
	files := []bot.Attachment{photo("a", 12), photo("b", 12), photo("c", 12)}
	files[1].Name, files[2].Name = "label.jpg", "box.jpg"
	w.sends(jane, 1, "the box was crushed", files...)
	w.clock.Add(time.Minute)
	w.flush()
	var names []string
	for _, p := range w.fd.posts {
		names = append(names, p.names...)
	}
	if !slices.Equal(names, []string{"photo.jpg", "label.jpg", "box.jpg"}) || w.src.fetches != 3 {
		t.Errorf("posted %v with %d downloads, want each of the three photos once, downloaded once", names, w.src.fetches)
	}
	if w.outbox() != 0 {
		t.Errorf("%d deliveries left in the outbox", w.outbox())
	}
}

// TestDownloadThatNeverWorks: a download that keeps failing is given up
// after a day; the thread says which file is missing and why, and the
// ticket's later messages are not held back for good.
func TestDownloadThatNeverWorks(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	for range 100 {
		w.src.fails = append(w.src.fails, errors.New("502 Bad Gateway"))
	}
	w.sends(jane, 1, "[photo]", photo("gone", 10))
	w.receive(jane, 2, "hello?")
	for range 70 {
		w.clock.Add(time.Minute)
		w.flush()
	}
	th := strings.Join(w.thread(1), "\n")
	if !strings.Contains(th, "📎 Not shown here") || !strings.Contains(th, "502 Bad Gateway") || !strings.Contains(th, "hello?") {
		t.Errorf("thread after a day of failed downloads:\n%s\nwant the missing photo named with why, and the later message", th)
	}
	if strings.Count(th, "📎 Not shown here") != 1 {
		t.Errorf("the missing photo is named more than once:\n%s", th)
	}
	if w.outbox() != 0 {
		t.Errorf("%d deliveries left in the outbox", w.outbox())
	}
}

// TestSlowDownloadLetsTheThreadGoOn: while a photo's download fails, the
// ticket's later messages wait behind it for a couple of minutes at most,
// so the thread reads in order when the network is quick and goes on when
// it is not; the photo comes once its download works.
func TestSlowDownloadLetsTheThreadGoOn(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.src.files["slow"] = []byte("the photo")
	for range 8 {
		w.src.fails = append(w.src.fails, errors.New("502 Bad Gateway"))
	}
	w.sends(jane, 1, "[photo]", photo("slow", 9))
	w.receive(jane, 2, "hello?")
	w.flush()
	if th := w.thread(1); len(th) != 0 {
		t.Errorf("thread %q while the photo downloads, want its later message to wait", th)
	}
	for range 4 {
		w.clock.Add(time.Minute)
		w.flush()
	}
	if th := w.thread(1); len(th) != 1 || th[0] != "hello?" || len(w.fd.posts) != 0 {
		t.Errorf("thread %q and %d posts of files after 4 minutes of failed downloads, want the later message alone", th, len(w.fd.posts))
	}
	for range 30 {
		w.clock.Add(time.Minute)
		w.flush()
	}
	if len(w.fd.posts) != 1 || string(w.fd.posts[0].data[0]) != "the photo" {
		t.Errorf("posts %+v once the download worked, want the photo", w.fd.posts)
	}
	if w.outbox() != 0 {
		t.Errorf("%d deliveries left in the outbox", w.outbox())
	}
}

// TestReplacedPhoto: an edit that carries the file already shown changes
// only the words; one that replaced the photo shows the new one.
func TestReplacedPhoto(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.src.files["first"], w.src.files["second"] = []byte("first photo"), []byte("second photo")
	w.sends(jane, 1, "the box", photo("first", 11))
	edit := func(event, text, fileID string) {
		t.Helper()
		if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: event, MessageID: "1",
			Conversation: jane.ID, Customer: jane, Text: text, Edit: true, Files: []bot.Attachment{photo(fileID, 11)}}); err != nil {
			t.Fatal(err)
		}
		w.flush()
	}
	edit("e1", "the box, crushed", "first")
	edit("e2", "the box, crushed", "second")
	var got []string
	for _, p := range w.fd.posts {
		got = append(got, string(p.data[0]))
	}
	if !slices.Equal(got, []string{"first photo", "second photo"}) {
		t.Errorf("posts %q, want the first photo once and then the one that replaced it", got)
	}
	if w.ticket(1).Text != "the box, crushed" {
		t.Errorf("the root reads %q", w.ticket(1).Text)
	}
}

// TestChangedWhileOnItsWay: the owner edits, or deletes, a reply while
// it is being sent; the customer's copy follows.
func TestChangedWhileOnItsWay(t *testing.T) {
	tests := []struct {
		name        string
		verb        bot.Verb
		wantEdited  string
		wantDeleted bool
	}{
		{"edited", bot.DoEdit, "It leaves tomorrow.", false},
		{"deleted", bot.DoDelete, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newFileWorld(t, bot.DefaultFilePolicy())
			w.writes(jane, 1, "where is my parcel?")
			thread := w.ticket(1).DeskThread
			w.act(bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
			w.src.during = func() {
				if _, err := w.bot.Act(context.Background(), bot.Action{Verb: tt.verb, Thread: thread, Agent: alice, Ref: "r1", Text: "It leaves tomorrow.", EventID: "change", Whisper: true}); err != nil {
					t.Error(err)
				}
			}
			w.act(bot.Action{Verb: bot.DoSay, Thread: thread, Agent: alice, Text: "It leaves tomorow.", Ref: "r1", EventID: "say", Whisper: true})
			w.flush()
			if got := w.src.edited["tg-1"]; got != tt.wantEdited {
				t.Errorf("the customer's copy was edited to %q, want %q", got, tt.wantEdited)
			}
			if deleted := len(w.src.deleted) == 1; deleted != tt.wantDeleted {
				t.Errorf("deleted on Telegram: %v, want deleted %v", w.src.deleted, tt.wantDeleted)
			}
		})
	}
}

// TestAnEditBeforeTheRootIsPostedOfALaterMessage: two photos without
// words read the same; editing the caption of the second before the desk
// has shown anything changes that message, not the root.
func TestAnEditBeforeTheRootIsPostedOfALaterMessage(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.receive(jane, 1, "[photo]")
	w.receive(jane, 2, "[photo]")
	if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: "e3", MessageID: "2",
		Conversation: jane.ID, Customer: jane, Text: "the label", Edit: true}); err != nil {
		t.Fatal(err)
	}
	w.flush()
	if got := w.ticket(1).Text; got != "[photo]" {
		t.Errorf("the root reads %q; the edit was of the second message", got)
	}
	if th := w.thread(1); len(th) != 1 || th[0] != "the label" {
		t.Errorf("thread %q, want the second message with its new words", th)
	}
}

func TestOwnerFilesGoToTheCustomer(t *testing.T) {
	pdf := []byte("%PDF-1.7 return form")
	big := bytes.Repeat([]byte{1}, 2000)
	tests := []struct {
		name     string
		text     string
		files    []bot.Attachment
		wantSent int    // files that reach the customer
		wantText string // what the customer reads
		wantLine string // in the thread
		wantFail bool   // the reply fails
	}{
		{"a PDF with words", "Here is the form.", []bot.Attachment{{Kind: bot.FileDocument, Name: "iade.pdf", MIME: "application/pdf", From: bot.FromDesk, Origin: "F1"}},
			1, "Here is the form.", "", false},
		{"a file alone", "", []bot.Attachment{{Kind: bot.FileDocument, Name: "iade.pdf", From: bot.FromDesk, Origin: "F1"}},
			1, "", "", false},
		{"a photo the network refuses, with words", "See the label.", []bot.Attachment{{Kind: bot.FilePhoto, Name: "label.jpg", From: bot.FromDesk, Origin: "F2"}},
			0, "See the label.", "your reply went to the customer without " + bot.Quote("label.jpg (2 KB)") + ": " + bot.Quote("Telegram takes photos up to 10 MB"), false},
		{"a file the bot cannot read, alone", "", []bot.Attachment{{Kind: bot.FileDocument, Name: "secret.xlsx", From: bot.FromDesk, Origin: "F9"}},
			0, "", "your reply was NOT delivered", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newFileWorld(t, bot.DefaultFilePolicy())
			w.src.maxPhoto = 1000
			w.fd.agents["F1"], w.fd.agents["F2"] = pdf, big
			w.writes(jane, 1, "where is the return form?")
			if _, err := w.act(bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice}); err != nil {
				t.Fatal(err)
			}
			_, err := w.act(bot.Action{Verb: bot.DoSay, Thread: w.ticket(1).DeskThread, Agent: alice, Text: tt.text, Files: tt.files, Ref: "desk-1", EventID: "e1", Whisper: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(w.src.sentData) != tt.wantSent {
				t.Fatalf("%d files reached the customer, want %d", len(w.src.sentData), tt.wantSent)
			}
			if tt.wantSent > 0 && !bytes.Equal(w.src.sentData[0], pdf) {
				t.Errorf("the customer got other bytes than the agent attached")
			}
			texts := w.tg.texts()
			if !tt.wantFail && (len(texts) != 1 || texts[0] != tt.wantText) {
				t.Errorf("the customer read %q, want %q", texts, tt.wantText)
			}
			if tt.wantFail && len(texts) != 0 {
				t.Errorf("the customer read %q, want nothing", texts)
			}
			lines := strings.Join(w.thread(1), "\n")
			if tt.wantLine != "" && !strings.Contains(lines, tt.wantLine) {
				t.Errorf("thread says\n%s\nwant a line with %q", lines, tt.wantLine)
			}
		})
	}
}

// TestOneFileTooLargeForTheDesk: the desk's limit refuses the large file
// alone, before it is downloaded; the customer's other file is shown.
func TestOneFileTooLargeForTheDesk(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.fd.maxFile = 1024
	w.src.files["small"], w.src.files["big"] = []byte("small photo"), bytes.Repeat([]byte{1}, 4096)
	w.sends(jane, 1, "[photo]", photo("big", 4096), photo("small", 11))
	if len(w.fd.posts) != 1 || len(w.fd.posts[0].data) != 1 || string(w.fd.posts[0].data[0]) != "small photo" {
		t.Fatalf("posts %+v, want the small photo alone", w.fd.posts)
	}
	if w.src.fetches != 1 {
		t.Errorf("%d downloads, want 1: the large file is refused before it is fetched", w.src.fetches)
	}
	if th := strings.Join(w.thread(1), "\n"); !strings.Contains(th, "the desk takes files up to 1 KB") {
		t.Errorf("thread does not say why the large file is missing:\n%s", th)
	}
}

// TestDeletionWithoutItsAuthor: a desk that cannot say who deleted a
// message (Discord) still takes a delivered reply back from the customer.
func TestDeletionWithoutItsAuthor(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.writes(jane, 1, "hello")
	thread := w.ticket(1).DeskThread
	w.act(bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	w.act(bot.Action{Verb: bot.DoSay, Thread: thread, Agent: alice, Text: "wrong customer, sorry", Ref: "r1", EventID: "s1", Whisper: true})
	if _, err := w.act(bot.Action{Verb: bot.DoDelete, Thread: thread, Ref: "r1", EventID: "d1", Whisper: true}); err != nil {
		t.Fatal(err)
	}
	if len(w.src.deleted) != 1 {
		t.Errorf("deleted on Telegram: %v, want the reply", w.src.deleted)
	}
	// Someone else's edit is no deletion: a desk always names an editor.
	w.act(bot.Action{Verb: bot.DoSay, Thread: thread, Agent: alice, Text: "second", Ref: "r2", EventID: "s2", Whisper: true})
	w.act(bot.Action{Verb: bot.DoEdit, Thread: thread, Ref: "r2", Text: "changed by nobody", EventID: "e2", Whisper: true})
	if len(w.src.edited) != 0 {
		t.Errorf("an edit without its author reached Telegram: %v", w.src.edited)
	}
}

// TestColleaguesFilesStayOnTheDesk: a file in someone else's ticket is a
// note's, and nothing is downloaded or sent.
func TestColleaguesFilesStayOnTheDesk(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.fd.agents["F1"] = []byte("internal.xlsx")
	w.writes(jane, 1, "hello")
	w.act(bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	w.act(bot.Action{Verb: bot.DoSay, Thread: w.ticket(1).DeskThread, Agent: bob, Text: "numbers for you",
		Files: []bot.Attachment{{Name: "internal.xlsx", From: bot.FromDesk, Origin: "F1"}}, Ref: "desk-2", EventID: "e2", Whisper: true})
	if len(w.tg.texts()) != 0 || len(w.src.sentData) != 0 {
		t.Errorf("a colleague's note reached the customer: %q", w.tg.texts())
	}
	if n := len(w.files(1)); n != 0 {
		t.Errorf("%d files recorded for a note; a colleague's files stay on the desk, never downloaded", n)
	}
}

func TestCustomerEdits(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.writes(jane, 1, "my order 5512 is late")
	w.writes(jane, 2, "it was a gift for tomorow")
	edit := func(id int, event, text string) {
		t.Helper()
		err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: event, MessageID: fmt.Sprint(id),
			Conversation: jane.ID, Customer: jane, Text: text, Edit: true})
		if err != nil {
			t.Fatal(err)
		}
		w.flush()
	}
	edit(2, "601", "it was a gift for tomorrow")
	edit(2, "601", "a redelivered edit changes nothing")
	edit(1, "602", "my order 5513 is late")
	edit(99, "603", "what about my refund?") // never seen

	if got := w.ticket(1).Text; got != "my order 5513 is late" {
		t.Errorf("the root reads %q after the first message was edited", got)
	}
	w.fd.mu.Lock()
	edits := w.fd.edits
	w.fd.mu.Unlock()
	if len(edits) != 1 || edits[0].Text != "it was a gift for tomorrow" || edits[0].Original != "it was a gift for tomorow" || edits[0].EditedAt.IsZero() {
		t.Errorf("desk edits = %+v, want one of message 2 keeping its first wording", edits)
	}
	if th := w.thread(1); th[len(th)-1] != "(edited) what about my refund?" {
		t.Errorf("an edit of an unknown message shows as %q, want it filed as a message", th[len(th)-1])
	}
	show, err := w.act(bot.Action{Verb: bot.DoShow, Ticket: 1, Agent: alice})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"it was a gift for tomorrow", "tomorow", "edited"} {
		if !strings.Contains(show, want) {
			t.Errorf("/desk show lacks %q:\n%s", want, show)
		}
	}
}

func TestOwnerEditsAndDeletes(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.writes(jane, 1, "where is my parcel?")
	thread := w.ticket(1).DeskThread
	w.act(bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	say := func(ref, text string) {
		t.Helper()
		if _, err := w.act(bot.Action{Verb: bot.DoSay, Thread: thread, Agent: alice, Text: text, Ref: ref, EventID: "say-" + ref, Whisper: true}); err != nil {
			t.Fatal(err)
		}
	}
	act := func(verb bot.Verb, who bot.Agent, ref, text, event string) {
		t.Helper()
		if _, err := w.act(bot.Action{Verb: verb, Thread: thread, Agent: who, Text: text, Ref: ref, EventID: event, Whisper: true}); err != nil {
			t.Fatal(err)
		}
	}

	// Delivered, then corrected: the customer's copy changes.
	say("d1", "It leaves tomorow.")
	act(bot.DoEdit, alice, "d1", "It leaves tomorrow.", "ed1")
	act(bot.DoEdit, alice, "d1", "It leaves tomorrow.", "ed2") // Slack reports a link preview as a change too
	act(bot.DoEdit, bob, "d1", "bob cannot change alice's words", "ed3")
	if got := w.src.edited["tg-1"]; got != "It leaves tomorrow." {
		t.Errorf("the customer's copy reads %q after the edit", got)
	}
	if len(w.src.edited) != 1 {
		t.Errorf("edits reached Telegram: %v, want one", w.src.edited)
	}

	// Corrected before it left: the new words are what leaves.
	w.tg.errs = []error{errors.New("502")}
	say("d2", "Your refnud is on its way.")
	act(bot.DoEdit, alice, "d2", "Your refund is on its way.", "ed4")
	w.clock.Add(time.Minute)
	w.flush()
	if texts := w.tg.texts(); texts[len(texts)-1] != "Your refund is on its way." {
		t.Errorf("the customer read %q, want the corrected reply", texts[len(texts)-1])
	}

	// Deleted: taken back from the customer, and the thread says so.
	act(bot.DoDelete, alice, "d1", "", "del1")
	if len(w.src.deleted) != 1 || w.src.deleted[0] != "tg-1" {
		t.Errorf("deleted on Telegram: %v, want tg-1", w.src.deleted)
	}
	if th := strings.Join(w.thread(1), "\n"); !strings.Contains(th, "was deleted for the customer") {
		t.Errorf("thread does not say the reply was deleted:\n%s", th)
	}

	// Too late to delete: the thread says why.
	w.src.tooOld = true
	act(bot.DoDelete, alice, "d2", "", "del2")
	if th := strings.Join(w.thread(1), "\n"); !strings.Contains(th, "deleting your reply for the customer did not work") || !strings.Contains(th, "48 hours") {
		t.Errorf("thread does not say why the reply stays:\n%s", th)
	}
}

func TestSweepFilesAfterRetention(t *testing.T) {
	p := bot.DefaultFilePolicy()
	p.Retention = 24 * time.Hour
	w := newFileWorld(t, p)
	w.src.files["AgAD1"] = []byte("jpeg bytes")
	w.sends(jane, 1, "[photo]", photo("AgAD1", 10))
	sweep := func() int {
		t.Helper()
		n, err := w.courier.SweepFiles(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := sweep(); n != 0 || w.blobs.Total() != 10 {
		t.Errorf("swept %d files (kept %d bytes) before the retention", n, w.blobs.Total())
	}
	w.clock.Add(25 * time.Hour)
	if n := sweep(); n != 1 || w.blobs.Total() != 0 {
		t.Errorf("swept %d files (kept %d bytes) after the retention, want 1 and 0", n, w.blobs.Total())
	}
	if n := sweep(); n != 0 {
		t.Errorf("a second sweep removed %d files again", n)
	}
}

func TestKindOf(t *testing.T) {
	for mime, want := range map[string]bot.FileKind{
		"image/jpeg": bot.FilePhoto, "IMAGE/PNG": bot.FilePhoto, "image/heic": bot.FilePhoto, "image/gif": bot.FileAnimation,
		"video/mp4": bot.FileVideo, "audio/ogg; codecs=opus": bot.FileAudio, "application/pdf": bot.FileDocument,
		"": bot.FileDocument, "not a type": bot.FileDocument,
	} {
		if got := bot.KindOf(mime); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", mime, got, want)
		}
	}
}

// files returns the ticket's files as the store has them.
func (w *fileWorld) files(ticket int64) []bot.Attachment {
	w.t.Helper()
	var as []bot.Attachment
	if err := w.db.View(context.Background(), func(tx bot.Tx) (err error) {
		as, err = tx.Attachments(ticket)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return as
}

// TestRatingCommentWithAPhoto: the customer explains a low score with a
// photo of what went wrong; the photo is shown.
func TestRatingCommentWithAPhoto(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.src.files["p"] = []byte("photo")
	resolved(t, w.world)
	w.tickAfter(10 * time.Minute)
	if err := w.bot.Rate(context.Background(), bot.Rating{Source: "telegram", TicketID: 1, CustomerID: jane.ID, Score: 2, EventID: "cb1"}); err != nil {
		t.Fatal(err)
	}
	w.flush()
	w.clock.Add(time.Hour)
	w.sends(jane, 2, "look at this", photo("p", 5))
	w.clock.Add(5 * time.Minute)
	w.flush()
	if n := len(w.files(1)); n != 1 || len(w.fd.posts) != 1 {
		t.Errorf("%d files recorded, %d posted; want the comment's photo", n, len(w.fd.posts))
	}
}

// TestUnknownEditWithAPhoto: an edit of a message caredesk never saw is
// filed with its photo.
func TestUnknownEditWithAPhoto(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.src.files["p"] = []byte("photo")
	w.writes(jane, 1, "hello")
	if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: "e9", MessageID: "99",
		Conversation: jane.ID, Customer: jane, Text: "the label", Edit: true, Files: []bot.Attachment{photo("p", 5)}}); err != nil {
		t.Fatal(err)
	}
	w.clock.Add(5 * time.Minute)
	w.flush()
	if n := len(w.files(1)); n != 1 || len(w.fd.posts) != 1 {
		t.Errorf("%d files recorded, %d posted; want the edit's photo", n, len(w.fd.posts))
	}
}

// TestEditOfALaterPhotoAfterTheRoot: two photos without words read the
// same; the root is posted, the second's post waits behind the first
// photo's download, and the customer captions the second: that message
// changes, not the root.
func TestEditOfALaterPhotoAfterTheRoot(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	w.src.files["a"], w.src.files["b"] = []byte("a"), []byte("b")
	w.src.fails = []error{errors.New("502"), errors.New("502")}
	w.sends(jane, 1, "[photo]", photo("a", 1))
	w.sends(jane, 2, "[photo]", photo("b", 1))
	if w.ticket(1).DeskThread == "" {
		t.Fatal("the root was not posted")
	}
	if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: "e3", MessageID: "2",
		Conversation: jane.ID, Customer: jane, Text: "the label", Edit: true, Files: []bot.Attachment{photo("b", 1)}}); err != nil {
		t.Fatal(err)
	}
	w.flush()
	if got := w.ticket(1).Text; got != "[photo]" {
		t.Errorf("the root reads %q; the edit was of the second message", got)
	}
}

// TestDeletedWhileItsFileDownloads: the owner deletes a reply while its
// file downloads from the desk, and the send fails once; nothing reaches
// the customer, and the file's bytes leave with the retention.
func TestDeletedWhileItsFileDownloads(t *testing.T) {
	p := bot.DefaultFilePolicy()
	p.Retention = time.Hour
	w := newFileWorld(t, p)
	w.fd.agents["F1"] = []byte("%PDF form")
	w.writes(jane, 1, "where is the form?")
	thread := w.ticket(1).DeskThread
	w.act(bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	w.fd.during = func() {
		if _, err := w.bot.Act(context.Background(), bot.Action{Verb: bot.DoDelete, Thread: thread, Agent: alice, Ref: "r1", EventID: "del", Whisper: true}); err != nil {
			t.Error(err)
		}
	}
	w.tg.errs = []error{errors.New("502")}
	w.act(bot.Action{Verb: bot.DoSay, Thread: thread, Agent: alice, Text: "Here.", Ref: "r1", EventID: "say", Whisper: true,
		Files: []bot.Attachment{{Kind: bot.FileDocument, Name: "form.pdf", From: bot.FromDesk, Origin: "F1"}}})
	for range 5 {
		w.clock.Add(time.Minute)
		w.flush()
	}
	if texts := w.tg.texts(); len(texts) != 0 || len(w.src.sentData) != 0 {
		t.Errorf("the customer got %q and %d files of a reply deleted before it left", texts, len(w.src.sentData))
	}
	if th := strings.Join(w.thread(1), "\n"); strings.Contains(th, "NOT delivered") {
		t.Errorf("the thread says a reply the owner deleted was not delivered:\n%s", th)
	}
	w.clock.Add(48 * time.Hour)
	if _, err := w.courier.SweepFiles(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	if w.blobs.Total() != 0 || w.outbox() != 0 {
		t.Errorf("%d bytes kept and %d deliveries left after the retention", w.blobs.Total(), w.outbox())
	}
}

// hookStore runs fire just before its second Update, as another worker
// finishing at that moment.
type hookStore struct {
	bot.Store
	n    int
	fire func()
}

func (s *hookStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	if s.fire != nil {
		s.n++
		if s.n == 2 {
			f := s.fire
			s.fire = nil
			f()
		}
	}
	return s.Store.Update(ctx, fn)
}

// TestDownloadEndsAsThePostMovesAside: the download finishes, and hurries
// the post, just as the post stops holding the ticket's lane; the moved
// post is due at once, not an hour later.
func TestDownloadEndsAsThePostMovesAside(t *testing.T) {
	w := newFileWorld(t, bot.DefaultFilePolicy())
	hs := &hookStore{Store: w.db}
	w.courier = bot.NewCourier(hs, w.fd, map[string]bot.Source{"telegram": w.src},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)),
		bot.CourierRetry(bot.Retry{Min: time.Hour, Max: time.Hour, GiveUpAfter: 24 * time.Hour}),
		bot.CourierFiles(w.blobs, bot.DefaultFilePolicy()))
	w.src.fails = []error{errors.New("502")}
	w.sends(jane, 1, "[photo]", photo("p", 5)) // the download fails once; its retry is an hour away
	w.clock.Add(2 * time.Minute)
	hs.fire = func() { // the download's retry ends meanwhile, as its worker would
		err := w.db.Update(context.Background(), func(tx bot.Tx) error {
			a := w.files(1)[0]
			if _, err := w.blobs.Put(a.BlobKey(), bytes.NewReader([]byte("photo")), 1<<20); err != nil {
				return err
			}
			a.Stored = true
			if err := tx.SaveAttachment(a); err != nil {
				return err
			}
			return tx.HurryDeliveries(bot.PostFiles, a.MessageID, w.clock.Now())
		})
		if err != nil {
			t.Error(err)
		}
	}
	w.flush()
	w.clock.Add(time.Minute)
	w.flush()
	if len(w.fd.posts) != 1 {
		t.Errorf("%d posts a minute after the download ended, want the photo", len(w.fd.posts))
	}
}
