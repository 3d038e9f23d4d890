package blueskysim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// chatProxy is the atproto-proxy header a PDS needs to forward
// chat.bsky.* calls to Bluesky's chat service.
const chatProxy = "did:web:api.bsky.chat#bsky_chat"

// Message is one direct message between the brand and a customer.
type Message struct {
	ID     string
	Sender string // the DID of who wrote it
	Text   string
	SentAt time.Time
}

// convo is a direct conversation between the brand and one customer.
type convo struct {
	id       string
	customer *Account
	messages []Message
	status   string // "request" until the brand answers, then "accepted"
	read     int    // how many messages the brand has read
}

// DM sends the brand a direct message from handle, opening their
// conversation (as a request) when there is none, and returns the
// message's id.
func (s *Server) DM(handle, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.convoWith(s.account(handle), "request")
	return s.say(c, c.customer.DID, text).ID
}

// Messages returns the direct messages between the brand and handle,
// oldest first.
func (s *Server) Messages(handle string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.convos[s.account(handle).DID]; c != nil {
		return slices.Clone(c.messages)
	}
	return nil
}

// DenyDMs makes the brand's app password one made without access to
// direct messages: every chat call answers 400 InvalidToken "Bad token
// scope", as Bluesky does.
func (s *Server) DenyDMs(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noDMs = deny
}

func (s *Server) convoWith(a *Account, status string) *convo {
	if c := s.convos[a.DID]; c != nil {
		return c
	}
	s.seq++
	c := &convo{id: "convo" + strconv.Itoa(s.seq), customer: a, status: status}
	s.convos[a.DID], s.convos[c.id] = c, c
	return c
}

func (s *Server) say(c *convo, sender, text string) Message {
	s.seq++
	m := Message{ID: "msg" + strconv.Itoa(s.seq), Sender: sender, Text: text, SentAt: s.now()}
	c.messages = append(c.messages, m)
	s.changed.Notify()
	return m
}

// serveChat answers a chat.bsky.convo call forwarded by the PDS; false
// when nsid is not one.
func (s *Server) serveChat(w http.ResponseWriter, r *http.Request, nsid string) bool {
	switch nsid {
	case "chat.bsky.convo.getConvoForMembers", "chat.bsky.convo.listConvos", "chat.bsky.convo.getMessages",
		"chat.bsky.convo.sendMessage", "chat.bsky.convo.updateRead":
	default:
		return false
	}
	if r.Header.Get("Atproto-Proxy") != chatProxy {
		xrpcError(w, http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented")
		return true
	}
	if s.noDMs {
		xrpcError(w, http.StatusBadRequest, "InvalidToken", "Bad token scope")
		return true
	}
	q := r.URL.Query()
	switch nsid {
	case "chat.bsky.convo.getConvoForMembers":
		members := q["members"]
		if len(members) != 1 || s.accounts[members[0]] == nil {
			xrpcError(w, http.StatusBadRequest, "InvalidRequest", "the simulator opens conversations with one known member")
			return true
		}
		writeJSON(w, map[string]any{"convo": s.convoView(s.convoWith(s.accounts[members[0]], "accepted"))})
	case "chat.bsky.convo.listConvos":
		out := []map[string]any{}
		for _, c := range s.convoList() {
			if st := q.Get("status"); st != "" && st != c.status {
				continue
			}
			if q.Get("readState") == "unread" && s.unread(c) == 0 {
				continue
			}
			out = append(out, s.convoView(c))
		}
		writeJSON(w, map[string]any{"convos": out})
	case "chat.bsky.convo.getMessages":
		c := s.convos[q.Get("convoId")]
		if c == nil {
			xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Convo not found")
			return true
		}
		limit := limitOf(r, 50, 100)
		out := []map[string]any{}
		for i := len(c.messages) - 1; i >= 0 && len(out) < limit; i-- {
			out = append(out, messageView(c.messages[i]))
		}
		writeJSON(w, map[string]any{"messages": out})
	case "chat.bsky.convo.sendMessage":
		var in struct {
			ConvoID string `json:"convoId"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		c := s.convos[in.ConvoID]
		switch {
		case c == nil:
			xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Convo not found")
		case in.Message.Text == "" || graphemes(in.Message.Text) > 1000:
			xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Input/message/text must be 1 to 1000 graphemes long")
		default:
			c.status = "accepted"
			writeJSON(w, messageView(s.say(c, s.brand.DID, in.Message.Text)))
		}
	case "chat.bsky.convo.updateRead":
		var in struct {
			ConvoID   string `json:"convoId"`
			MessageID string `json:"messageId"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		c := s.convos[in.ConvoID]
		if c == nil {
			xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Convo not found")
			return true
		}
		c.read = len(c.messages)
		if i := slices.IndexFunc(c.messages, func(m Message) bool { return m.ID == in.MessageID }); i >= 0 {
			c.read = i + 1
		}
		writeJSON(w, map[string]any{"convo": s.convoView(c)})
	}
	return true
}

// convoList is every conversation once, in the order they were opened.
func (s *Server) convoList() []*convo {
	var out []*convo
	for key, c := range s.convos {
		if key == c.id {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *convo) int {
		x, _ := strconv.Atoi(a.id[len("convo"):])
		y, _ := strconv.Atoi(b.id[len("convo"):])
		return x - y
	})
	return out
}

// unread is how many of c's messages from the customer the brand has
// not read.
func (s *Server) unread(c *convo) int {
	n := 0
	for _, m := range c.messages[c.read:] {
		if m.Sender != s.brand.DID {
			n++
		}
	}
	return n
}

// convoView is chat.bsky.convo.defs#convoView.
func (s *Server) convoView(c *convo) map[string]any {
	v := map[string]any{
		"id": c.id, "rev": strconv.Itoa(len(c.messages)), "members": []map[string]any{basic(s.brand), basic(*c.customer)},
		"muted": false, "status": c.status, "unreadCount": s.unread(c),
	}
	if n := len(c.messages); n > 0 {
		v["lastMessage"] = messageView(c.messages[n-1])
	}
	return v
}

// messageView is chat.bsky.convo.defs#messageView.
func messageView(m Message) map[string]any {
	return map[string]any{
		"$type": "chat.bsky.convo.defs#messageView", "id": m.ID, "rev": m.ID, "text": m.Text,
		"sender": map[string]string{"did": m.Sender}, "sentAt": m.SentAt.UTC().Format(time.RFC3339Nano),
	}
}
