package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/sim/bridgesim"
	"caredesk/store/sqlite"
)

// blobs is a bot.Blobs in memory.
type blobs struct {
	mu    sync.Mutex
	bytes map[string][]byte
	fail  error // Open's error, when set
}

func (b *blobs) Put(key string, r io.Reader, limit int64) (int64, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return 0, err
	}
	if int64(len(data)) > limit {
		return 0, bot.ErrTooLarge
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bytes[key] = data
	return int64(len(data)), nil
}

func (b *blobs) Open(key string) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return nil, b.fail
	}
	data, ok := b.bytes[key]
	if !ok {
		return nil, bot.Errorf(bot.ENOTFOUND, "no blob %s", key)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (b *blobs) Delete(key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.bytes, key)
	return nil
}

// fileDesk is caredesk serving download links over a real SQLite store:
// a ticket of the twitter source with files in each state, and one of
// the forum source.
type fileDesk struct {
	url   string
	blobs *blobs
	now   time.Time // the handler's clock; set before requests
	mu    sync.Mutex

	pdf, photo, odd, swept, refused, waiting, forums, gone bot.Attachment
	customers, unsent                                      bot.Attachment // the customer's own file; a file of a reply deleted
}

// invoice is the bytes of the reply's PDF.
var invoice = []byte("%PDF-1.7 the invoice of order 1234\n")

func startFileDesk(t *testing.T) *fileDesk {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := &fileDesk{blobs: &blobs{bytes: map[string][]byte{}}, now: start}
	add := func(tx bot.Tx, source string, files ...*bot.Attachment) error {
		tk := bot.Ticket{Source: source, Conversation: "thread-9", Customer: bot.Customer{ID: "u1"}, Text: "help", State: bot.Open, OpenedAt: start}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		m := bot.Message{TicketID: tk.ID, Kind: bot.Reply, Author: "U1", Text: "see attached", At: start}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		for _, a := range files {
			a.TicketID, a.MessageID, a.From = tk.ID, m.ID, bot.FromDesk
			if err := tx.AddAttachment(a); err != nil {
				return err
			}
		}
		return nil
	}
	d.pdf = bot.Attachment{Kind: bot.FileDocument, Name: "Rechnung März.pdf", MIME: "application/pdf", Size: int64(len(invoice)), Stored: true, State: bot.FileWaiting}
	d.photo = bot.Attachment{Kind: bot.FilePhoto, Name: "box.jpg", MIME: "image/jpeg", Size: 4, Stored: true, State: bot.FileDone, DoneAt: start}
	d.odd = bot.Attachment{Kind: bot.FileDocument, Name: "../../etc/notes", MIME: "text/html; <script>", Size: 5, Stored: true, State: bot.FileWaiting}
	d.swept = bot.Attachment{Kind: bot.FileDocument, Name: "old.pdf", MIME: "application/pdf", Size: 9, State: bot.FileDone, DoneAt: start.AddDate(0, -2, 0)}
	d.refused = bot.Attachment{Kind: bot.FileDocument, Name: "huge.zip", MIME: "application/zip", State: bot.FileRefused, Reason: "too large"}
	d.waiting = bot.Attachment{Kind: bot.FileDocument, Name: "later.pdf", MIME: "application/pdf", State: bot.FileWaiting}
	d.gone = bot.Attachment{Kind: bot.FileDocument, Name: "lost.pdf", MIME: "application/pdf", Size: 3, Stored: true, State: bot.FileDone}
	d.forums = bot.Attachment{Kind: bot.FileDocument, Name: "forum.pdf", MIME: "application/pdf", Size: 5, Stored: true, State: bot.FileWaiting}
	if err := db.Update(testContext(t), func(tx bot.Tx) error {
		if err := add(tx, "webhook:twitter", &d.pdf, &d.photo, &d.odd, &d.swept, &d.refused, &d.waiting, &d.gone); err != nil {
			return err
		}
		if err := add(tx, "webhook:forum", &d.forums); err != nil {
			return err
		}
		// On a ticket of the source too, but no file of a delivered reply
		// of the owner's: the customer's own (fetched from their post),
		// and one of a reply deleted on the desk.
		tk := bot.Ticket{Source: "webhook:twitter", Conversation: "thread-10", Customer: bot.Customer{ID: "u2"}, Text: "see photo", State: bot.Open, OpenedAt: start}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		asked := bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Author: "u2", Text: "see photo", At: start}
		unsent := bot.Message{TicketID: tk.ID, Kind: bot.Reply, Author: "U1", Text: "wrong file", At: start, DeletedAt: start}
		for _, m := range []*bot.Message{&asked, &unsent} {
			if err := tx.AddMessage(m); err != nil {
				return err
			}
		}
		d.customers = bot.Attachment{TicketID: tk.ID, MessageID: asked.ID, From: "webhook:twitter", Kind: bot.FilePhoto, Name: "mine.jpg", Size: 5, Stored: true, State: bot.FileDone}
		d.unsent = bot.Attachment{TicketID: tk.ID, MessageID: unsent.ID, From: bot.FromDesk, Kind: bot.FileDocument, Name: "other customer.pdf", Size: 5, Stored: true, State: bot.FileDone}
		if err := tx.AddAttachment(&d.customers); err != nil {
			return err
		}
		return tx.AddAttachment(&d.unsent)
	}); err != nil {
		t.Fatal(err)
	}
	for a, data := range map[bot.Attachment][]byte{d.pdf: invoice, d.photo: []byte("\xff\xd8\xff\xe0"), d.odd: []byte("notes"), d.forums: []byte("forum"), d.customers: []byte("mine!"), d.unsent: []byte("wrong")} {
		if _, err := d.blobs.Put(a.BlobKey(), bytes.NewReader(data), 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	logs := &logBuffer{}
	h := webhook.Files(webhook.FilesOptions{
		Sources: []webhook.Source{{Name: "twitter", Secret: twitterSecret}, {Name: "forum", Secret: forumSecret}},
		Store:   db, Blobs: d.blobs,
		Now: func() time.Time { d.mu.Lock(); defer d.mu.Unlock(); return d.now },
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	mux := http.NewServeMux()
	mux.Handle("/files/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		logs.assertNoSecret(t)
	})
	d.url = srv.URL
	return d
}

// at sets the handler's clock.
func (d *fileDesk) at(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
}

// fileClient is the twitter source's client, sending to bridge, with
// links to d.
func fileClient(t *testing.T, bridge *bridgesim.Server, d *fileDesk, o webhook.ClientOptions) *webhook.Client {
	t.Helper()
	o.PublicURL = d.url + "/"
	c, _ := newClient(t, bridge.ReplyURL(), o)
	return c
}

// withFiles is reply with files attached.
func withFiles(text string, files ...bot.Attachment) bot.Outgoing {
	m := reply
	m.Text = text
	for _, a := range files {
		m.Files = append(m.Files, bot.Upload{File: a, Open: func() (io.ReadCloser, error) { return nil, io.ErrUnexpectedEOF }})
	}
	return m
}

func TestReplyFilesGoAsLinksCaredeskServes(t *testing.T) {
	d := startFileDesk(t)
	bridge := startBridge(t, twitterSecret)
	c := fileClient(t, bridge, d, webhook.ClientOptions{})
	if _, err := c.Send(testContext(t), withFiles("", d.pdf, d.photo)); err != nil {
		t.Fatalf("a reply of files only: %v", err)
	}
	got := bridge.Replies()
	if len(got) != 1 || len(got[0].Attachments) != 2 || got[0].Text != "" {
		t.Fatalf("the bridge took %+v", got)
	}
	expires := start.Add(webhook.DefaultLinkTTL)
	for i, tc := range []struct {
		file       bot.Attachment
		data       []byte
		name, mime string
		disp       string
	}{
		{d.pdf, invoice, "Rechnung März.pdf", "application/pdf", "attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf"},
		{d.photo, []byte("\xff\xd8\xff\xe0"), "box.jpg", "image/jpeg", "attachment; filename=box.jpg"},
	} {
		a := got[0].Attachments[i]
		if a.Name != tc.name || a.MIME != tc.mime || a.Size != int64(len(tc.data)) || a.ExpiresAt != expires.Format(time.RFC3339) {
			t.Errorf("attachment %d: %+v", i, a)
		}
		u, err := url.Parse(a.URL)
		if err != nil || u.Path != "/files/"+strconv.FormatInt(tc.file.ID, 10)+"/"+tc.name || u.Query().Get("source") != "twitter" || u.Query().Get("expires") != strconv.FormatInt(expires.Unix(), 10) {
			t.Errorf("attachment %d: link %s", i, a.URL)
		}
		body, resp, err := bridge.Download(a)
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, tc.data) {
			t.Fatalf("download %d: %v %v %q", i, err, resp, body)
		}
		h := resp.Header
		want := map[string]string{
			"Content-Type": tc.mime, "Content-Length": strconv.Itoa(len(tc.data)), "Content-Disposition": tc.disp,
			"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=" + strconv.Itoa(int(webhook.DefaultLinkTTL/time.Second)),
		}
		for k, v := range want {
			if h.Get(k) != v {
				t.Errorf("download %d: %s is %q, want %q", i, k, h.Get(k), v)
			}
		}
	}
}

func TestALinkWorksOnlyAsSignedAndWhileTheFileIsKept(t *testing.T) {
	d := startFileDesk(t)
	bridge := startBridge(t, twitterSecret)
	c := fileClient(t, bridge, d, webhook.ClientOptions{LinkTTL: time.Hour})
	linkOf := func(a bot.Attachment) string {
		t.Helper()
		before := len(bridge.Replies())
		if _, err := c.Send(testContext(t), withFiles("here", a)); err != nil {
			t.Fatal(err)
		}
		return bridge.Replies()[before].Attachments[0].URL
	}
	pdf := linkOf(d.pdf)
	tamper := func(link, key, value string) string {
		u, _ := url.Parse(link)
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	otherID := strings.Replace(pdf, "/files/"+strconv.FormatInt(d.pdf.ID, 10)+"/", "/files/"+strconv.FormatInt(d.photo.ID, 10)+"/", 1)
	tests := []struct {
		name, link, method string
		at                 time.Time
		status             int
		says               string
	}{
		{"as signed", pdf, http.MethodGet, start, 200, ""},
		{"HEAD", pdf, http.MethodHead, start, 200, ""},
		{"another name in the path", strings.Replace(pdf, "/Rechnung%20M%C3%A4rz.pdf?", "/x.exe?", 1), http.MethodGet, start, 200, ""},
		{"POST", pdf, http.MethodPost, start, 405, "Use GET"},
		{"a wrong signature", tamper(pdf, "sig", strings.Repeat("0", 64)), http.MethodGet, start, 403, "not one caredesk signed"},
		{"no signature", tamper(pdf, "sig", ""), http.MethodGet, start, 403, "not one caredesk signed"},
		{"a later expiry", tamper(pdf, "expires", strconv.FormatInt(start.Add(24*time.Hour).Unix(), 10)), http.MethodGet, start, 403, "not one caredesk signed"},
		{"another file's id", otherID, http.MethodGet, start, 403, "not one caredesk signed"},
		{"another source named", tamper(pdf, "source", "forum"), http.MethodGet, start, 403, "not one caredesk signed"},
		{"an unknown source", tamper(pdf, "source", "facebook"), http.MethodGet, start, 403, "not one caredesk signed"},
		{"expired", pdf, http.MethodGet, start.Add(time.Hour), 410, "expired"},
		{"another source's file", linkOf(d.forums), http.MethodGet, start, 404, "no such file"},
		{"a file that does not exist", linkOf(bot.Attachment{ID: 999, Name: "x.pdf"}), http.MethodGet, start, 404, "no such file"},
		{"swept after the retention", linkOf(d.swept), http.MethodGet, start, 410, "no longer kept"},
		{"refused, never kept", linkOf(d.refused), http.MethodGet, start, 404, "no such file"},
		{"not downloaded yet", linkOf(d.waiting), http.MethodGet, start, 404, "no such file"},
		{"bytes gone while the store says kept", linkOf(d.gone), http.MethodGet, start, 410, "no longer kept"},
		{"the customer's own file", linkOf(d.customers), http.MethodGet, start, 404, "no such file"},
		{"a file of a deleted reply", linkOf(d.unsent), http.MethodGet, start, 410, "deleted the reply"},
		{"no id", d.url + "/files/", http.MethodGet, start, 404, "nothing here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d.at(tc.at)
			req, _ := http.NewRequestWithContext(testContext(t), tc.method, tc.link, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tc.status)
			}
			if tc.status == 200 {
				if tc.method == http.MethodGet && !bytes.Equal(body, invoice) {
					t.Errorf("got %q", body)
				}
				if resp.Header.Get("Content-Length") != strconv.Itoa(len(invoice)) {
					t.Errorf("Content-Length %q", resp.Header.Get("Content-Length"))
				}
				return
			}
			if p := decodeProblem(t, body); !strings.Contains(p.Error, tc.says) {
				t.Errorf("answer %q, want it to say %q", p.Error, tc.says)
			}
			if tc.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow: %q", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestADownloadIsNeverRunByABrowser(t *testing.T) {
	d := startFileDesk(t)
	bridge := startBridge(t, twitterSecret)
	c := fileClient(t, bridge, d, webhook.ClientOptions{})
	if _, err := c.Send(testContext(t), withFiles("notes", d.odd)); err != nil {
		t.Fatal(err)
	}
	a := bridge.Replies()[0].Attachments[0]
	if a.Name != "notes" || a.MIME != "application/octet-stream" {
		t.Errorf("the link is for %q of type %q, want the name without its path and no type caredesk cannot vouch for", a.Name, a.MIME)
	}
	body, resp, err := bridge.Download(a)
	if err != nil || string(body) != "notes" {
		t.Fatalf("%v %q", err, body)
	}
	if h := resp.Header; h.Get("Content-Type") != "application/octet-stream" || h.Get("Content-Disposition") != "attachment; filename=notes" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", h)
	}
}

func TestDownloadsWhenTheFileStoreFails(t *testing.T) {
	d := startFileDesk(t)
	bridge := startBridge(t, twitterSecret)
	c := fileClient(t, bridge, d, webhook.ClientOptions{})
	if _, err := c.Send(testContext(t), withFiles("here", d.pdf)); err != nil {
		t.Fatal(err)
	}
	d.blobs.mu.Lock()
	d.blobs.fail = context.DeadlineExceeded
	d.blobs.mu.Unlock()
	body, resp, err := bridge.Download(bridge.Replies()[0].Attachments[0])
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("%v %v %s, want a 503 to try again", err, resp, body)
	}
}

func TestFilesNeedAPublicAddress(t *testing.T) {
	bridge := startBridge(t, twitterSecret)
	tests := []struct {
		publicURL string
		refusal   string
	}{
		{"", "the bridge gets files as download links, and caredesk has no public address for them: set CAREDESK_PUBLIC_URL"},
		{"https://caredesk.example.com", ""},
	}
	for _, tc := range tests {
		c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{PublicURL: tc.publicURL})
		big := bot.Attachment{ID: 7, Name: "video.mp4", Size: 2 << 30}
		if got := c.TakeFile(big); got != tc.refusal {
			t.Errorf("PublicURL %q: TakeFile = %q, want %q", tc.publicURL, got, tc.refusal)
		}
		_, err := c.Send(testContext(t), withFiles("here", big))
		if tc.refusal != "" && (!bot.IsPermanent(err) || !strings.Contains(err.Error(), "CAREDESK_PUBLIC_URL")) {
			t.Errorf("Send without a public address: %v, want a permanent refusal", err)
		}
		if tc.refusal == "" && err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	if got := bridge.Replies(); len(got) != 1 || !strings.HasPrefix(got[0].Attachments[0].URL, "https://caredesk.example.com/files/7/video.mp4?") {
		t.Errorf("the bridge took %+v", got)
	}
}

func TestAnEmptyReplyNeedsFiles(t *testing.T) {
	bridge := startBridge(t, twitterSecret)
	c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{PublicURL: "https://caredesk.example.com"})
	if _, err := c.Send(testContext(t), withFiles(" ")); !bot.IsPermanent(err) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("no words and no files: %v, want a permanent refusal", err)
	}
	if _, err := c.Send(testContext(t), withFiles(" ", bot.Attachment{ID: 3, Name: "a.png", MIME: "image/png", Size: 10})); err != nil {
		t.Errorf("no words but a file: %v", err)
	}
}

// TestFileLinkTestVector checks the link signature the documentation
// gives as a test vector.
func TestFileLinkTestVector(t *testing.T) {
	body := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body <- b
	}))
	t.Cleanup(srv.Close)
	expires := time.Unix(1742549400, 0)
	c := webhook.NewClient(webhook.Source{Name: "twitter", Secret: "whsec_0123456789abcdef", ReplyURL: srv.URL}, webhook.ClientOptions{
		PublicURL: "https://caredesk.example.com", LinkTTL: time.Hour, Now: func() time.Time { return expires.Add(-time.Hour) },
		Logger: slog.New(slog.DiscardHandler),
	})
	if _, err := c.Send(testContext(t), withFiles("Here is your invoice.", bot.Attachment{ID: 57, Name: "invoice-1234.pdf", MIME: "application/pdf", Size: 48213})); err != nil {
		t.Fatal(err)
	}
	var r webhook.Reply
	if err := json.Unmarshal(<-body, &r); err != nil {
		t.Fatal(err)
	}
	const want = "https://caredesk.example.com/files/57/invoice-1234.pdf?expires=1742549400&sig=9126f15fbbee6fbd5364c4c3de449eacd8f37401e2c042dfd3c435004fd60aea&source=twitter"
	if len(r.Attachments) != 1 || r.Attachments[0].URL != want || !r.Attachments[0].ExpiresAt.Equal(expires) {
		t.Errorf("attachments %+v, want the link %s", r.Attachments, want)
	}
}
