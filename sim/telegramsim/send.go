package telegramsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// maxTextLen is Telegram's limit on a message's text, counted, as Telegram
// counts, in UTF-16 code units: an emoji outside the BMP counts twice.
const maxTextLen = 4096

// SentMessage is a message the bot sent, as the customer would see it
// now: editMessageText, editMessageCaption and editMessageReplyMarkup
// change Text, Caption and Keyboard in place, and deleteMessage marks it
// Deleted.
type SentMessage struct {
	ChatID    int64
	Text      string // "" for a photo or file, whose words are in Caption
	ReplyTo   int    // the message it answers; 0 for none
	ParseMode string // of Text or Caption; "" for plain text
	MessageID int
	At        time.Time
	// Keyboard is the inline keyboard under the message, row by row; nil
	// when it has none (or an edit removed it).
	Keyboard [][]InlineButton
	// ReplyKeyboard is the keyboard the message put in place of the
	// customer's letters; nil when it brought none.
	ReplyKeyboard *ReplyKeyboard
	// RemovedKeyboard: the message took the reply keyboard away
	// (remove_keyboard).
	RemovedKeyboard bool
	Edits           int // edits Telegram accepted, of the text, caption or keyboard
	// Earlier are the texts (or captions) that edits replaced, oldest
	// first; edits of the keyboard alone add nothing.
	Earlier  []string
	EditedAt time.Time // when the last edit was; zero when Edits is 0

	// Caption is the text under a photo or file; "" for none.
	Caption string
	// Files are what a sendPhoto, sendDocument or sendMediaGroup message
	// carries (one file each: an album is one message per file); nil for
	// text.
	Files []SentFile
	// MediaGroupID is the album the message belongs to, shared by the
	// messages of one sendMediaGroup; "" for none.
	MediaGroupID string
	// Deleted: the bot deleted the message (deleteMessage). It stays in
	// Sent, as what the customer saw before.
	Deleted bool

	// media are the message's fields for its files ("photo", "document"...)
	// as the Bot API showed them when it was sent.
	media map[string]any
}

// Sent returns the messages the bot sent, oldest first, deleted ones
// included.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// sendMessage checks a message the way Telegram does (a chat that exists
// and has not blocked the bot, text that is neither empty nor too long, a
// reply to a message that exists, buttons the chat allows), records it and
// answers with the Message.
func (s *Server) sendMessage(_ *http.Request, p map[string]string) answer {
	if _, err := strconv.ParseInt(p["chat_id"], 10, 64); err != nil {
		return fail(http.StatusBadRequest, "Bad Request: chat not found")
	}
	text := p["text"]
	if strings.TrimSpace(text) == "" {
		return fail(http.StatusBadRequest, "Bad Request: message text is empty")
	}
	if len(utf16.Encode([]rune(text))) > maxTextLen {
		return fail(http.StatusBadRequest, "Bad Request: message is too long")
	}
	keyboard, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return fail(http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, refused := s.targetLocked(p)
	if refused != nil {
		return *refused
	}
	return ok(s.recordLocked(t, SentMessage{Text: text, ParseMode: p["parse_mode"], Keyboard: keyboard}))
}

// sendTarget is where a message goes, checked by targetLocked.
type sendTarget struct {
	chatID  int64
	c       *chat
	reply   replyMarkup // what the message does to the reply keyboard
	replyTo int         // the message it answers; 0 for none
}

// targetLocked checks where a message goes the way Telegram does: a chat
// that exists and has not blocked the bot, a reply keyboard the chat
// allows, a reply to a message that exists (or allow_sending_without_reply).
// s.mu must be held.
func (s *Server) targetLocked(p map[string]string) (sendTarget, *answer) {
	refuse := func(code int, desc string) (sendTarget, *answer) {
		a := fail(code, desc)
		return sendTarget{}, &a
	}
	chatID, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		return refuse(http.StatusBadRequest, "Bad Request: chat not found")
	}
	c := s.chats[chatID]
	if c == nil {
		return refuse(http.StatusBadRequest, "Bad Request: chat not found")
	}
	if c.blocked {
		return refuse(http.StatusForbidden, describe(http.StatusForbidden, 0))
	}
	reply, err := parseReplyMarkup(p["reply_markup"], c.object["type"] == "private")
	if err != nil {
		return refuse(http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	replyTo, _ := strconv.Atoi(p["reply_to_message_id"])
	if replyTo != 0 && (replyTo < 1 || replyTo > c.lastMsg) {
		if p["allow_sending_without_reply"] != "true" {
			return refuse(http.StatusBadRequest, "Bad Request: message to be replied not found")
		}
		replyTo = 0
	}
	return sendTarget{chatID: chatID, c: c, reply: reply, replyTo: replyTo}, nil
}

// recordLocked sends m to t: it gives m the chat's next message id and the
// time, records it, applies its reply keyboard and returns the Message as
// the Bot API answers it. s.mu must be held.
func (s *Server) recordLocked(t sendTarget, m SentMessage) map[string]any {
	t.c.lastMsg++
	m.ChatID, m.MessageID, m.At, m.ReplyTo = t.chatID, t.c.lastMsg, s.nowLocked(), t.replyTo
	m.ReplyKeyboard, m.RemovedKeyboard = t.reply.keyboard, t.reply.remove
	s.sent = append(s.sent, m)
	switch {
	case t.reply.keyboard != nil:
		t.c.keyboard = t.reply.keyboard
	case t.reply.remove:
		t.c.keyboard = nil
	}
	s.notifyLocked()
	msg := messageObject(m, t.c.object)
	if t.replyTo != 0 {
		msg["reply_to_message"] = s.repliedLocked(t, m.At)
	}
	return msg
}

// repliedLocked is the message t answers, as a reply shows it: the
// customer's as it came, the bot's as it is now, or for a message the
// simulator never saw (one pushed with its own id) no more than its id.
func (s *Server) repliedLocked(t sendTarget, now time.Time) map[string]any {
	if in := t.c.incoming[t.replyTo]; in != nil {
		return in.object
	}
	if i := s.sentIndexLocked(t.chatID, t.replyTo); i >= 0 {
		return messageObject(s.sent[i], t.c.object)
	}
	return map[string]any{"message_id": t.replyTo, "chat": t.c.object, "date": now.Unix()}
}

// messageObject is a message of the bot as the Bot API shows it.
func messageObject(m SentMessage, chat map[string]any) map[string]any {
	msg := map[string]any{
		"message_id": m.MessageID, "from": botUser, "chat": chat, "date": m.At.Unix(),
	}
	if len(m.Files) == 0 {
		msg["text"] = m.Text
	}
	for field, v := range m.media {
		msg[field] = v
	}
	if m.Caption != "" {
		msg["caption"] = m.Caption
	}
	if m.MediaGroupID != "" {
		msg["media_group_id"] = m.MediaGroupID
	}
	if m.Keyboard != nil {
		msg["reply_markup"] = markupObject(m.Keyboard)
	}
	if m.Edits > 0 {
		msg["edit_date"] = m.EditedAt.Unix()
	}
	return msg
}
