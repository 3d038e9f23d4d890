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
	"strings"
	"unicode/utf16"
)

// Discord's limits on a message's files.
const (
	maxFiles       = 10   // attachments of one message
	maxDescription = 1024 // an attachment's description (its alt text), in UTF-16 units
)

// Attachment is a file of a message, as Discord keeps it: one the bot
// sent (Message.Uploads) or one a person posted (Post.Files,
// Message.Files).
type Attachment struct {
	ID          string // given by Discord
	Filename    string
	Description string // the alt text
	ContentType string // as the part's Content-Type said, or guessed from the name when it said nothing useful
	Data        []byte
	// Size is the size Discord announces when it is more than len(Data),
	// so that a test can post a large file without holding its bytes: the
	// CDN serves Data followed by zeros up to Size.
	Size int64
}

// size is the attachment's size in bytes, as Discord announces it.
func (a Attachment) size() int64 { return max(a.Size, int64(len(a.Data))) }

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

// readMessage reads a message create or edit into b: a JSON body, or a
// multipart/form-data one as discordgo sends files, with the message in
// the part payload_json and each file in a part files[n], which land in
// b.parts. describe gives them their names and descriptions.
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
	payload, parts, e := s.readParts(multipart.NewReader(r.Body, params["boundary"]))
	if e != nil {
		// Read what is left, so that the client, still sending, gets
		// the refusal rather than a connection reset.
		_, _ = io.Copy(io.Discard, r.Body)
		return e
	}
	if payload != nil && json.Unmarshal(payload, b) != nil {
		return errBadJSON
	}
	b.multipart, b.parts = true, parts
	return nil
}

// readParts reads the parts of a multipart message: payload_json, and the
// files by their n, refusing a file larger than MaxAttachmentSize and
// more bytes of files than MaxUploadSize.
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
		m := filePart.FindStringSubmatch(p.FormName())
		if m == nil {
			data, err := io.ReadAll(p)
			if err != nil {
				return nil, nil, bodyError(err)
			}
			if p.FormName() == "payload_json" {
				payload = data
			}
			continue // Discord ignores fields it does not know
		}
		// A file over the limit is refused without holding it all.
		data, err := io.ReadAll(io.LimitReader(p, s.opts.MaxAttachmentSize+1))
		if err != nil {
			return nil, nil, bodyError(err)
		}
		if int64(len(data)) > s.opts.MaxAttachmentSize {
			return nil, nil, errTooLarge
		}
		if total += int64(len(data)); total > s.opts.MaxUploadSize {
			return nil, nil, errTooLarge
		}
		n, _ := strconv.Atoi(m[1])
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

// describe settles the files of a message create or edit, checked as
// Discord checks them. parts are the files[n] of the body, attachments
// its attachments array and current the files the message has (none for
// a new one).
//
// An entry of attachments whose id is one of current keeps that file; an
// entry whose id is n names and describes files[n]. Every part is added,
// in the order of n. Without attachments an edit keeps every current
// file and adds the parts to them, as Discord's edit appends files; with
// it, the current files it leaves out are removed.
func describe(parts map[int]Attachment, attachments json.RawMessage, current []Attachment) (kept, added []Attachment, e *apiError) {
	var meta []struct {
		ID          json.RawMessage `json:"id"`
		Filename    string          `json:"filename"`
		Description string          `json:"description"`
	}
	if isSet(attachments) && json.Unmarshal(attachments, &meta) != nil {
		return nil, nil, invalidForm("attachments", "Must be an array of attachments.")
	}
	if !isSet(attachments) {
		kept = current
	}
	for i, a := range meta {
		field := fmt.Sprintf("attachments.%d", i)
		id := strings.Trim(string(a.ID), `"`) // discordgo sends ids as strings
		if j := slices.IndexFunc(current, func(c Attachment) bool { return c.ID == id }); j >= 0 {
			kept = append(kept, current[j])
			continue
		}
		n, err := strconv.Atoi(id)
		f, ok := parts[n]
		switch {
		case err != nil || !ok:
			return nil, nil, invalidForm(field+".id", "Unknown attachment: no files["+id+"] part.")
		case len(utf16.Encode([]rune(a.Description))) > maxDescription:
			return nil, nil, invalidForm(field+".description", fmt.Sprintf("Must be %d or fewer in length.", maxDescription))
		}
		if a.Filename != "" {
			f.Filename = a.Filename
		}
		f.Description = a.Description
		parts[n] = f
	}
	var ns []int
	for n := range parts {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	for _, n := range ns {
		f := parts[n]
		if f.Filename == "" {
			return nil, nil, invalidForm(fmt.Sprintf("files.%d", n), "A file needs a filename.")
		}
		if f.ContentType == "" || f.ContentType == "application/octet-stream" {
			f.ContentType = contentType(f.Filename) // Discord looks at what was sent
		}
		added = append(added, f)
	}
	if len(kept)+len(added) > maxFiles {
		return nil, nil, invalidForm("files", fmt.Sprintf("Must be %d or fewer in length.", maxFiles))
	}
	return kept, added, nil
}
