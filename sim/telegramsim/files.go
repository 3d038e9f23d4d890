package telegramsim

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // photos' sizes, read as Telegram reads them
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Telegram's limits on files.
const (
	// maxDownloadSize is the largest file getFile hands a bot a path to:
	// bots cannot download more than 20 MB.
	maxDownloadSize = 20 << 20
	// thumbSide is the longest side of the smallest PhotoSize Telegram
	// makes of a photo.
	thumbSide = 90
)

// Media is a file a customer sends (CustomerSendsFile). The zero values of
// the optional fields are filled in the way Telegram's apps fill them.
type Media struct {
	// Kind is the field of the message the file comes in: "document",
	// "voice", "video", "video_note", "audio", "animation" or "sticker".
	// Photos, which come in several sizes, are CustomerSendsPhoto's.
	Kind string
	// Name is the file's name as the customer's app gave it, for kinds
	// that carry one (document, video, audio, animation); "" for a
	// default such as "video.mp4".
	Name string
	// MIME is the file's type; "" for the kind's usual one, or for a
	// document one guessed from Name's extension.
	MIME string
	// Data is the bytes a download of the file serves.
	Data []byte
	// Size, when above len(Data), is the file_size Telegram announces: a
	// test can have a customer send a file of 21 MB without making one.
	// The bytes served stay Data.
	Size int64
	// Caption is the text under the file; "" for none. Video notes and
	// stickers take none.
	Caption string
	// MediaGroupID, when set, puts the message in an album with the other
	// messages that have it.
	MediaGroupID string
	// Duration is in seconds, for voice, video, video_note, audio and
	// animation.
	Duration int
	// Performer and Title are an audio file's tags; "" for none.
	Performer, Title string
	// Emoji is a sticker's emoji; "" for 👍.
	Emoji string
}

// kind is what Telegram does with one kind of file.
type kind struct {
	dir    string // the folder of its file_path
	ext    string // the extension of its file_path, when the name gives none
	mime   string // its MIME type, when none is given
	name   string // its file_name, when none is given; "" for kinds without names
	prefix string // how its file_ids begin, as Telegram's do
	tdName string // its name in Telegram's "can't use file of type X as Y"
}

// kinds are the kinds of file the simulator knows, by the field of the
// message they come in.
var kinds = map[string]kind{
	"photo":      {dir: "photos", ext: "jpg", mime: "image/jpeg", prefix: "AgACAgIAAxkBAAI", tdName: "Photo"},
	"document":   {dir: "documents", mime: "application/octet-stream", name: "document", prefix: "BQACAgIAAxkBAAI", tdName: "Document"},
	"voice":      {dir: "voice", ext: "oga", mime: "audio/ogg", prefix: "AwACAgIAAxkBAAI", tdName: "VoiceNote"},
	"video":      {dir: "videos", ext: "mp4", mime: "video/mp4", name: "video.mp4", prefix: "BAACAgIAAxkBAAI", tdName: "Video"},
	"video_note": {dir: "video_notes", ext: "mp4", prefix: "DQACAgIAAxkBAAI", tdName: "VideoNote"},
	"audio":      {dir: "music", ext: "mp3", mime: "audio/mpeg", name: "audio.mp3", prefix: "CQACAgIAAxkBAAI", tdName: "Audio"},
	// Telegram turns GIFs into silent MP4s, named after the GIF.
	"animation": {dir: "animations", ext: "mp4", mime: "video/mp4", name: "animation.gif.mp4", prefix: "CgACAgIAAxkBAAI", tdName: "Animation"},
	"sticker":   {dir: "stickers", ext: "webp", mime: "image/webp", prefix: "CAACAgIAAxkBAAI", tdName: "Sticker"},
}

// fileStore is every file Telegram keeps for the bot, guarded by Server.mu.
type fileStore struct {
	seq    int
	byID   map[string]*storedFile
	byPath map[string]*storedFile

	albums     int // media groups the bot sent, for their ids
	downloads  int // downloads served; see Downloads
	failN      int // the next failN downloads fail with failStatus; see FailDownloads
	failStatus int
}

// storedFile is one file: what getFile describes and a download serves.
type storedFile struct {
	id, uniqueID string
	kind         string // a key of kinds
	path         string // file_path
	name, mime   string // "" where the kind has none
	data         []byte
	size         int64 // file_size: len(data), or more (Media.Size)
	width        int   // photos
	height       int
}

// storeLocked keeps a new file and returns it. s.mu must be held.
func (s *Server) storeLocked(kindName, name, mimeType string, data []byte, size int64) *storedFile {
	k := kinds[kindName]
	fs := &s.files
	if fs.byID == nil {
		fs.byID, fs.byPath = map[string]*storedFile{}, map[string]*storedFile{}
	}
	fs.seq++
	ext := k.ext
	if e := strings.TrimPrefix(strings.ToLower(path.Ext(name)), "."); e != "" && kindName != "voice" && kindName != "photo" && kindName != "sticker" {
		ext = e
	}
	p := fmt.Sprintf("%s/file_%d", k.dir, fs.seq)
	if ext != "" {
		p += "." + ext
	}
	f := &storedFile{
		// Telegram's ids are opaque base64; these only look the part, and
		// a unique id is shorter than a file_id, as Telegram's are.
		id:       fmt.Sprintf("%s%06dZmlsZV9pZA", k.prefix, fs.seq),
		uniqueID: fmt.Sprintf("AgAD%06d", fs.seq),
		kind:     kindName, path: p, name: name, mime: mimeType,
		data: data, size: max(size, int64(len(data))),
	}
	if kindName == "photo" {
		f.uniqueID = fmt.Sprintf("AQAD%06d", fs.seq)
	}
	fs.byID[f.id] = f
	fs.byPath[f.path] = f
	return f
}

// photoLocked keeps a photo the way Telegram does, in two sizes: a
// thumbnail at most 90 pixels long and the photo itself, whose bytes are
// data. It returns both, smallest first, as a message's photo lists them.
// s.mu must be held.
func (s *Server) photoLocked(data []byte) []*storedFile {
	w, h := 1280, 960 // what a phone's camera sends, when data is not an image
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
		w, h = cfg.Width, cfg.Height
	}
	tw, th := w, h
	if longest := max(w, h); longest > thumbSide {
		tw, th = max(1, w*thumbSide/longest), max(1, h*thumbSide/longest)
	}
	// The thumbnail's bytes need only be distinct: no test looks at them.
	thumb := s.storeLocked("photo", "", "image/jpeg", []byte(fmt.Sprintf("thumbnail %dx%d", tw, th)), 0)
	thumb.width, thumb.height = tw, th
	full := s.storeLocked("photo", "", "image/jpeg", data, 0)
	full.width, full.height = w, h
	return []*storedFile{thumb, full}
}

// photoSizes is a photo as a message's "photo" shows it.
func photoSizes(sizes []*storedFile) []map[string]any {
	out := make([]map[string]any, 0, len(sizes))
	for _, f := range sizes {
		out = append(out, map[string]any{
			"file_id": f.id, "file_unique_id": f.uniqueID, "width": f.width, "height": f.height, "file_size": f.size,
		})
	}
	return out
}

// fileObject is a file of kind as a message shows it (Document, Voice,
// Video, VideoNote, Audio, Animation or Sticker), with the details m gives.
func fileObject(f *storedFile, m Media) map[string]any {
	o := map[string]any{"file_id": f.id, "file_unique_id": f.uniqueID, "file_size": f.size}
	switch f.kind {
	case "document":
		o["file_name"], o["mime_type"] = f.name, f.mime
	case "voice":
		o["duration"], o["mime_type"] = m.Duration, f.mime
	case "video", "animation":
		w, h := 1280, 720
		if f.kind == "animation" {
			w, h = 480, 270
		}
		o["width"], o["height"], o["duration"], o["file_name"], o["mime_type"] = w, h, m.Duration, f.name, f.mime
	case "video_note":
		o["length"], o["duration"] = 384, m.Duration // the round video's diameter
	case "audio":
		o["duration"], o["file_name"], o["mime_type"] = m.Duration, f.name, f.mime
		if m.Performer != "" {
			o["performer"] = m.Performer
		}
		if m.Title != "" {
			o["title"] = m.Title
		}
	case "sticker":
		emoji := m.Emoji
		if emoji == "" {
			emoji = "👍"
		}
		o["type"], o["width"], o["height"], o["is_animated"], o["is_video"], o["emoji"] = "regular", 512, 512, false, false, emoji
	}
	return o
}

// mediaFieldsLocked keeps the file of m and returns the fields it puts in
// a message: its kind's, and for an animation "document" too, since
// Telegram sets both so that older apps show something. s.mu must be held.
func (s *Server) mediaFieldsLocked(m Media) (map[string]any, *storedFile) {
	k, known := kinds[m.Kind]
	if !known || m.Kind == "photo" {
		panic(fmt.Sprintf("telegramsim: unknown kind of media %q; photos are CustomerSendsPhoto's", m.Kind))
	}
	name, mimeType := m.Name, m.MIME
	if name == "" {
		name = k.name
	}
	if k.name == "" {
		name = "" // voice notes, video notes and stickers have no names
	}
	switch {
	case m.Kind == "voice" || m.Kind == "video_note" || m.Kind == "sticker":
		mimeType = k.mime // Telegram's own encoding, whatever the app said
	case mimeType == "":
		mimeType = mimeOf(name, k.mime)
	}
	f := s.storeLocked(m.Kind, name, mimeType, m.Data, m.Size)
	obj := fileObject(f, m)
	fields := map[string]any{m.Kind: obj}
	if m.Kind == "animation" {
		doc := fileObject(f, m)
		doc["file_name"], doc["mime_type"] = f.name, f.mime
		delete(doc, "width")
		delete(doc, "height")
		delete(doc, "duration")
		fields["document"] = doc
	}
	return fields, f
}

// mimeTypes are the types Telegram gives common files by their extension;
// mimeOf asks the system's table for others.
var mimeTypes = map[string]string{
	".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".gif": "image/gif", ".webp": "image/webp", ".txt": "text/plain", ".csv": "text/csv",
	".zip": "application/zip", ".json": "application/json", ".mp4": "video/mp4", ".mp3": "audio/mpeg",
	".ogg": "audio/ogg", ".oga": "audio/ogg", ".doc": "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// mimeOf guesses a file's type from its name, as Telegram does for
// documents uploaded without one; fallback when the name says nothing.
func mimeOf(name, fallback string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, known := mimeTypes[ext]; known {
		return t
	}
	if t, _, err := mime.ParseMediaType(mime.TypeByExtension(ext)); err == nil && t != "" {
		return t
	}
	return fallback
}

// CustomerSendsPhoto queues the update Telegram sends when a customer sends
// a photo in a private chat, and returns its update_id. The message's
// "photo" holds two sizes, smallest first, as Telegram's do: a thumbnail
// and the photo itself, whose download serves data. A from.ID of 0 means
// the chat's id; an empty caption means none.
func (s *Server) CustomerSendsPhoto(chatID int64, from User, data []byte, caption string) (updateID int) {
	if from.ID == 0 {
		from.ID = chatID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fields := map[string]any{"photo": photoSizes(s.photoLocked(data))}
	if caption != "" {
		fields["caption"] = caption
	}
	return s.customerMessageLocked(chatID, from, fields)
}

// CustomerSendsFile queues the update Telegram sends when a customer sends
// a file other than a photo (see Media) in a private chat, and returns its
// update_id. A from.ID of 0 means the chat's id. The file's file_id works
// with getFile. CustomerSendsFile panics on an unknown kind, or a caption
// on a video note or sticker, which Telegram's apps cannot send.
func (s *Server) CustomerSendsFile(chatID int64, from User, f Media) (updateID int) {
	if from.ID == 0 {
		from.ID = chatID
	}
	if f.Caption != "" && (f.Kind == "video_note" || f.Kind == "sticker") {
		panic(fmt.Sprintf("telegramsim: a %s has no caption", f.Kind))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fields, _ := s.mediaFieldsLocked(f)
	if f.Caption != "" {
		fields["caption"] = f.Caption
	}
	if f.MediaGroupID != "" {
		fields["media_group_id"] = f.MediaGroupID
	}
	return s.customerMessageLocked(chatID, from, fields)
}

// getFile describes a file the bot may download: its file_path under
// /file/bot<token>/. Like Telegram, it refuses files over 20 MB.
func (s *Server) getFile(_ *http.Request, p map[string]string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files.byID[p["file_id"]]
	switch {
	case f == nil:
		return fail(http.StatusBadRequest, "Bad Request: invalid file_id")
	case f.size > maxDownloadSize:
		return fail(http.StatusBadRequest, "Bad Request: file is too big")
	}
	return ok(map[string]any{"file_id": f.id, "file_unique_id": f.uniqueID, "file_size": f.size, "file_path": f.path})
}

// FailDownloads makes the next n downloads of files fail with the HTTP
// status, as a flaky file server would; 0 ends it early.
func (s *Server) FailDownloads(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files.failN, s.files.failStatus = n, status
}

// Downloads returns how many downloads of files were served, failed ones
// (FailDownloads, a wrong token or path) and HEAD requests not counted: a
// test can tell that a file was downloaded once.
func (s *Server) Downloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files.downloads
}

// serveFile serves a download, rest being the path after /file/bot:
// "<token>/<file_path>". A wrong token is 401 and an unknown path 404, in
// the Bot API's envelope, as Telegram's file server answers.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string, revoked bool) {
	token, filePath, found := strings.Cut(rest, "/")
	if !found || token != s.token || revoked {
		writeAnswer(w, fail(http.StatusUnauthorized, "Unauthorized"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeAnswer(w, fail(http.StatusMethodNotAllowed, "Method Not Allowed"))
		return
	}
	s.mu.Lock()
	if s.files.failN > 0 {
		s.files.failN--
		status := s.files.failStatus
		s.mu.Unlock()
		writeAnswer(w, fail(status, http.StatusText(status)))
		return
	}
	f := s.files.byPath[filePath]
	if f != nil && r.Method == http.MethodGet {
		s.files.downloads++
		s.notifyLocked()
	}
	s.mu.Unlock()
	if f == nil {
		writeAnswer(w, fail(http.StatusNotFound, "Not Found"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(f.data)
	}
}
