package slacksim

import (
	"encoding/json"
	"slices"
	"strings"
)

// Message is a message in a channel, as Slack holds it after its latest edit.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // the root's ts for a reply; "" for a root
	User     string
	BotID    string // set when an app posted it
	Text     string
	Blocks   json.RawMessage // as stored, with the block_ids Slack adds; nil without blocks
	Metadata json.RawMessage // the metadata the poster sent; nil without
	Files    []string        // the ids of the files it shares (see Files and File)
	// The flags the poster sent, "" when absent, so tests can check that
	// previews and @-name linking were turned off.
	UnfurlLinks, UnfurlMedia, LinkNames, Parse string
	Edits                                      int // chat.update calls and EditMessage edits that changed it
	// EditedBy and EditedTS are who made the latest edit (the bot's user
	// for chat.update) and its ts, as Slack shows them in "edited"; ""
	// when it was never edited.
	EditedBy, EditedTS string
}

// IsRoot reports whether m is a message of the channel rather than a
// reply in a thread.
func (m Message) IsRoot() bool { return m.ThreadTS == "" || m.ThreadTS == m.TS }

// Button is a button of a message's actions blocks.
type Button struct {
	BlockID  string
	ActionID string
	Text     string
	Value    string
	Style    string
}

// Buttons returns the message's buttons, in the order people see them.
func (m Message) Buttons() []Button {
	var out []Button
	for _, b := range m.blocks() {
		if e := b.Accessory; b.Type == "section" && e != nil && e.Type == "button" {
			out = append(out, Button{BlockID: b.BlockID, ActionID: e.ActionID, Text: e.Text.Text, Value: e.Value, Style: e.Style})
		}
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type == "button" {
				out = append(out, Button{BlockID: b.BlockID, ActionID: e.ActionID, Text: e.Text.Text, Value: e.Value, Style: e.Style})
			}
		}
	}
	return out
}

// Rendered returns every piece of text of the message's blocks, one per
// line, in order (or Text when it has no blocks): what a reader of the
// channel reads, before Slack's formatting.
func (m Message) Rendered() string {
	blocks := m.blocks()
	if len(blocks) == 0 {
		return m.Text
	}
	var lines []string
	add := func(t *textObject) {
		if t != nil && t.Text != "" {
			lines = append(lines, t.Text)
		}
	}
	for _, b := range blocks {
		add(b.Text)
		for i := range b.Fields {
			add(&b.Fields[i])
		}
		for i := range b.Elements {
			if b.Elements[i].Type == "button" {
				add(b.Elements[i].Text)
				continue
			}
			add(&textObject{Type: b.Elements[i].Type, Text: b.Elements[i].TextString})
		}
	}
	return strings.Join(lines, "\n")
}

// block is the part of a Block Kit block the simulator reads.
type block struct {
	Type     string       `json:"type"`
	BlockID  string       `json:"block_id"`
	Text     *textObject  `json:"text"`
	Fields   []textObject `json:"fields"`
	Elements []element    `json:"elements"`
	// Accessory is a section's element beside its text, such as a button.
	Accessory *element `json:"accessory"`
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// element is a context element (a text object) or an interactive element.
type element struct {
	Type       string      `json:"type"`
	ActionID   string      `json:"action_id"`
	Value      string      `json:"value"`
	Style      string      `json:"style"`
	Text       *textObject `json:"-"`
	TextString string      `json:"-"`
	URL        string      `json:"url"`
}

// UnmarshalJSON reads "text", an object in a button and a string in a
// context element.
func (e *element) UnmarshalJSON(data []byte) error {
	type plain element
	var raw struct {
		plain
		Text json.RawMessage `json:"text"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*e = element(raw.plain)
	if len(raw.Text) > 0 && raw.Text[0] == '{' {
		e.Text = &textObject{}
		return json.Unmarshal(raw.Text, e.Text)
	}
	if len(raw.Text) > 0 {
		return json.Unmarshal(raw.Text, &e.TextString)
	}
	return nil
}

func (m Message) blocks() []block {
	var bs []block
	if len(m.Blocks) > 0 {
		_ = json.Unmarshal(m.Blocks, &bs)
	}
	return bs
}

// Ephemeral is a message only one person saw.
type Ephemeral struct {
	Channel  string
	User     string // who saw it
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	TS       string
}

// Reaction is an emoji someone put on a message.
type Reaction struct {
	Channel string
	TS      string
	Name    string // without colons, e.g. "raising_hand::skin-tone-3"
	User    string
}

// Ack is the bot's acknowledgement of a Socket Mode envelope.
type Ack struct {
	EnvelopeID string
	Type       string          // the envelope's: events_api, slash_commands, interactive
	Payload    json.RawMessage // nil when the ack carried none
}

// Delivery is one attempt of Slack to hand the bot something.
type Delivery struct {
	Kind    string // "event", "slash_command", "interactive", "url_verification"
	EventID string // for events
	Attempt int    // 0 for the first try, 1..3 for Slack's retries
	Mode    string // "http" or "socket"
	Status  int    // the bot's HTTP status; 0 when it did not answer in time or in Socket Mode
	Acked   bool   // a 2xx answer or a Socket Mode ack
	Reason  string // why it failed: http_error, http_timeout, connection_failed, timeout
}

// Messages returns every message of every channel, roots and replies, in
// the order they were posted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages))
	for _, m := range s.messages {
		out = append(out, *m)
	}
	return out
}

// Roots returns the messages of the desk channel that are not replies.
func (s *Server) Roots() []Message {
	return s.filter(func(m *Message) bool { return m.Channel == s.opts.ChannelID && m.IsRoot() })
}

// CountRoots counts the roots of the desk channel that keep accepts,
// without copying every message, for conditions checked after each change
// while thousands of tickets arrive.
func (s *Server) CountRoots(keep func(*Message) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.messages {
		if m.Channel == s.opts.ChannelID && m.IsRoot() && keep(m) {
			n++
		}
	}
	return n
}

// Thread returns the replies to the root ts, oldest first, without the root.
func (s *Server) Thread(ts string) []Message {
	return s.filter(func(m *Message) bool { return m.ThreadTS == ts && m.TS != ts })
}

// Message returns the message with ts, in any channel.
func (s *Server) Message(ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.messageLocked(ts); m != nil {
		return *m, true
	}
	return Message{}, false
}

func (s *Server) filter(keep func(*Message) bool) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if keep(m) {
			out = append(out, *m)
		}
	}
	return out
}

func (s *Server) messageLocked(ts string) *Message {
	i := slices.IndexFunc(s.messages, func(m *Message) bool { return m.TS == ts })
	if i < 0 {
		return nil
	}
	return s.messages[i]
}

// Ephemerals returns the ephemeral messages, oldest first.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// Reactions returns the reactions on messages, oldest first.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reactions)
}

// Calls returns how many times the bot called a Web API method, such as
// "chat.postMessage", failed calls included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Acks returns the bot's Socket Mode acknowledgements, oldest first.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acks)
}

// Deliveries returns Slack's attempts to hand things to the bot, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

func (s *Server) recordDelivery(d Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, d)
	s.notifyLocked()
}
