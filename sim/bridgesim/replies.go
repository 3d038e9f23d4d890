package bridgesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"caredesk/adapters/webhook"
)

// Reply is a reply as caredesk POSTs it to a bridge
// (docs/webhook-reply.schema.json), with what the bridge made of it.
type Reply struct {
	// Kind is what to post: "reply" (an agent's answer), "csat_request"
	// (the satisfaction question, answered with SendRating),
	// "call_request" (asks for a phone number, answered, if at all, with
	// a complaint in the same conversation), "move_private" (an
	// invitation to go on in private, whose messages come back as
	// complaints with the same conversation and Private set), "message"
	// (caredesk's own words), or, listed by Edits and Deletes, "edit" and
	// "delete" of a reply taken before (MessageID).
	Kind           string    `json:"kind"`
	Source         string    `json:"source"`
	Ticket         int64     `json:"ticket"`
	ReplyID        int64     `json:"reply_id"`
	InReplyTo      InReplyTo `json:"in_reply_to"`
	Text           string    `json:"text"`
	Agent          Agent     `json:"agent"`
	IdempotencyKey string    `json:"idempotency_key"`
	Scale          *Scale    `json:"scale,omitempty"` // the scores to choose from, in a csat_request
	// MessageID is the id the bridge answered for the reply an edit or a
	// delete changes.
	MessageID string `json:"message_id,omitempty"`
	// Attachments are the reply's files, as links to caredesk.
	Attachments []Attachment `json:"attachments,omitempty"`

	ID     string `json:"-"` // the id the bridge answered, "bridge-1"…; for an edit or a delete, MessageID
	Repeat bool   `json:"-"` // a reply with the same idempotency key was taken before
}

// Attachment is a file of a reply: a signed link to its bytes on
// caredesk, which Download follows.
type Attachment struct {
	Name      string `json:"name"`
	MIME      string `json:"mime"`
	Size      int64  `json:"size"`
	URL       string `json:"url"`
	ExpiresAt string `json:"expires_at"` // RFC 3339, as sent

	// Data is the file's bytes, when the bridge downloads attachments
	// (Options.Download).
	Data []byte `json:"-"`
}

// InReplyTo is what a reply answers.
type InReplyTo struct {
	MessageID      string `json:"message_id"`
	ConversationID string `json:"conversation_id"`
}

// Agent is who wrote a reply.
type Agent struct {
	Name string `json:"name"`
}

// Scale is the range of scores a csat_request offers.
type Scale struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Attempt is one request to ReplyURL and the bridge's answer.
type Attempt struct {
	Status   int    // the HTTP status the bridge answered
	Verified bool   // the signature was right
	Error    string // why the bridge did not take it, as it answered; "" when taken
	Key      string // the Idempotency-Key header
	Body     []byte // as received
}

// takeReply serves ReplyURL as a careful bridge would: it checks the
// method, the content type, the signature and the body's required fields
// before it takes a reply, and a reply it already took (same idempotency
// key) is answered with the same id. An edit or a delete names a message
// it took; it is answered 404 when there is none, and refused as
// RefuseCorrections says.
func (s *Server) takeReply(w http.ResponseWriter, req *http.Request) {
	a := Attempt{Key: req.Header.Get("Idempotency-Key")}
	status, reply, err := s.check(w, req, &a)
	if err == nil && s.downloads {
		status, err = s.downloadAll(req.Context(), reply.Attachments)
	}
	var wait time.Duration
	s.mu.Lock()
	if err == nil {
		status, wait, err = s.faultLocked()
	}
	if err == nil {
		switch reply.Kind {
		case "ping":
			status = http.StatusOK // nothing to post
		case "edit", "delete":
			status, err = s.correctLocked(&reply)
		default:
			reply.ID, reply.Repeat = s.ids[a.Key], s.ids[a.Key] != ""
			if !reply.Repeat {
				reply.ID = "bridge-" + strconv.Itoa(len(s.ids)+1)
				s.ids[a.Key] = reply.ID
			}
			s.replies = append(s.replies, reply)
			status = http.StatusOK
		}
	}
	a.Status = status
	if err != nil {
		a.Error = err.Error()
	}
	s.attempts = append(s.attempts, a)
	s.changed.Notify()
	s.mu.Unlock()

	if err != nil {
		if wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		}
		answer(w, status, map[string]string{"error": err.Error()})
		return
	}
	answer(w, status, map[string]string{"id": reply.ID})
}

// correctLocked takes an edit or a delete of a message the bridge took:
// one it never took, or deleted, cannot be edited (404); deleting one
// twice is done already (200). s.mu is held.
func (s *Server) correctLocked(r *Reply) (int, error) {
	if f := s.refuseCorrections; f != nil {
		return f.status, errors.New(f.message)
	}
	r.ID = r.MessageID
	r.Repeat = s.corrected[r.IdempotencyKey]
	if !s.taken(r.MessageID) {
		return http.StatusNotFound, fmt.Errorf("there is no message %s here to %s", r.MessageID, r.Kind)
	}
	if r.Kind == "edit" && s.deleted[r.MessageID] {
		return http.StatusNotFound, fmt.Errorf("message %s was deleted and cannot be edited", r.MessageID)
	}
	s.corrected[r.IdempotencyKey] = true
	if r.Kind == "delete" {
		s.deleted[r.MessageID] = true
		s.deletes = append(s.deletes, *r)
	} else {
		s.edits = append(s.edits, *r)
	}
	return http.StatusOK, nil
}

// taken says whether the bridge answered id for a reply it took.
func (s *Server) taken(id string) bool {
	for _, got := range s.ids {
		if got == id {
			return true
		}
	}
	return false
}

// check reads and checks a reply request. It fills a's Body and Verified.
func (s *Server) check(w http.ResponseWriter, req *http.Request, a *Attempt) (int, Reply, error) {
	if req.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, Reply{}, fmt.Errorf("use POST, not %s", req.Method)
	}
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "application/json" {
		return http.StatusUnsupportedMediaType, Reply{}, fmt.Errorf("content type %q, want application/json", req.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, webhook.MaxBodySize))
	if err != nil {
		return http.StatusBadRequest, Reply{}, fmt.Errorf("read body: %v", err)
	}
	a.Body = body
	if err := webhook.Verify(s.secret, req.Header, body, s.now()); err != nil {
		return http.StatusUnauthorized, Reply{}, err
	}
	a.Verified = true
	var r Reply
	if err := json.Unmarshal(body, &r); err != nil {
		return http.StatusBadRequest, Reply{}, fmt.Errorf("the body is not a reply: %v", err)
	}
	if r.Kind == "ping" {
		return http.StatusOK, r, nil // caredesk doctor asks whether the bridge is there: a signed 2xx says so
	}
	// What a bridge needs to post it depends on its kind: a reply is
	// reported on by its reply_id, a question is answered about its ticket
	// on its scale, a request for a number or for a private conversation
	// is about its ticket, and caredesk's own words need neither.
	// An edit or a delete names the message it changes by the id the
	// bridge answered, and a delete has no words.
	reply, question := r.Kind == "reply", r.Kind == "csat_request"
	asks := r.Kind == "call_request" || r.Kind == "move_private"
	edit, del := r.Kind == "edit", r.Kind == "delete"
	if !reply && !question && !asks && !edit && !del && r.Kind != "message" {
		return http.StatusBadRequest, Reply{}, fmt.Errorf("kind %q is none of reply, csat_request, call_request, move_private, message, edit and delete", r.Kind)
	}
	var missing []string
	for _, f := range []struct {
		field  string
		absent bool
	}{
		{"source", r.Source == ""},
		{"ticket", (reply || question || asks) && r.Ticket <= 0},
		{"reply_id", reply && r.ReplyID <= 0},
		{"scale", question && (r.Scale == nil || r.Scale.Min >= r.Scale.Max)},
		{"in_reply_to.conversation_id", r.InReplyTo.ConversationID == ""},
		{"message_id", (edit || del) && r.MessageID == ""},
		{"text", !del && len(r.Attachments) == 0 && strings.TrimSpace(r.Text) == ""},
		{"idempotency_key", r.IdempotencyKey == ""},
	} {
		if f.absent {
			missing = append(missing, f.field)
		}
	}
	if len(missing) > 0 {
		return http.StatusBadRequest, Reply{}, fmt.Errorf("the reply lacks %s", strings.Join(missing, ", "))
	}
	switch {
	case del && r.Text != "":
		return http.StatusBadRequest, Reply{}, errors.New("a delete has no text")
	case (edit || del) && len(r.Attachments) > 0:
		return http.StatusBadRequest, Reply{}, fmt.Errorf("an %s has no attachments: a posted file cannot be changed", r.Kind)
	}
	for i, f := range r.Attachments {
		if f.Name == "" || f.MIME == "" || f.URL == "" || f.Size < 0 {
			return http.StatusBadRequest, Reply{}, fmt.Errorf("attachments[%d] lacks a name, a mime type or a url", i)
		}
		if _, err := time.Parse(time.RFC3339, f.ExpiresAt); err != nil {
			return http.StatusBadRequest, Reply{}, fmt.Errorf("attachments[%d].expires_at %q is not an RFC 3339 time", i, f.ExpiresAt)
		}
	}
	if r.IdempotencyKey != a.Key {
		return http.StatusBadRequest, Reply{}, fmt.Errorf("the Idempotency-Key header %q differs from idempotency_key %q", a.Key, r.IdempotencyKey)
	}
	return http.StatusOK, r, nil
}

// faultLocked takes the next planned failure: the status to answer, the
// Retry-After to send, and the error; a nil error when there is none.
// s.mu is held.
func (s *Server) faultLocked() (int, time.Duration, error) {
	f := s.reject
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	if f == nil {
		return 0, 0, nil
	}
	return f.status, f.retryAfter, errors.New(f.message)
}

// answer writes v as JSON.
func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
