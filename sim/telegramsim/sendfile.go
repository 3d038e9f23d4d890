package telegramsim

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Telegram's limits on the files a bot sends.
const (
	// maxCaptionLen is the longest caption, counted as Telegram counts
	// text: in UTF-16 code units, after entities parsing (the markup of
	// parse_mode does not count).
	maxCaptionLen = 1024
	// maxPhotoSize is the largest photo a bot may upload; other files may
	// have up to maxUploadSize.
	maxPhotoSize = 10 << 20
	// An album (sendMediaGroup) has 2 to 10 items.
	minMediaGroup, maxMediaGroup = 2, 10
)

// SentFile is a file the bot sent: uploaded bytes, or a URL or file_id
// Telegram was given instead.
type SentFile struct {
	Kind string // "photo", "document", "video" or "audio"
	Name string // the uploaded file's name; "" for a photo sent by URL or file_id
	MIME string // its type, as Telegram guessed it from its name
	Data []byte // the uploaded bytes; nil when the bot gave a URL or file_id
	URL  string // the http(s) URL the bot gave instead of bytes; "" otherwise
	// FileID is the file's file_id in Telegram's answer: the bot's own
	// when it sent an existing file by id, a new one otherwise.
	FileID string
}

// upload is a file part of a multipart call.
type upload struct {
	name string // the file name the client gave
	mime string // the part's Content-Type ("" when it gave none)
	data []byte
}

// uploadsKey is where ServeHTTP puts a call's uploads in the request's
// context: methods share one signature, and few of them take files.
type uploadsKey struct{}

// withUploads hands a call's uploads to its method.
func withUploads(r *http.Request, files map[string]upload) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), uploadsKey{}, files))
}

// uploadsOf returns a call's uploads by the name of their part; nil for a
// call without files.
func uploadsOf(r *http.Request) map[string]upload {
	files, _ := r.Context().Value(uploadsKey{}).(map[string]upload)
	return files
}

// readUploads reads the file parts of a parsed multipart form.
func readUploads(r *http.Request) (map[string]upload, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File) == 0 {
		return nil, nil
	}
	files := map[string]upload{}
	for name, headers := range r.MultipartForm.File {
		h := headers[0]
		f, err := h.Open()
		if err != nil {
			return nil, fmt.Errorf("can't read file %q: %v", name, err)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("can't read file %q: %v", name, err)
		}
		files[name] = upload{name: h.Filename, mime: h.Header.Get("Content-Type"), data: data}
	}
	return files, nil
}

// fileParam is one file a call names: uploaded bytes, a URL or a file_id.
type fileParam struct {
	kind   string // what it is sent as: photo, document, video or audio
	up     *upload
	url    string
	fileID string
}

// readFileParam reads the file a call gives in field: a part of that
// name, or a string that is a URL or a file_id; false when there is none.
func readFileParam(r *http.Request, p map[string]string, field, kind string) (fileParam, bool) {
	if up, has := uploadsOf(r)[field]; has {
		return fileParam{kind: kind, up: &up}, true
	}
	return stringFile(p[field], kind)
}

// stringFile reads a file given as text: a URL for Telegram to fetch, or
// the file_id of a file it has; false for an empty string.
func stringFile(v, kind string) (fileParam, bool) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return fileParam{}, false
	case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
		return fileParam{kind: kind, url: v}, true
	}
	return fileParam{kind: kind, fileID: v}, true
}

// checkSize applies Telegram's upload limits to f: the error's code and
// description, or 0 when it passes. The documents give the limits (10 MB
// for a photo, 50 MB for other files) but not the errors. For a photo the
// answer is a guess: Telegram may say PHOTO_SAVE_FILE_INVALID instead.
// 413 "Request Entity Too Large" over 50 MB is what bots are seen to get.
func (f fileParam) checkSize() (code int, desc string) {
	switch {
	case f.up == nil:
		return 0, ""
	case len(f.up.data) > maxUploadSize:
		return http.StatusRequestEntityTooLarge, "Request Entity Too Large"
	case f.kind == "photo" && len(f.up.data) > maxPhotoSize:
		return http.StatusBadRequest, "Bad Request: file is too big"
	}
	return 0, ""
}

// checkFileIDLocked refuses a file_id that names no file Telegram has, or
// one of another kind; nil for a file given otherwise. s.mu must be held.
func (s *Server) checkFileIDLocked(f fileParam) *answer {
	if f.fileID == "" {
		return nil
	}
	old := s.files.byID[f.fileID]
	if old == nil {
		a := fail(http.StatusBadRequest, "Bad Request: wrong file identifier/HTTP URL specified")
		return &a
	}
	// An animation is a document too; other kinds do not mix.
	if old.kind != f.kind && (old.kind != "animation" || f.kind != "document") {
		a := fail(http.StatusBadRequest, fmt.Sprintf("Bad Request: can't use file of type %s as %s", kinds[old.kind].tdName, kinds[f.kind].tdName))
		return &a
	}
	return nil
}

// storeFileLocked keeps f the way Telegram does and returns the fields it
// puts in a message ("photo" or the like) and its record. f must have
// passed checkFileIDLocked. s.mu must be held.
func (s *Server) storeFileLocked(f fileParam) (map[string]any, SentFile) {
	sent := SentFile{Kind: f.kind, URL: f.url}
	var data []byte
	if f.up != nil {
		data = f.up.data
		sent.Data, sent.Name = data, f.up.name
		sent.MIME = f.up.mime
		if sent.MIME == "" || sent.MIME == "application/octet-stream" {
			// Clients label every part so (the Go client does); Telegram
			// goes by the name.
			sent.MIME = mimeOf(sent.Name, kinds[f.kind].mime)
		}
	} else if f.url != "" {
		sent.Name = urlName(f.url, f.kind)
		sent.MIME = mimeOf(sent.Name, kinds[f.kind].mime)
	}
	if old := s.files.byID[f.fileID]; f.fileID != "" && old != nil {
		sent.Name, sent.MIME, sent.FileID = old.name, old.mime, old.id
		if f.kind == "photo" {
			return map[string]any{"photo": photoSizes([]*storedFile{old})}, sent
		}
		return map[string]any{f.kind: fileObject(old, Media{})}, sent
	}
	if f.kind == "photo" {
		sizes := s.photoLocked(data)
		sent.FileID = sizes[len(sizes)-1].id
		if f.up == nil {
			sent.Name, sent.MIME = "", "" // Telegram keeps no name of a photo
		}
		return map[string]any{"photo": photoSizes(sizes)}, sent
	}
	stored := s.storeLocked(f.kind, sent.Name, sent.MIME, data, 0)
	sent.FileID = stored.id
	return map[string]any{f.kind: fileObject(stored, Media{})}, sent
}

// urlName is the name Telegram gives a file it fetched from u: the last
// part of its path, or the kind's usual name.
func urlName(u, kind string) string {
	rest := u[strings.Index(u, "//")+2:]
	rest, _, _ = strings.Cut(rest, "?")
	if i := strings.LastIndex(rest, "/"); i >= 0 && i < len(rest)-1 {
		return rest[i+1:]
	}
	if n := kinds[kind].name; n != "" {
		return n
	}
	return "file"
}

// htmlTag is a tag of the HTML parse mode, which does not count towards a
// caption's length.
var htmlTag = regexp.MustCompile(`<[^>]*>`)

// markdownLink is a link of the Markdown parse modes: only its text shows.
var markdownLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// captionLen counts a caption as Telegram does, in UTF-16 code units of
// the text the customer sees: without the markup of parse_mode. The
// Markdown rules are simplified: escapes, links and the formatting
// characters are taken out, which is what a caption that Telegram accepts
// contains.
func captionLen(caption, parseMode string) int {
	visible, mode := caption, strings.ToLower(parseMode)
	switch mode {
	case "html":
		visible = html.UnescapeString(htmlTag.ReplaceAllString(caption, ""))
	case "markdown", "markdownv2":
		visible = markdownLink.ReplaceAllString(caption, "$1")
		var b strings.Builder
		escaped := false
		for _, r := range visible {
			switch {
			case escaped:
				b.WriteRune(r)
				escaped = false
			case r == '\\' && mode == "markdownv2":
				escaped = true
			case strings.ContainsRune("*_`~|", r):
			default:
				b.WriteRune(r)
			}
		}
		visible = b.String()
	}
	return len(utf16.Encode([]rune(visible)))
}

// sendPhoto sends a photo with an optional caption, checked as Telegram
// checks it.
func (s *Server) sendPhoto(r *http.Request, p map[string]string) answer {
	return s.sendFile(r, p, "photo")
}

// sendDocument sends a file as a document with an optional caption,
// checked as Telegram checks it.
func (s *Server) sendDocument(r *http.Request, p map[string]string) answer {
	return s.sendFile(r, p, "document")
}

// sendFile is sendPhoto's and sendDocument's: the file in the field named
// after its kind, a caption, a keyboard, a reply, all as sendMessage's.
func (s *Server) sendFile(r *http.Request, p map[string]string, kind string) answer {
	if _, err := strconv.ParseInt(p["chat_id"], 10, 64); err != nil {
		return fail(http.StatusBadRequest, "Bad Request: chat not found")
	}
	f, has := readFileParam(r, p, kind, kind)
	if !has {
		return fail(http.StatusBadRequest, "Bad Request: there is no "+kind+" in the request")
	}
	if code, desc := f.checkSize(); code != 0 {
		return fail(code, desc)
	}
	if captionLen(p["caption"], p["parse_mode"]) > maxCaptionLen {
		return fail(http.StatusBadRequest, "Bad Request: message caption is too long")
	}
	keyboard, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return fail(http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, refused := s.targetLocked(p)
	if refused != nil {
		return *refused
	}
	if refused := s.checkFileIDLocked(f); refused != nil {
		return *refused
	}
	media, sent := s.storeFileLocked(f)
	return ok(s.recordLocked(t, SentMessage{
		Caption: p["caption"], ParseMode: p["parse_mode"], Keyboard: keyboard, Files: []SentFile{sent}, media: media,
	}))
}

// inputMedia is an item of sendMediaGroup's media.
type inputMedia struct {
	Type      string `json:"type"`
	Media     string `json:"media"`
	Caption   string `json:"caption"`
	ParseMode string `json:"parse_mode"`
}

// sendMediaGroup sends an album: one message per item, sharing a
// media_group_id, each with its own caption, answered as an array of
// Messages. Telegram takes 2 to 10 photos and videos, or documents only,
// or audio files only.
func (s *Server) sendMediaGroup(r *http.Request, p map[string]string) answer {
	if _, err := strconv.ParseInt(p["chat_id"], 10, 64); err != nil {
		return fail(http.StatusBadRequest, "Bad Request: chat not found")
	}
	var raw any
	if json.Unmarshal([]byte(p["media"]), &raw) != nil {
		return fail(http.StatusBadRequest, "Bad Request: can't parse media JSON object")
	}
	var items []inputMedia
	if _, isArray := raw.([]any); !isArray || json.Unmarshal([]byte(p["media"]), &items) != nil {
		return fail(http.StatusBadRequest, "Bad Request: expected an Array of InputMedia")
	}
	if len(items) < minMediaGroup || len(items) > maxMediaGroup {
		return fail(http.StatusBadRequest, "Bad Request: media group must include 2-10 items")
	}
	files := make([]fileParam, 0, len(items))
	count := map[string]int{}
	for _, item := range items {
		switch item.Type {
		case "photo", "video", "document", "audio":
		default:
			return fail(http.StatusBadRequest, "Bad Request: can't parse InputMedia: unsupported media type \""+item.Type+"\"")
		}
		count[item.Type]++
		var f fileParam
		if name, isAttach := strings.CutPrefix(item.Media, "attach://"); isAttach {
			up, has := uploadsOf(r)[name]
			if !has {
				return fail(http.StatusBadRequest, "Bad Request: can't parse InputMedia: media not found")
			}
			f = fileParam{kind: item.Type, up: &up}
		} else if f, _ = stringFile(item.Media, item.Type); f.kind == "" {
			return fail(http.StatusBadRequest, "Bad Request: can't parse InputMedia: media not found")
		}
		if code, desc := f.checkSize(); code != 0 {
			return fail(code, desc)
		}
		if captionLen(item.Caption, item.ParseMode) > maxCaptionLen {
			return fail(http.StatusBadRequest, "Bad Request: message caption is too long")
		}
		files = append(files, f)
	}
	for _, alone := range []string{"document", "audio"} {
		if count[alone] > 0 && count[alone] < len(items) {
			return fail(http.StatusBadRequest, "Bad Request: "+alone+" can't be mixed with other media types")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, refused := s.targetLocked(p)
	if refused != nil {
		return *refused
	}
	// Every file is checked before the first is kept, so that a refused
	// album sends nothing.
	for _, f := range files {
		if refused := s.checkFileIDLocked(f); refused != nil {
			return *refused
		}
	}
	s.files.albums++ // Telegram's album ids are long numbers, unlike message ids
	group := strconv.FormatInt(13000000000000000+int64(s.files.albums), 10)
	messages := make([]map[string]any, 0, len(items))
	for i, item := range items {
		media, sent := s.storeFileLocked(files[i])
		messages = append(messages, s.recordLocked(t, SentMessage{
			Caption: item.Caption, ParseMode: item.ParseMode, Files: []SentFile{sent},
			MediaGroupID: group, media: media,
		}))
	}
	return ok(messages)
}
