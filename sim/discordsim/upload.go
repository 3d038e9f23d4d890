package discordsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf16"
)

// Discord's limits on a message's files.
const (
	maxFiles       = 10   // attachments of one message
	maxDescription = 1024 // an attachment's description (its alt text), in UTF-16 units
)

// Attachment is a file the bot sent with a message, as Discord keeps it.
type Attachment struct {
	ID          string // given by Discord
	Filename    string
	Description string // the alt text
	ContentType string // as the part's Content-Type said, or guessed from the name when it said nothing useful
	Data        []byte
}

// object is a as Discord shows it in a message.
func (a Attachment) object(channel string) map[string]any {
	url := fmt.Sprintf("https://cdn.discordapp.com/attachments/%s/%s/%s", channel, a.ID, a.Filename)
	o := map[string]any{
		"id": a.ID, "filename": a.Filename, "size": len(a.Data), "url": url, "proxy_url": url, "content_type": a.ContentType,
	}
	if a.Description != "" {
		o["description"] = a.Description
	}
	return o
}

// DenyAttachFiles takes Attach Files from the bot in the guild, as a
// server whose caredesk role lacks it: a message with files to a guild
// channel or thread is refused with 403 Missing Permissions (50013),
// until DenyAttachFiles(false). Direct messages have no permissions and
// still take files.
func (s *Server) DenyAttachFiles(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noAttach = deny
}

// attachableLocked refuses files in c when the bot may not attach them.
// The caller holds s.mu.
func (s *Server) attachableLocked(c *Channel) *apiError {
	if s.noAttach && c.GuildID != "" {
		return &apiError{status: http.StatusForbidden, code: 50013, msg: "Missing Permissions"}
	}
	return nil
}

var (
	errTooLarge = &apiError{status: http.StatusRequestEntityTooLarge, code: 40005, msg: "Request entity too large"}
	errBadJSON  = &apiError{status: http.StatusBadRequest, code: 50109, msg: "The request body contains invalid JSON."}
	filePart    = regexp.MustCompile(`^files\[([0-9]+)\]$`)
)

// readMessage reads a message create into b: a JSON body, or a
// multipart/form-data one as discordgo sends files, with the message in
// the part payload_json, each file in a part files[n], and its
// description in payload_json's attachments, {"id": n, "description": …}.
func (s *Server) readMessage(r *http.Request, b *messageBody) *apiError {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(body, b)
		}
		if err != nil {
			return errBadJSON
		}
		return nil
	}
	payload, files, e := s.readParts(multipart.NewReader(r.Body, params["boundary"]))
	if e != nil {
		return e
	}
	if payload != nil && json.Unmarshal(payload, b) != nil {
		return errBadJSON
	}
	b.files, e = describe(files, b.Attachments)
	return e
}

// readParts reads the parts of a multipart message create: payload_json,
// and the files by their n, refusing more bytes of files than
// MaxUploadSize.
func (s *Server) readParts(mr *multipart.Reader) (payload []byte, files map[int]Attachment, e *apiError) {
	files = map[int]Attachment{}
	var total int64
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return payload, files, nil
		}
		if err != nil {
			return nil, nil, bodyError(err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, bodyError(err)
		}
		if p.FormName() == "payload_json" {
			payload = data
			continue
		}
		m := filePart.FindStringSubmatch(p.FormName())
		if m == nil {
			continue // Discord ignores fields it does not know
		}
		n, _ := strconv.Atoi(m[1])
		if total += int64(len(data)); total > s.opts.MaxUploadSize {
			return nil, nil, errTooLarge
		}
		files[n] = Attachment{Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data}
	}
}

// bodyError is Discord's answer to a body that could not be read.
func bodyError(err error) *apiError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errTooLarge
	}
	return &apiError{status: http.StatusBadRequest, code: 50035, msg: "Invalid Form Body"}
}

// describe orders files by n and gives each the filename and description
// its entry in attachments sets, checked as Discord checks them.
func describe(files map[int]Attachment, attachments json.RawMessage) ([]Attachment, *apiError) {
	if len(files) > maxFiles {
		return nil, invalidForm("files", fmt.Sprintf("Must be %d or fewer in length.", maxFiles))
	}
	var meta []struct {
		ID          json.Number `json:"id"`
		Filename    string      `json:"filename"`
		Description string      `json:"description"`
	}
	if isSet(attachments) && json.Unmarshal(attachments, &meta) != nil {
		return nil, invalidForm("attachments", "Must be an array of attachments.")
	}
	for i, a := range meta {
		field := fmt.Sprintf("attachments.%d", i)
		n, err := strconv.Atoi(a.ID.String())
		f, ok := files[n]
		switch {
		case err != nil || !ok:
			return nil, invalidForm(field+".id", "Unknown attachment: no files["+a.ID.String()+"] part.")
		case len(utf16.Encode([]rune(a.Description))) > maxDescription:
			return nil, invalidForm(field+".description", fmt.Sprintf("Must be %d or fewer in length.", maxDescription))
		}
		if a.Filename != "" {
			f.Filename = a.Filename
		}
		f.Description = a.Description
		files[n] = f
	}
	var ns []int
	for n := range files {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	var out []Attachment
	for _, n := range ns {
		f := files[n]
		if f.Filename == "" {
			return nil, invalidForm(fmt.Sprintf("files.%d", n), "A file needs a filename.")
		}
		if f.ContentType == "" || f.ContentType == "application/octet-stream" {
			f.ContentType = contentType(f.Filename) // Discord looks at what was sent
		}
		out = append(out, f)
	}
	return out, nil
}
