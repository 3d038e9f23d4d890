package slacksim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// UploadURLMethod is the name Calls and FailNext give to the POST of a
// file's bytes to the address files.getUploadURLExternal answered with,
// which is not a Web API method but can fail like one.
const UploadURLMethod = "upload_url"

// maxAltText is the longest alt_txt Slack takes, in characters.
const maxAltText = 1000

// File is a file the bot shared with files.completeUploadExternal, with
// the bytes it uploaded: one per channel it was shared to, or one with no
// channel for a file kept private.
type File struct {
	ID        string
	Name      string // the filename given to files.getUploadURLExternal
	Title     string // as Slack shows it: the title given, or else the name
	AltText   string // alt_txt, what a screen reader says of an image
	Data      []byte // the bytes that reached the upload URL
	Channel   string // where it was shared; "" when private
	ThreadTS  string // the thread it was shared in; "" for the channel itself
	Comment   string // initial_comment: the text of the message that shares it
	MessageTS string // that message; "" when private
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
	out := slices.Clone(s.files)
	for i := range out {
		out[i].Data = slices.Clone(out[i].Data)
	}
	return out
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
	s.notifyLocked()
	s.mu.Unlock()
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
		title := f.Title
		if title == "" {
			title = up.name
		}
		shared = append(shared, File{ID: f.ID, Name: up.name, Title: title, AltText: up.alt, Data: up.data, Comment: comment})
		answer = append(answer, map[string]any{"id": f.ID, "title": title})
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
