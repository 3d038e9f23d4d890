package discordsim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Channel types, as Discord numbers them.
const (
	ChannelText         = 0
	ChannelDM           = 1
	ChannelPublicThread = 11
	ChannelForum        = 15
)

// User is a Discord account.
type User struct {
	ID         string
	Username   string
	GlobalName string // the display name; may be empty
	Bot        bool
}

// Channel is a channel of the guild, a thread, or a direct message.
type Channel struct {
	ID       string
	Type     int // ChannelText, ChannelDM, ChannelPublicThread, ChannelForum
	Name     string
	GuildID  string // "" for a DM
	ParentID string // a thread's channel
	OwnerID  string // who started a thread
	// Hidden is a channel the bot has no access to: reading or writing it
	// answers 403 Missing Access.
	Hidden    bool
	Recipient string // the other person of a DM
	// AutoArchive is a thread's auto_archive_duration in minutes.
	AutoArchive int
}

// IsThread reports whether c is a thread.
func (c Channel) IsThread() bool { return c.Type == 10 || c.Type == 11 || c.Type == 12 }

// Message is a message in a channel, as Discord holds it after its latest
// edit, with what its poster sent that people do not see
// (allowed_mentions, the reference, the nonce).
type Message struct {
	ID        string
	ChannelID string
	GuildID   string // "" in a DM
	AuthorID  string
	Content   string
	// Embeds and Components are the JSON arrays as last sent; nil when
	// there are none. Embed and Buttons read them.
	Embeds     json.RawMessage
	Components json.RawMessage
	// AllowedMentions is what the poster allowed to ping, as last sent;
	// Sent is false when the request had no allowed_mentions.
	AllowedMentions AllowedMentions
	Reference       *Reference // message_reference as sent; nil without
	Flags           int        // 4 = SUPPRESS_EMBEDS, 64 = EPHEMERAL…
	Nonce           string
	// Attachments are the names of a person's files given as names only
	// (Post.Attachments).
	Attachments []string
	// Files are the files a person posted with their bytes (Post.Files),
	// with the ids Discord gave them.
	Files []Attachment
	Edits int // the edits it had: the bot's, or its author's UserEdits
	// Earlier are its contents before each edit, oldest first: Earlier[i]
	// is the content edit i+1 replaced, unchanged by an edit of only its
	// embeds or buttons.
	Earlier []string
	// Deleted is a message deleted by the bot or UserDeletes: Discord no
	// longer lists it, and answers Unknown Message to edits, reactions
	// and replies; the record keeps it for tests.
	Deleted bool
	Thread  string // the id of the thread started from it
	// Uploads are the files the bot sent with the message (multipart),
	// with their bytes, in the order of their files[n] parts, as its
	// latest edit left them.
	Uploads []Attachment

	replyTo  string    // the message it replies to, when the reference held
	editedAt time.Time // of its latest edit
}

// AllowedMentions is a message's allowed_mentions object.
type AllowedMentions struct {
	Sent        bool // the request carried one
	Parse       []string
	Users       []string
	Roles       []string
	RepliedUser bool
}

// PingsNobody reports whether the poster allowed no mention to ping:
// parse empty, no users, no roles.
func (a AllowedMentions) PingsNobody() bool {
	return a.Sent && len(a.Parse) == 0 && len(a.Users) == 0 && len(a.Roles) == 0
}

// Reference is a message_reference: what a message replies to.
type Reference struct {
	MessageID       string
	ChannelID       string
	GuildID         string
	FailIfNotExists *bool
}

// Embed is a rich embed of a message.
type Embed struct {
	Title       string
	Description string
	Color       int
	Fields      []EmbedField
	Footer      string
}

// EmbedField is one field of an embed.
type EmbedField struct {
	Name   string
	Value  string
	Inline bool
}

// Button is a button of a message's action rows.
type Button struct {
	CustomID string
	Label    string
	Style    int // 1 primary, 2 secondary, 3 success, 4 danger, 5 link
	Disabled bool
}

// EmbedList returns the message's embeds.
func (m Message) EmbedList() []Embed {
	var raw []struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Color       int    `json:"color"`
		Fields      []struct {
			Name   string `json:"name"`
			Value  string `json:"value"`
			Inline bool   `json:"inline"`
		} `json:"fields"`
		Footer *struct {
			Text string `json:"text"`
		} `json:"footer"`
	}
	if len(m.Embeds) == 0 || json.Unmarshal(m.Embeds, &raw) != nil {
		return nil
	}
	var out []Embed
	for _, r := range raw {
		e := Embed{Title: r.Title, Description: r.Description, Color: r.Color}
		for _, f := range r.Fields {
			e.Fields = append(e.Fields, EmbedField{Name: f.Name, Value: f.Value, Inline: f.Inline})
		}
		if r.Footer != nil {
			e.Footer = r.Footer.Text
		}
		out = append(out, e)
	}
	return out
}

// Embed returns the message's first embed.
func (m Message) Embed() (Embed, bool) {
	es := m.EmbedList()
	if len(es) == 0 {
		return Embed{}, false
	}
	return es[0], true
}

// Buttons returns the buttons of the message's action rows, in the order
// people see them.
func (m Message) Buttons() []Button { return slices.Concat(m.Rows()...) }

// Rendered returns every piece of text a reader sees of the message, one
// per line: the content, then each embed's title, description and fields
// ("name: value"), then the buttons' labels.
func (m Message) Rendered() string {
	var lines []string
	add := func(s string) {
		if s != "" {
			lines = append(lines, s)
		}
	}
	add(m.Content)
	for _, e := range m.EmbedList() {
		add(e.Title)
		add(e.Description)
		for _, f := range e.Fields {
			add(f.Name + ": " + f.Value)
		}
		add(e.Footer)
	}
	for _, b := range m.Buttons() {
		add("[" + b.Label + "]")
	}
	return strings.Join(lines, "\n")
}

// Reaction is an emoji someone put on a message.
type Reaction struct {
	ChannelID string
	MessageID string
	Emoji     string // the Unicode emoji, or name:id for a custom one
	UserID    string
}

// Command is an application command as registered.
type Command struct {
	ID          string
	Name        string
	Description string
	Type        int
	Options     []CommandOption
	// Raw is the command as the bot sent it.
	Raw json.RawMessage
}

// CommandOption is an option of a command: a subcommand (type 1) with its
// own options, or a value (3 string, 4 integer, 6 user…).
type CommandOption struct {
	Type        int             `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Required    bool            `json:"required"`
	Options     []CommandOption `json:"options"`
	MinValue    *float64        `json:"min_value"`
	MaxLength   int             `json:"max_length"`
}

// Option returns c's option or subcommand called name.
func (c Command) Option(name string) (CommandOption, bool) {
	i := slices.IndexFunc(c.Options, func(o CommandOption) bool { return o.Name == name })
	if i < 0 {
		return CommandOption{}, false
	}
	return c.Options[i], true
}

// Messages returns every message of every channel, in the order they
// were posted, deleted ones included (Message.Deleted).
func (s *Server) Messages() []Message {
	return s.filter(func(*Message) bool { return true })
}

// ChannelMessages returns the messages of channel id (a thread is a
// channel), oldest first, deleted ones included.
func (s *Server) ChannelMessages(id string) []Message {
	return s.filter(func(m *Message) bool { return m.ChannelID == id })
}

// Thread returns the messages of thread id, oldest first. A forum post's
// first message is its starter; a text channel's thread has its starter
// in the parent channel.
func (s *Server) Thread(id string) []Message { return s.ChannelMessages(id) }

// Message returns the message with id, in any channel.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.byID[id]; ok {
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

// ChannelInfo returns channel id.
func (s *Server) ChannelInfo(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[id]; ok {
		return *c, true
	}
	return Channel{}, false
}

// Threads returns the threads of channel parent, oldest first.
func (s *Server) Threads(parent string) []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, id := range s.channelOrder {
		if c := s.channels[id]; c.IsThread() && c.ParentID == parent {
			out = append(out, *c)
		}
	}
	return out
}

// DMChannel returns the id of the DM channel between the bot and user,
// "" when there is none yet.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dms[userID]
}

// Reactions returns the reactions on messages, oldest first.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reactions)
}

// Commands returns the application's commands registered in guild.
func (s *Server) Commands(guildID string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[guildID])
}

// CommandOverwrites returns how many bulk overwrites of guild commands
// Discord accepted.
func (s *Server) CommandOverwrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commandPuts
}

// Calls returns how many requests the bot made to route (one of the Route
// constants, such as RouteCreateMessage), failed ones included.
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}
