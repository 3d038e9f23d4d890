package telegramsim_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/sim/telegramsim"
)

// pngOf returns a PNG of w×h pixels, so that a test can see the sizes
// Telegram announces follow the photo's.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// download fetches a file from the simulator's file server as a bot does:
// File.Link points at api.telegram.org, so the test builds the URL.
func download(t *testing.T, s *telegramsim.Server, tok, filePath string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(s.URL() + "/file/bot" + tok + "/" + filePath)
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

// wantRefusal fails the test unless err is Telegram's refusal desc, word
// for word.
func wantRefusal(t *testing.T, err error, desc string) {
	t.Helper()
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) || apiErr.Message != desc {
		t.Errorf("error = %v, want %q", err, desc)
	}
}

// onlyUpdate polls once, expecting one update, confirms it and returns it.
func onlyUpdate(t *testing.T, api *tgbotapi.BotAPI) tgbotapi.Update {
	t.Helper()
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 1 {
		t.Fatalf("getUpdates = %v, %v; want one update", updateIDs(updates), err)
	}
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: updates[0].UpdateID + 1}); err != nil {
		t.Fatalf("confirming update %d: %v", updates[0].UpdateID, err)
	}
	return updates[0]
}

func TestACustomersPhotoDownloadsAsSent(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	photo := pngOf(t, 200, 100)
	s.CustomerSendsPhoto(42, jane, photo, "the parcel arrived like this")

	m := onlyUpdate(t, api).Message
	if m == nil || m.Caption != "the parcel arrived like this" || len(m.Photo) != 2 {
		t.Fatalf("message = %+v, want a photo in two sizes with its caption", m)
	}
	thumb, full := m.Photo[0], m.Photo[1]
	if thumb.Width != 90 || thumb.Height != 45 || full.Width != 200 || full.Height != 100 || full.FileSize != len(photo) {
		t.Errorf("sizes %+v, %+v; want a 90×45 thumbnail, then 200×100 of %d bytes", thumb, full, len(photo))
	}
	if thumb.FileID == full.FileID || thumb.FileUniqueID == full.FileUniqueID || full.FileUniqueID == "" {
		t.Errorf("the sizes share ids: %+v, %+v", thumb, full)
	}

	file, err := api.GetFile(tgbotapi.FileConfig{FileID: full.FileID})
	if err != nil {
		t.Fatalf("getFile: %v", err)
	}
	if !strings.HasPrefix(file.FilePath, "photos/file_") || !strings.HasSuffix(file.FilePath, ".jpg") || file.FileSize != len(photo) || file.FileUniqueID != full.FileUniqueID {
		t.Errorf("getFile = %+v, want photos/file_N.jpg of %d bytes", file, len(photo))
	}
	resp, body := download(t, s, token, file.FilePath)
	if resp.StatusCode != 200 || !bytes.Equal(body, photo) {
		t.Fatalf("download = %d with %d bytes, want the %d bytes sent", resp.StatusCode, len(body), len(photo))
	}
	if resp.Header.Get("Content-Type") != "application/octet-stream" || resp.ContentLength != int64(len(photo)) {
		t.Errorf("headers = %v", resp.Header)
	}
	if s.Downloads() != 1 {
		t.Errorf("Downloads = %d, want 1", s.Downloads())
	}
}

func TestCustomersFilesComeInTelegramsShapes(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	tests := []struct {
		media telegramsim.Media
		path  string // how getFile's file_path begins and ends
		ext   string
		check func(m *tgbotapi.Message) (fileID string, good bool)
	}{
		{
			telegramsim.Media{Kind: "document", Name: "invoice.pdf", Data: []byte("%PDF-1.7"), Caption: "my invoice"}, "documents/", ".pdf",
			func(m *tgbotapi.Message) (string, bool) {
				d := m.Document
				return d.FileID, d.FileName == "invoice.pdf" && d.MimeType == "application/pdf" && d.FileSize == 8 && m.Caption == "my invoice"
			},
		},
		{
			telegramsim.Media{Kind: "voice", Data: []byte("OggS"), Duration: 3, MIME: "audio/webm"}, "voice/", ".oga",
			func(m *tgbotapi.Message) (string, bool) {
				return m.Voice.FileID, m.Voice.MimeType == "audio/ogg" && m.Voice.Duration == 3
			},
		},
		{
			telegramsim.Media{Kind: "video", Name: "unboxing.mov", MIME: "video/quicktime", Data: []byte("moov"), Duration: 12}, "videos/", ".mov",
			func(m *tgbotapi.Message) (string, bool) {
				v := m.Video
				return v.FileID, v.FileName == "unboxing.mov" && v.MimeType == "video/quicktime" && v.Width > 0 && v.Duration == 12
			},
		},
		{
			telegramsim.Media{Kind: "video_note", Data: []byte("round"), Duration: 5}, "video_notes/", ".mp4",
			func(m *tgbotapi.Message) (string, bool) {
				return m.VideoNote.FileID, m.VideoNote.Length > 0 && m.VideoNote.Duration == 5
			},
		},
		{
			telegramsim.Media{Kind: "audio", Name: "hold.mp3", Data: []byte("ID3"), Performer: "ACME", Title: "Hold music"}, "music/", ".mp3",
			func(m *tgbotapi.Message) (string, bool) {
				a := m.Audio
				return a.FileID, a.Performer == "ACME" && a.Title == "Hold music" && a.MimeType == "audio/mpeg" && a.FileName == "hold.mp3"
			},
		},
		{
			telegramsim.Media{Kind: "animation", Data: []byte("gif")}, "animations/", ".mp4",
			func(m *tgbotapi.Message) (string, bool) {
				// Telegram sets document too, for the same file.
				return m.Animation.FileID, m.Document != nil && m.Document.FileID == m.Animation.FileID && m.Animation.MimeType == "video/mp4"
			},
		},
		{
			telegramsim.Media{Kind: "sticker", Data: []byte("RIFFWEBP"), Emoji: "😡"}, "stickers/", ".webp",
			func(m *tgbotapi.Message) (string, bool) {
				st := m.Sticker
				return st.FileID, st.Width == 512 && st.Height == 512 && !st.IsAnimated && st.Emoji == "😡"
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.media.Kind, func(t *testing.T) {
			s.CustomerSendsFile(42, jane, tc.media)
			m := onlyUpdate(t, api).Message
			if m == nil {
				t.Fatal("no message")
			}
			fileID, good := "", false
			func() {
				defer func() {
					if recover() != nil {
						t.Errorf("the message has no %s: %+v", tc.media.Kind, m)
					}
				}()
				fileID, good = tc.check(m)
			}()
			if !good {
				t.Errorf("message = %+v", m)
			}
			file, err := api.GetFile(tgbotapi.FileConfig{FileID: fileID})
			if err != nil || !strings.HasPrefix(file.FilePath, tc.path) || !strings.HasSuffix(file.FilePath, tc.ext) {
				t.Fatalf("getFile = %+v, %v; want %s…%s", file, err, tc.path, tc.ext)
			}
			if _, body := download(t, s, token, file.FilePath); !bytes.Equal(body, tc.media.Data) {
				t.Errorf("download = %q, want %q", body, tc.media.Data)
			}
		})
	}
}

func TestCustomerSendsFilePanicsOnWhatAppsCannotSend(t *testing.T) {
	s := start(t)
	for _, m := range []telegramsim.Media{
		{Kind: "photo", Data: []byte("x")}, // CustomerSendsPhoto's
		{Kind: "hologram"},
		{Kind: "sticker", Caption: "hi"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("CustomerSendsFile(%+v) did not panic", m)
				}
			}()
			s.CustomerSendsFile(42, jane, m)
		}()
	}
	if s.Pending() != 0 {
		t.Errorf("%d updates queued, want none", s.Pending())
	}
}

func TestGetFileRefusesWhatBotsCannotDownload(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "document", Name: "scan.pdf", Data: []byte("%PDF"), Size: 21 << 20})
	s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "document", Name: "log.txt", Data: []byte("ok"), Size: 20 << 20})
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 2 {
		t.Fatalf("getUpdates = %v, %v", updateIDs(updates), err)
	}
	big, limit := updates[0].Message.Document, updates[1].Message.Document
	if big.FileSize != 21<<20 {
		t.Errorf("announced file_size = %d, want 21 MB", big.FileSize)
	}
	tests := []struct {
		name, fileID, desc string
	}{
		{"over 20 MB", big.FileID, "Bad Request: file is too big"},
		{"unknown", "BQACAgIAAxkBAAInvalid", "Bad Request: invalid file_id"},
		{"empty", "", "Bad Request: invalid file_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.GetFile(tgbotapi.FileConfig{FileID: tc.fileID})
			wantRefusal(t, err, tc.desc)
		})
	}
	if f, err := api.GetFile(tgbotapi.FileConfig{FileID: limit.FileID}); err != nil || f.FileSize != 20<<20 {
		t.Errorf("getFile of exactly 20 MB = %+v, %v; want it", f, err)
	}
}

func TestDownloadsAnswerLikeTelegramsFileServer(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "voice", Data: []byte("OggS voice")})
	file, err := api.GetFile(tgbotapi.FileConfig{FileID: onlyUpdate(t, api).Message.Voice.FileID})
	if err != nil {
		t.Fatal(err)
	}
	s.FailDownloads(2, http.StatusBadGateway)
	tests := []struct {
		name, tok, path string
		status          int
	}{
		{"wrong token", "1:other", file.FilePath, 401},
		{"flaky, once", token, file.FilePath, 502},
		{"flaky, twice", token, file.FilePath, 502},
		{"unknown path", token, "voice/file_999.oga", 404},
		{"served", token, file.FilePath, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if resp, _ := download(t, s, tc.tok, tc.path); resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if s.Downloads() != 1 || s.Calls("getFile") != 1 {
		t.Errorf("Downloads = %d, getFile calls = %d; want 1 and 1 (a download is no method call)", s.Downloads(), s.Calls("getFile"))
	}
	s.SetDown(true)
	if resp, _ := download(t, s, token, file.FilePath); resp.StatusCode != 502 {
		t.Errorf("download while down = %d, want 502", resp.StatusCode)
	}
}

func TestSendPhotoRecordsBytesAndCaption(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "can I see the label?")
	label := pngOf(t, 300, 600)
	photo := tgbotapi.NewPhoto(42, tgbotapi.FileBytes{Name: "label.png", Bytes: label})
	photo.Caption = "Here is the label."
	photo.ReplyToMessageID = 1
	m, err := api.Send(photo)
	if err != nil {
		t.Fatalf("sendPhoto: %v", err)
	}
	if m.MessageID != 2 || m.Caption != photo.Caption || m.Text != "" || len(m.Photo) != 2 || m.Photo[1].Height != 600 || m.ReplyToMessage == nil || m.ReplyToMessage.Text != "can I see the label?" {
		t.Errorf("answer = %+v, want message 2: the photo in two sizes, its caption, the reply", m)
	}
	sent, found := s.Message(42, m.MessageID)
	if !found || sent.Caption != photo.Caption || sent.Text != "" || sent.ReplyTo != 1 || len(sent.Files) != 1 {
		t.Fatalf("Message = %+v, want the photo with its caption", sent)
	}
	f := sent.Files[0]
	if f.Kind != "photo" || f.Name != "label.png" || f.MIME != "image/png" || !bytes.Equal(f.Data, label) || f.FileID != m.Photo[1].FileID {
		t.Errorf("file = {%s %s %s %d bytes %s}, want the PNG uploaded", f.Kind, f.Name, f.MIME, len(f.Data), f.FileID)
	}
	// The bot's own files can be downloaded too.
	file, err := api.GetFile(tgbotapi.FileConfig{FileID: f.FileID})
	if err != nil {
		t.Fatal(err)
	}
	if _, body := download(t, s, token, file.FilePath); !bytes.Equal(body, label) {
		t.Error("the photo's download differs from the upload")
	}
}

func TestSendDocumentRecordsNameAndBytes(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "invoice please")
	pdf := []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
	m, err := api.Send(tgbotapi.NewDocument(42, tgbotapi.FileBytes{Name: "invoice-1042.pdf", Bytes: pdf}))
	if err != nil {
		t.Fatalf("sendDocument: %v", err)
	}
	if m.Document == nil || m.Document.FileName != "invoice-1042.pdf" || m.Document.MimeType != "application/pdf" || m.Document.FileSize != len(pdf) || m.Caption != "" {
		t.Errorf("answer document = %+v", m.Document)
	}
	sent := s.Sent()
	if len(sent) != 1 || len(sent[0].Files) != 1 {
		t.Fatalf("Sent = %+v, want the document", sent)
	}
	f := sent[0].Files[0]
	if f.Kind != "document" || f.Name != "invoice-1042.pdf" || f.MIME != "application/pdf" || !bytes.Equal(f.Data, pdf) || f.URL != "" {
		t.Errorf("file = %+v", f)
	}
}

func TestSendFileTakesAURLOrAFileID(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerSendsFile(42, jane, telegramsim.Media{Kind: "document", Name: "receipt.pdf", Data: []byte("%PDF")})
	doc := onlyUpdate(t, api).Message.Document

	if _, err := api.Send(tgbotapi.NewPhoto(42, tgbotapi.FileURL("https://cdn.example/map.jpg"))); err != nil {
		t.Fatalf("sendPhoto by URL: %v", err)
	}
	m, err := api.Send(tgbotapi.NewDocument(42, tgbotapi.FileID(doc.FileID)))
	if err != nil {
		t.Fatalf("sendDocument by file_id: %v", err)
	}
	if m.Document == nil || m.Document.FileID != doc.FileID || m.Document.FileName != "receipt.pdf" {
		t.Errorf("answer document = %+v, want the customer's file", m.Document)
	}
	sent := s.Sent()
	if len(sent) != 2 {
		t.Fatalf("Sent = %+v", sent)
	}
	if f := sent[0].Files[0]; f.URL != "https://cdn.example/map.jpg" || f.Data != nil || f.Kind != "photo" {
		t.Errorf("by URL: %+v", f)
	}
	if f := sent[1].Files[0]; f.FileID != doc.FileID || f.Data != nil || f.URL != "" {
		t.Errorf("by file_id: %+v", f)
	}

	tests := []struct {
		name string
		send tgbotapi.Chattable
		desc string
	}{
		{"unknown file_id", tgbotapi.NewDocument(42, tgbotapi.FileID("BQACAgIAAxkBAAInvalid")), "Bad Request: wrong file identifier/HTTP URL specified"},
		{"a document as a photo", tgbotapi.NewPhoto(42, tgbotapi.FileID(doc.FileID)), "Bad Request: can't use file of type Document as Photo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.Send(tc.send)
			wantRefusal(t, err, tc.desc)
		})
	}
}

func TestSendFileRefusesWhatTelegramRefuses(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "hello?")
	small := tgbotapi.FileBytes{Name: "a.jpg", Bytes: []byte("jpeg")}
	withCaption := func(c tgbotapi.PhotoConfig, caption, mode string) tgbotapi.PhotoConfig {
		c.Caption, c.ParseMode = caption, mode
		return c
	}
	tests := []struct {
		name string
		send tgbotapi.Chattable
		desc string
	}{
		{"caption of 1025", withCaption(tgbotapi.NewPhoto(42, small), strings.Repeat("a", 1025), ""), "Bad Request: message caption is too long"},
		// Telegram counts UTF-16 code units: an emoji outside the BMP is two.
		{"caption of 513 emoji", withCaption(tgbotapi.NewPhoto(42, small), strings.Repeat("📦", 513), ""), "Bad Request: message caption is too long"},
		{"unknown chat", tgbotapi.NewPhoto(7, small), "Bad Request: chat not found"},
		{"no photo", tgbotapi.NewPhoto(42, tgbotapi.FileID("")), "Bad Request: there is no photo in the request"},
		{"photo over 10 MB", tgbotapi.NewPhoto(42, tgbotapi.FileBytes{Name: "big.jpg", Bytes: make([]byte, 10<<20+1)}), "Bad Request: file is too big"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.Send(tc.send)
			wantRefusal(t, err, tc.desc)
		})
	}
	if len(s.Sent()) != 0 {
		t.Errorf("Sent = %+v, want nothing", s.Sent())
	}
	// The markup of parse_mode does not count: 1024 letters in bold pass.
	bold := withCaption(tgbotapi.NewPhoto(42, small), "<b>"+strings.Repeat("a", 1024)+"</b>", "HTML")
	if _, err := api.Send(bold); err != nil {
		t.Errorf("1024 letters in HTML bold: %v", err)
	}
}

// photos are n media group items of small photos, the first with caption.
func photos(n int, caption string) []any {
	items := make([]any, 0, n)
	for i := range n {
		p := tgbotapi.NewInputMediaPhoto(tgbotapi.FileBytes{Name: "p.jpg", Bytes: []byte{byte(i)}})
		if i == 0 {
			p.Caption = caption
		}
		items = append(items, p)
	}
	return items
}

func TestSendMediaGroupSendsOneMessagePerFile(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "photos of the damage?")
	group := tgbotapi.NewMediaGroup(42, photos(3, "Three sides of the box"))
	group.ReplyToMessageID = 1
	messages, err := api.SendMediaGroup(group)
	if err != nil {
		t.Fatalf("sendMediaGroup: %v", err)
	}
	if len(messages) != 3 {
		t.Fatalf("answer = %d messages, want 3", len(messages))
	}
	album := messages[0].MediaGroupID
	for i, m := range messages {
		wantCaption := map[bool]string{true: "Three sides of the box"}[i == 0]
		if m.MessageID != 2+i || m.MediaGroupID == "" || m.MediaGroupID != album || m.Caption != wantCaption || len(m.Photo) == 0 || m.ReplyToMessage == nil {
			t.Errorf("message %d = %+v, want id %d in album %s, caption %q", i, m, 2+i, album, wantCaption)
		}
	}
	sent := s.Sent()
	if len(sent) != 3 {
		t.Fatalf("Sent = %d messages, want 3", len(sent))
	}
	for i, m := range sent {
		if m.MediaGroupID != album || len(m.Files) != 1 || !bytes.Equal(m.Files[0].Data, []byte{byte(i)}) || m.ReplyTo != 1 {
			t.Errorf("Sent[%d] = %+v", i, m)
		}
	}
}

func TestSendMediaGroupRefusesWhatTelegramRefuses(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "hello?")
	doc := tgbotapi.NewInputMediaDocument(tgbotapi.FileBytes{Name: "a.pdf", Bytes: []byte("%PDF")})
	audio := tgbotapi.NewInputMediaAudio(tgbotapi.FileBytes{Name: "a.mp3", Bytes: []byte("ID3")})
	tests := []struct {
		name  string
		media []any
		desc  string
	}{
		{"one item", photos(1, ""), "Bad Request: media group must include 2-10 items"},
		{"eleven items", photos(11, ""), "Bad Request: media group must include 2-10 items"},
		{"a document among photos", append(photos(2, ""), doc), "Bad Request: document can't be mixed with other media types"},
		{"audio among photos", append(photos(1, ""), audio), "Bad Request: audio can't be mixed with other media types"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.SendMediaGroup(tgbotapi.NewMediaGroup(42, tc.media))
			wantRefusal(t, err, tc.desc)
		})
	}
	if len(s.Sent()) != 0 {
		t.Errorf("Sent = %+v, want nothing", s.Sent())
	}
	// Documents alone make an album.
	if _, err := api.SendMediaGroup(tgbotapi.NewMediaGroup(42, []any{doc, doc})); err != nil {
		t.Errorf("two documents: %v", err)
	}
}
