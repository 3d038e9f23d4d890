package telegramsim

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// maxDeleteAge is how old a message may be and still be deleted: Telegram
// lets bots delete messages "sent less than 48 hours ago".
const maxDeleteAge = 48 * time.Hour

// errNotModified is Telegram's answer to an edit that changes nothing.
const errNotModified = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

// incoming is a message someone other than the bot sent in a chat, as its
// update showed it.
type incoming struct {
	object  map[string]any // never changed once stored: answers may hold it
	deleted bool           // the bot deleted it (deleteMessage)
}

// SetClock makes now the simulator's clock for the dates of messages and
// edits, and for the age of a message deleteMessage checks; nil restores
// time.Now. A test moves its clock 48 hours on to see a deletion refused.
// now runs with the simulator locked and must not call the Server; it may
// run on the server's goroutines, so what it reads must be safe for that.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// nowLocked is the simulator's time. s.mu must be held.
func (s *Server) nowLocked() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// words is what edits replace: a text message's text, or a photo's or
// file's caption.
func (m SentMessage) words() string {
	if len(m.Files) > 0 {
		return m.Caption
	}
	return m.Text
}

// rememberLocked keeps a message that came into chat c, so that the
// customer can edit it and the bot delete it. s.mu must be held.
func (c *chat) rememberLocked(msg map[string]any) {
	id, err := number(msg["message_id"])
	if err != nil {
		return
	}
	if c.incoming == nil {
		c.incoming = map[int]*incoming{}
	}
	c.incoming[int(id)] = &incoming{object: msg}
}

// hasMedia reports whether a message carries a photo or file, whose words
// are a caption rather than a text.
func hasMedia(msg map[string]any) bool {
	for field := range kinds {
		if _, has := msg[field]; has {
			return true
		}
	}
	return false
}

// CustomerEdits queues the edited_message update Telegram sends when the
// customer edits their message messageID in chatID, and returns its
// update_id. The message keeps its id, date and anything else it had; its
// text becomes text (its caption, if it was a photo or file), and
// edit_date is now. An id the simulator never saw is still edited, as a
// text message sent now, so a test can edit a message the bot missed. A
// from.ID of 0 means the chat's id.
func (s *Server) CustomerEdits(chatID int64, from User, messageID int, text string) (updateID int) {
	if from.ID == 0 {
		from.ID = chatID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked().Unix()
	c := s.chats[chatID]
	var msg map[string]any
	if c != nil && c.incoming[messageID] != nil {
		msg = maps.Clone(c.incoming[messageID].object)
	} else {
		chatObj := privateChat(chatID, from)
		if c != nil && c.object != nil {
			chatObj = c.object
		}
		msg = map[string]any{"message_id": messageID, "chat": chatObj, "date": now}
	}
	msg["from"] = from
	msg["edit_date"] = now
	if hasMedia(msg) {
		delete(msg, "caption_entities")
		msg["caption"] = text
	} else {
		delete(msg, "entities")
		for k, v := range textFields(text) {
			msg[k] = v
		}
	}
	u := normalize(map[string]any{"edited_message": msg})
	if c != nil && c.incoming[messageID] != nil {
		// A fresh map rather than a change in place: the old one may be in
		// an answer being written.
		edited, _ := u["edited_message"].(map[string]any)
		c.incoming[messageID] = &incoming{object: edited, deleted: c.incoming[messageID].deleted}
	}
	return s.pushLocked(u)
}

// textFields are the fields of a text message: the text, and a
// bot_command entity when it starts with "/", as a real command has.
func textFields(text string) map[string]any {
	fields := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		fields["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(utf16.Encode([]rune(cmd)))}}
	}
	return fields
}

// editMessageCaption changes the caption of one of the bot's photos or
// files; an empty caption removes it. A text message has none. As in
// Telegram, a reply_markup left out removes the inline keyboard.
func (s *Server) editMessageCaption(_ *http.Request, p map[string]string) answer {
	caption := p["caption"]
	if captionLen(caption, p["parse_mode"]) > maxCaptionLen {
		return fail(http.StatusBadRequest, "Bad Request: message caption is too long")
	}
	return s.edit(p, func(m *SentMessage) string {
		if len(m.Files) == 0 {
			return "Bad Request: there is no caption in the message to edit"
		}
		m.Caption, m.ParseMode = caption, p["parse_mode"]
		return ""
	})
}

// deleteMessage deletes a message of the bot, or one the customer sent in
// a private chat, as Telegram lets bots do while the message is less than
// 48 hours old.
func (s *Server) deleteMessage(_ *http.Request, p map[string]string) answer {
	chatID, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		return fail(http.StatusBadRequest, "Bad Request: chat not found")
	}
	messageID, _ := strconv.Atoi(p["message_id"])
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return fail(http.StatusBadRequest, "Bad Request: chat not found")
	}
	now := s.nowLocked()
	if i := s.sentIndexLocked(chatID, messageID); i >= 0 && !s.sent[i].Deleted {
		if now.Sub(s.sent[i].At) >= maxDeleteAge {
			return fail(http.StatusBadRequest, errCantDelete)
		}
		s.sent[i].Deleted = true
		s.notifyLocked()
		return ok(true)
	}
	in := c.incoming[messageID]
	if in == nil || in.deleted {
		return fail(http.StatusBadRequest, "Bad Request: message to delete not found")
	}
	date, err := number(in.object["date"])
	if err != nil || c.object["type"] != "private" || now.Sub(time.Unix(date, 0)) >= maxDeleteAge {
		// In groups a bot deletes others' messages only as an admin, which
		// the simulator's bot never is.
		return fail(http.StatusBadRequest, errCantDelete)
	}
	in.deleted = true
	s.notifyLocked()
	return ok(true)
}

// errCantDelete is Telegram's answer to deleting a message older than 48
// hours, or another's message the bot may not delete. Older versions of
// the Bot API said "Bad Request: message can't be deleted", without the
// last two words.
const errCantDelete = "Bad Request: message can't be deleted for everyone"

// Deleted reports whether the bot deleted the message messageID in
// chatID, its own or the customer's.
func (s *Server) Deleted(chatID int64, messageID int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.sentIndexLocked(chatID, messageID); i >= 0 {
		return s.sent[i].Deleted
	}
	if c := s.chats[chatID]; c != nil && c.incoming[messageID] != nil {
		return c.incoming[messageID].deleted
	}
	return false
}
