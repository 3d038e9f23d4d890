package discordsim

import (
	"fmt"
	"slices"
	"strings"
)

// Post is what a person sends: text, files, and the message it answers.
// The text may be empty when there are files.
type Post struct {
	Content string
	// Attachments are files given by name only, like "receipt.png":
	// 1024 bytes announced, with unsigned links that do not download.
	Attachments []string
	// Files are files with their bytes (Filename, ContentType guessed
	// from the name when empty, Data, and Size to announce more bytes
	// than Data holds), served at signed links.
	Files   []Attachment
	ReplyTo string // the id of a message of the same channel it answers
}

// UserWrites is user writing content in a channel or thread of the
// guild: the message is recorded and the bot gets MESSAGE_CREATE with
// guild_id, member and author. It returns the message's id. The channel
// must exist.
func (s *Server) UserWrites(channelID, user, content string) (msgID string) {
	return s.UserPosts(channelID, user, Post{Content: content})
}

// UserPosts is UserWrites with files and a reply.
func (s *Server) UserPosts(channelID, user string, p Post) (msgID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok {
		panic(fmt.Sprintf("discordsim: UserWrites in channel %s, which does not exist", channelID))
	}
	return s.userMessageLocked(c, user, p).ID
}

// UserDMs is user sending the bot a direct message: the DM channel is
// opened if needed, and the bot gets MESSAGE_CREATE without guild_id.
func (s *Server) UserDMs(user, content string) (msgID string) {
	return s.UserPostsDM(user, Post{Content: content})
}

// UserPostsDM is UserDMs with files and a reply.
func (s *Server) UserPostsDM(user string, p Post) (msgID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userMessageLocked(s.dmLocked(user), user, p).ID
}

func (s *Server) userMessageLocked(c *Channel, user string, p Post) *Message {
	u := s.userLocked(user)
	m := &Message{ID: s.snowflakeLocked(), ChannelID: c.ID, GuildID: c.GuildID, AuthorID: u.ID, Content: p.Content, Attachments: p.Attachments}
	for _, f := range p.Files {
		f.ID = s.snowflakeLocked()
		if f.ContentType == "" {
			f.ContentType = contentType(f.Filename)
		}
		f.Data = slices.Clone(f.Data) // the caller's slice may change
		m.Files = append(m.Files, f)
	}
	if p.ReplyTo != "" {
		m.Reference = &Reference{MessageID: p.ReplyTo, ChannelID: c.ID, GuildID: c.GuildID}
		if _, ok := s.liveLocked(c.ID, p.ReplyTo); ok {
			m.replyTo = p.ReplyTo
		}
	}
	s.storeLocked(m)
	return m
}

// UserEdits is user editing their message msgID of channelID to content:
// the message keeps its earlier content in Earlier, and the bot gets
// MESSAGE_UPDATE with the whole message and its edited_timestamp. Only
// the author may edit a message, and it must exist.
func (s *Server) UserEdits(channelID, msgID, user, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.liveLocked(channelID, msgID)
	switch {
	case !ok:
		panic(fmt.Sprintf("discordsim: UserEdits of message %s, which is not in channel %s", msgID, channelID))
	case m.AuthorID != user:
		panic(fmt.Sprintf("discordsim: %s edits message %s, written by %s", user, msgID, m.AuthorID))
	}
	before := m.Content
	m.Content = content
	s.editedLocked(m, before)
}

// UserDeletes is message msgID of channelID being deleted by its author
// or a moderator: Discord no longer shows it (the record keeps it, with
// Deleted set), and the bot gets MESSAGE_DELETE with its id, channel_id
// and, in a guild, guild_id. The message must exist.
func (s *Server) UserDeletes(channelID, msgID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.liveLocked(channelID, msgID)
	if !ok {
		panic(fmt.Sprintf("discordsim: UserDeletes of message %s, which is not in channel %s", msgID, channelID))
	}
	s.deleteLocked(m)
}

// React is user putting emoji (a Unicode emoji, or name:id for a custom
// one) on message msgID of channelID: recorded, and the bot gets
// MESSAGE_REACTION_ADD. A repeated reaction changes nothing, as on
// Discord. The message must exist.
func (s *Server) React(user, channelID, msgID, emoji string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.liveLocked(channelID, msgID)
	if !ok {
		panic(fmt.Sprintf("discordsim: React on message %s, which is not in channel %s", msgID, channelID))
	}
	s.reactLocked(user, m, emoji)
}

// reactLocked records a reaction and dispatches it. The caller holds s.mu.
func (s *Server) reactLocked(user string, m *Message, emoji string) {
	r := Reaction{ChannelID: m.ChannelID, MessageID: m.ID, Emoji: emoji, UserID: user}
	for _, have := range s.reactions {
		if have == r {
			return
		}
	}
	s.reactions = append(s.reactions, r)
	e := map[string]any{"id": nil, "name": emoji}
	if name, id, custom := strings.Cut(emoji, ":"); custom {
		e = map[string]any{"id": id, "name": name}
	}
	u := s.userLocked(user)
	data := map[string]any{
		"user_id": user, "channel_id": m.ChannelID, "message_id": m.ID, "emoji": e,
		"message_author_id": m.AuthorID, "burst": false, "type": 0,
	}
	need := intentDMReactions
	if m.GuildID != "" {
		need = intentGuildReactions
		data["guild_id"] = m.GuildID
		data["member"] = memberObject(u, true)
	}
	s.dispatchLocked("MESSAGE_REACTION_ADD", data, need)
	s.notifyLocked()
}
