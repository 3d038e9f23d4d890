package slacksim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// UploadURLMethod is the name Calls and FailNext give to the POST of a
// file's bytes to the address files.getUploadURLExternal answered with,
// which is not a Web API method but can fail like one.
const UploadURLMethod = "upload_url"

// DownloadMethod is the name Calls, FailNext and HoldNext give to a GET of
// a file's url_private or url_private_download, which is not a Web API
// method either.
const DownloadMethod = "file_download"

// maxAltText is the longest alt_txt Slack takes, in characters.
const maxAltText = 1000

// File is one share of a file: the bot's, with files.completeUploadExternal
// (one per channel it was shared to, or one with no channel for a file kept
// private), or a person's, with UserSharesFile.
type File struct {
	ID        string
	Name      string // the filename given to files.getUploadURLExternal or in SharedFile
	Title     string // as Slack shows it: the title given, or else the name
	AltText   string // alt_txt, what a screen reader says of an image
	MIME      string // the mimetype Slack gives it
	User      string // who shared it: the bot's user, or a person
	Data      []byte // the bytes that reached the upload URL, or that the person shared
	Channel   string // where it was shared; "" when private
	ThreadTS  string // the thread it was shared in; "" for the channel itself
	Comment   string // initial_comment: the text of the message that shares it
	MessageTS string // that message; "" when private
}

// storedFile is a file the workspace holds, whoever shared it and however
// often; its shares are in Server.files.
type storedFile struct {
	id, name, title, alt string
	mime, filetype       string
	pretty               string // pretty_type, like "PDF"
	user                 string
	data                 []byte
	created              int64 // unix seconds
	downloads            int   // bytes served, see Downloads
}

// pendingUpload is a file between files.getUploadURLExternal and
// files.completeUploadExternal.
type pendingUpload struct {
	name     string
	alt      string
	length   int64
	data     []byte
	uploaded bool
}

// Files returns the files the bot shared, oldest first.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.files {
		if f.User == s.opts.BotUserID {
			f.Data = slices.Clone(f.Data)
			out = append(out, f)
		}
	}
	return out
}

// File returns the first share of the file id, the bot's or a person's.
func (s *Server) File(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.files, func(f File) bool { return f.ID == id })
	if i < 0 {
		return File{}, false
	}
	f := s.files[i]
	f.Data = slices.Clone(f.Data)
	return f, true
}

// Downloads returns how many times the bytes of file id were served from
// its url_private or url_private_download; refused requests do not count.
func (s *Server) Downloads(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.stored[id]; f != nil {
		return f.downloads
	}
	return 0
}

// getUploadURLExternal starts an upload: it checks the file's name, its
// announced length and alt text as Slack does, and answers with a file
// id and an address of the simulator to POST the bytes to.
func (s *Server) getUploadURLExternal(v url.Values) map[string]any {
	name, alt := v.Get("filename"), v.Get("alt_txt")
	length, err := strconv.ParseInt(v.Get("length"), 10, 64)
	switch {
	case name == "" || err != nil || length < 0:
		return fail("invalid_arguments")
	case length == 0:
		return fail("missing_argument")
	case length > s.opts.MaxFileSize:
		return fail("file_upload_size_restricted")
	case utf8.RuneCountInString(alt) > maxAltText:
		return fail("alt_txt_too_large")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.idLocked("F")
	s.uploads[id] = &pendingUpload{name: name, alt: alt, length: length}
	return ok(map[string]any{"upload_url": s.URL() + "/upload/v1/" + id, "file_id": id})
}

// serveUpload takes a file's bytes at its upload URL, as a multipart form
// (slack-go sends the file as the part "file") or as the raw body, and
// answers "OK - <bytes>" as Slack's upload service does. Bytes that are
// not the announced length are refused with 400, so that a bot whose
// length is wrong fails here as its file would arrive broken on Slack.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	s.mu.Lock()
	s.calls[UploadURLMethod]++
	s.notifyLocked()
	f, failed := s.takeFaultLocked(UploadURLMethod)
	up := s.uploads[id]
	s.mu.Unlock()
	switch {
	case failed && !f.Lost:
		f.write(w)
		return
	case r.Method != http.MethodPost:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case up == nil:
		http.Error(w, "no upload "+id, http.StatusNotFound)
		return
	}
	data, err := uploadedBytes(r, up.length)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	up.data, up.uploaded = data, true
	h := s.takeHoldLocked(UploadURLMethod)
	s.notifyLocked()
	s.mu.Unlock()
	if !s.await(h, r) {
		return
	}
	if failed && f.Lost {
		dropConnection(w)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintf(w, "OK - %d", len(data))
}

// uploadedBytes reads the file of an upload request: the first file part
// of a multipart form, or else the whole body. It refuses what is not
// length bytes.
func uploadedBytes(r *http.Request, length int64) ([]byte, error) {
	body := io.Reader(r.Body)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, err
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				return nil, fmt.Errorf("the form has no file part: %w", err)
			}
			if p.FileName() != "" {
				body = p
				break
			}
		}
	}
	data, err := io.ReadAll(io.LimitReader(body, length+1))
	switch {
	case err != nil:
		return nil, err
	case int64(len(data)) != length:
		return nil, fmt.Errorf("files.getUploadURLExternal announced %d bytes, %d arrived", length, len(data))
	}
	return data, nil
}

// fileSummary is an element of completeUploadExternal's "files".
type fileSummary struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// completeUploadExternal shares uploaded files: in channel_id (or each of
// channels), in the thread of thread_ts when given, with initial_comment
// as the text of the message that carries them, or privately without a
// channel. It answers with the files' ids and titles.
func (s *Server) completeUploadExternal(v url.Values) map[string]any {
	var summaries []fileSummary
	if json.Unmarshal([]byte(v.Get("files")), &summaries) != nil || len(summaries) == 0 {
		return fail("invalid_arguments")
	}
	comment := v.Get("initial_comment")
	var blocks json.RawMessage
	if comment == "" {
		var code string
		if blocks, code = checkBlocks(v.Get("blocks")); code != "" {
			return fail(code)
		}
	}
	if utf8.RuneCountInString(comment) > maxMessageText {
		return fail("msg_too_long")
	}
	var targets []string
	if c := v.Get("channel_id"); c != "" {
		targets = append(targets, c)
	}
	for c := range strings.SplitSeq(v.Get("channels"), ",") {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(targets, c) {
			targets = append(targets, c)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, f := range summaries {
		if up := s.uploads[f.ID]; up == nil || !up.uploaded || seen[f.ID] {
			return fail("file_not_found")
		}
		seen[f.ID] = true
	}
	for _, c := range targets {
		if code := s.postableLocked(c); code != "" {
			return fail(code)
		}
	}
	if thread := v.Get("thread_ts"); thread != "" && len(targets) != 1 {
		return fail("invalid_arguments")
	}

	var shared []File
	answer := []map[string]any{}
	for _, f := range summaries {
		up := s.uploads[f.ID]
		delete(s.uploads, f.ID)
		sf := s.storeLocked(f.ID, up.name, f.Title, "", s.opts.BotUserID, up.data)
		sf.alt = up.alt
		shared = append(shared, File{ID: f.ID, Name: up.name, Title: sf.title, AltText: up.alt, MIME: sf.mime, User: sf.user, Data: up.data, Comment: comment})
		answer = append(answer, map[string]any{"id": f.ID, "title": sf.title})
	}
	if len(targets) == 0 {
		s.files = append(s.files, shared...)
	}
	for _, c := range targets {
		m := &Message{Channel: c, TS: s.tsLocked(), User: s.opts.BotUserID, BotID: s.opts.BotID, Text: comment, Blocks: blocks}
		m.ThreadTS = s.threadLocked(c, v.Get("thread_ts"))
		for _, f := range shared {
			m.Files = append(m.Files, f.ID)
			f.Channel, f.ThreadTS, f.MessageTS = c, m.ThreadTS, m.TS
			s.files = append(s.files, f)
		}
		s.messages = append(s.messages, m)
	}
	s.notifyLocked()
	return ok(map[string]any{"files": answer})
}

// fileType is what Slack makes of a file's kind.
type fileType struct{ mime, filetype, pretty string }

// fileTypes are the kinds Slack knows by a file's extension, for those a
// support desk sees.
var fileTypes = map[string]fileType{
	".png":  {"image/png", "png", "PNG"},
	".jpg":  {"image/jpeg", "jpg", "JPEG"},
	".jpeg": {"image/jpeg", "jpg", "JPEG"},
	".gif":  {"image/gif", "gif", "GIF"},
	".webp": {"image/webp", "webp", "WebP"},
	".heic": {"image/heic", "heic", "HEIC"},
	".pdf":  {"application/pdf", "pdf", "PDF"},
	".csv":  {"text/csv", "csv", "CSV"},
	".txt":  {"text/plain", "text", "Plain Text"},
	".json": {"application/json", "json", "JSON"},
	".zip":  {"application/zip", "zip", "Zip"},
	".mp3":  {"audio/mpeg", "mp3", "MP3"},
	".m4a":  {"audio/mp4", "m4a", "M4A"},
	".ogg":  {"audio/ogg", "ogg", "Ogg Vorbis"},
	".wav":  {"audio/wav", "wav", "WAV"},
	".mp4":  {"video/mp4", "mp4", "MPEG 4 Video"},
	".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word Document"},
	".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel Spreadsheet"},
}

// typeOf is the kind Slack gives a file: mimeType when the sharer's client
// sent one, or else the one of name's extension, or else the one sniffed
// from data; and its filetype and pretty_type.
func typeOf(name, mimeType string, data []byte) fileType {
	byExt, known := fileTypes[strings.ToLower(path.Ext(name))]
	if mimeType == "" {
		if known {
			return byExt
		}
		mimeType, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	if known && byExt.mime == mimeType {
		return byExt
	}
	for _, t := range fileTypes {
		if t.mime == mimeType {
			return t
		}
	}
	if strings.HasPrefix(mimeType, "text/") {
		return fileType{mimeType, "text", "Plain Text"}
	}
	return fileType{mimeType, "binary", "Binary"}
}

// storeLocked keeps a file in the workspace under id and returns it; title
// defaults to name, mimeType to what Slack would detect. The caller holds
// s.mu.
func (s *Server) storeLocked(id, name, title, mimeType, user string, data []byte) *storedFile {
	if title == "" {
		title = name
	}
	t := typeOf(name, mimeType, data)
	f := &storedFile{
		id: id, name: name, title: title, mime: t.mime, filetype: t.filetype, pretty: t.pretty,
		user: user, data: data, created: time.Now().Unix(),
	}
	s.stored[id] = f
	return f
}

// fileURL is the address of f's bytes on the simulator, standing for
// files.slack.com: url_private, or url_private_download when download.
func (s *Server) fileURL(f *storedFile, download bool) string {
	u := s.URL() + "/files-pri/" + s.opts.TeamID + "-" + f.id + "/"
	if download {
		u += "download/"
	}
	return u + url.PathEscape(f.name)
}

// fileObjectLocked is f as Slack shows it in messages, events and
// files.info: a hosted file, public once shared in a channel. The caller
// holds s.mu.
func (s *Server) fileObjectLocked(f *storedFile) map[string]any {
	public := slices.ContainsFunc(s.files, func(sh File) bool {
		return sh.ID == f.id && sh.Channel != "" && channelType(sh.Channel) == "channel"
	})
	obj := map[string]any{
		"id": f.id, "created": f.created, "timestamp": f.created, "name": f.name, "title": f.title,
		"mimetype": f.mime, "filetype": f.filetype, "pretty_type": f.pretty, "user": f.user,
		"user_team": s.opts.TeamID, "editable": false, "size": len(f.data), "mode": "hosted",
		"is_external": false, "external_type": "", "is_public": public, "public_url_shared": false,
		"display_as_bot": false, "username": "",
		"url_private": s.fileURL(f, false), "url_private_download": s.fileURL(f, true),
		"permalink":        "https://caredesk-sim.slack.com/files/" + f.user + "/" + f.id + "/" + url.PathEscape(f.name),
		"permalink_public": "https://slack-files.com/" + s.opts.TeamID + "-" + f.id + "-sim",
		"has_rich_preview": false, "file_access": "visible",
	}
	if f.alt != "" {
		obj["alt_txt"] = f.alt
	}
	return obj
}

// filesInfo answers files.info: the file in full, with where it was
// shared: "shares" lists, by channel, the messages that carry it (public
// for channels, private for direct conversations), with the thread each
// is in.
func (s *Server) filesInfo(v url.Values) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.stored[v.Get("file")]
	if f == nil {
		return fail("file_not_found")
	}
	obj := s.fileObjectLocked(f)
	channels, ims := []string{}, []string{}
	public, private := map[string][]map[string]any{}, map[string][]map[string]any{}
	for _, sh := range s.files {
		if sh.ID != f.id || sh.Channel == "" {
			continue
		}
		share := map[string]any{
			"ts": sh.MessageTS, "channel_name": s.channels[sh.Channel].name, "team_id": s.opts.TeamID,
			"share_user_id": sh.User, "source": "UNKNOWN", "reply_users": []string{}, "reply_users_count": 0, "reply_count": 0,
		}
		if sh.ThreadTS != "" {
			share["thread_ts"] = sh.ThreadTS
		}
		if channelType(sh.Channel) == "im" {
			ims = appendNew(ims, sh.Channel)
			private[sh.Channel] = append(private[sh.Channel], share)
		} else {
			channels = appendNew(channels, sh.Channel)
			public[sh.Channel] = append(public[sh.Channel], share)
		}
	}
	shares := map[string]any{}
	if len(public) > 0 {
		shares["public"] = public
	}
	if len(private) > 0 {
		shares["private"] = private
	}
	obj["channels"], obj["groups"], obj["ims"], obj["shares"] = channels, []string{}, ims, shares
	obj["comments_count"] = 0
	return ok(map[string]any{"file": obj, "comments": []any{}, "response_metadata": map[string]any{"next_cursor": ""}})
}

// appendNew appends v to list unless it is there.
func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// serveFile serves a file's bytes at its url_private or
// url_private_download, as files.slack.com does: with its mimetype and
// length (and as an attachment from url_private_download), to a request
// with the bot token in "Authorization: Bearer" while the app holds
// files:read. Any other request is redirected to the workspace's sign-in
// page, which answers 200 with HTML: a client that follows redirects, as
// most do, gets a web page where it expected the file, and no error
// status to tell it so.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[DownloadMethod]++
	s.notifyLocked()
	fault, failed := s.takeFaultLocked(DownloadMethod)
	s.mu.Unlock()
	switch {
	case failed && !fault.Lost:
		fault.write(w)
		return
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	id, name, download := filePath(r.URL.Path, s.opts.TeamID)

	s.mu.Lock()
	allowed := token == s.opts.BotToken && s.grantedLocked("files:read")
	f := s.stored[id]
	found := f != nil && f.name == name
	var h *hold
	if allowed && found {
		f.downloads++
		h = s.takeHoldLocked(DownloadMethod)
		s.notifyLocked()
	}
	s.mu.Unlock()
	switch {
	case !allowed:
		http.Redirect(w, r, s.URL()+"/?redir="+url.QueryEscape(r.URL.Path), http.StatusFound)
		return
	case !found:
		http.NotFound(w, r)
		return
	}
	if !s.await(h, r) {
		return
	}
	if failed && fault.Lost {
		dropConnection(w)
		return
	}
	w.Header().Set("Content-Type", f.mime)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	if download {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name}))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.data)
}

// filePath reads a file's address, "/files-pri/<team>-<id>/[download/]<name>",
// with name unescaped; id is "" when p is not one.
func filePath(p, team string) (id, name string, download bool) {
	rest, ok := strings.CutPrefix(p, "/files-pri/"+team+"-")
	if !ok {
		return "", "", false
	}
	id, name, _ = strings.Cut(rest, "/")
	name, download = strings.CutPrefix(name, "download/")
	return id, name, download
}

// signInPage is what the workspace's address shows a visitor without a
// session.
const signInPage = `<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="utf-8"><title>Slack</title></head>
<body>
<h1>Sign in to caredesk simulator</h1>
<p>caredesk-sim.slack.com</p>
<form action="/signin" method="post"><input type="email" name="email" placeholder="name@work-email.com"><button type="submit">Sign In With Email</button></form>
</body>
</html>
`

// serveSignIn is the workspace's sign-in page, where a request for a file
// it may not read lands: 200, text/html.
func (s *Server) serveSignIn(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, signInPage)
}
