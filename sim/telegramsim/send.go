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
// now: editMessageText and editMessageReplyMarkup change Text and
// Keyboard in place.
type SentMessage struct {
	ChatID    int64
	Text      string
	ReplyTo   int    // the message it answers; 0 for none
	ParseMode string // "" for plain text
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
	Edits           int // edits Telegram accepted
}

// Sent returns the messages the bot sent, oldest first.
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
	chatID, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
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
	replyTo, _ := strconv.Atoi(p["reply_to_message_id"])
	withoutReply := p["allow_sending_without_reply"] == "true"

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return fail(http.StatusBadRequest, "Bad Request: chat not found")
	}
	if c.blocked {
		return fail(http.StatusForbidden, describe(http.StatusForbidden, 0))
	}
	reply, err := parseReplyMarkup(p["reply_markup"], c.object["type"] == "private")
	if err != nil {
		return fail(http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	if replyTo != 0 && (replyTo < 1 || replyTo > c.lastMsg) {
		if !withoutReply {
			return fail(http.StatusBadRequest, "Bad Request: message to be replied not found")
		}
		replyTo = 0
	}
	c.lastMsg++
	now := time.Now()
	s.sent = append(s.sent, SentMessage{
		ChatID: chatID, Text: text, ReplyTo: replyTo, ParseMode: p["parse_mode"],
		MessageID: c.lastMsg, At: now, Keyboard: keyboard,
		ReplyKeyboard: reply.keyboard, RemovedKeyboard: reply.remove,
	})
	switch {
	case reply.keyboard != nil:
		c.keyboard = reply.keyboard
	case reply.remove:
		c.keyboard = nil
	}
	s.notifyLocked()
	msg := messageObject(s.sent[len(s.sent)-1], c.object)
	if replyTo != 0 {
		msg["reply_to_message"] = map[string]any{"message_id": replyTo, "chat": c.object, "date": now.Unix()}
	}
	return ok(msg)
}

// messageObject is a message of the bot as the Bot API shows it.
func messageObject(m SentMessage, chat map[string]any) map[string]any {
	msg := map[string]any{
		"message_id": m.MessageID, "from": botUser, "chat": chat, "date": m.At.Unix(), "text": m.Text,
	}
	if m.Keyboard != nil {
		msg["reply_markup"] = markupObject(m.Keyboard)
	}
	if m.Edits > 0 {
		msg["edit_date"] = time.Now().Unix()
	}
	return msg
}
