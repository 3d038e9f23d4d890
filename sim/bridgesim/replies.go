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
	// complaints with the same conversation and Private set) or "message"
	// (caredesk's own words).
	Kind           string    `json:"kind"`
	Source         string    `json:"source"`
	Ticket         int64     `json:"ticket"`
	ReplyID        int64     `json:"reply_id"`
	InReplyTo      InReplyTo `json:"in_reply_to"`
	Text           string    `json:"text"`
	Agent          Agent     `json:"agent"`
	IdempotencyKey string    `json:"idempotency_key"`
	Scale          *Scale    `json:"scale,omitempty"` // the scores to choose from, in a csat_request

	ID     string `json:"-"` // the id the bridge answered, "bridge-1"…
	Repeat bool   `json:"-"` // a reply with the same idempotency key was taken before
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
// key) is answered with the same id.
func (s *Server) takeReply(w http.ResponseWriter, req *http.Request) {
	a := Attempt{Key: req.Header.Get("Idempotency-Key")}
	status, reply, err := s.check(w, req, &a)
	var wait time.Duration
	s.mu.Lock()
	if err == nil {
		status, wait, err = s.faultLocked()
	}
	if err == nil {
		reply.ID, reply.Repeat = s.ids[a.Key], s.ids[a.Key] != ""
		if !reply.Repeat {
			reply.ID = "bridge-" + strconv.Itoa(len(s.ids)+1)
			s.ids[a.Key] = reply.ID
		}
		s.replies = append(s.replies, reply)
		status = http.StatusOK
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
	// What a bridge needs to post it depends on its kind: a reply is
	// reported on by its reply_id, a question is answered about its ticket
	// on its scale, a request for a number or for a private conversation
	// is about its ticket, and caredesk's own words need neither.
	reply, question := r.Kind == "reply", r.Kind == "csat_request"
	asks := r.Kind == "call_request" || r.Kind == "move_private"
	if !reply && !question && !asks && r.Kind != "message" {
		return http.StatusBadRequest, Reply{}, fmt.Errorf("kind %q is none of reply, csat_request, call_request, move_private and message", r.Kind)
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
		{"text", strings.TrimSpace(r.Text) == ""},
		{"idempotency_key", r.IdempotencyKey == ""},
	} {
		if f.absent {
			missing = append(missing, f.field)
		}
	}
	if len(missing) > 0 {
		return http.StatusBadRequest, Reply{}, fmt.Errorf("the reply lacks %s", strings.Join(missing, ", "))
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
