package telegramsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Telegram's limits on inline keyboards and their answers.
const (
	maxCallbackData = 64  // bytes of a button's callback_data
	maxButtons      = 100 // buttons in one inline keyboard
	maxAnswerText   = 200 // characters of an answerCallbackQuery notification
)

// firstQueryID is where callback query ids start: long numbers, like
// Telegram's, that no update_id or message_id could be mistaken for.
const firstQueryID = 4382000000000000000

// errQueryInvalid is Telegram's answer to a callback query answered twice,
// or never asked.
const errQueryInvalid = "Bad Request: query is too old and response timeout expired or query ID is invalid"

// InlineButton is a button of an inline keyboard, as the customer sees it
// under a message.
type InlineButton struct {
	Text         string
	CallbackData string // what pressing it sends the bot (PressButton); "" for other buttons
	URL          string // the address a link button opens; "" for other buttons
}

// CallbackAnswer is the bot's answerCallbackQuery: the notification the
// customer sees after pressing a button.
type CallbackAnswer struct {
	QueryID   string
	Text      string // "" for none: the button only stops its spinner
	ShowAlert bool   // an alert to dismiss rather than a toast
	At        time.Time
}

// queries are the callback queries of pressed buttons, guarded by
// Server.mu.
type queries struct {
	pressed  int
	answered map[string]bool // query id → answered; absent: never asked
	answers  []CallbackAnswer
}

// PressButton is from pressing the button whose callback_data is data
// under the bot's message messageID in chatID: it queues the
// callback_query update Telegram sends the bot, with the message as the
// customer sees it, and returns the update's id and the fresh callback
// query id, which the bot must answer once with answerCallbackQuery. A
// from.ID of 0 means the chat's id, as in private chats. The button must
// be under the message now, and the message not deleted, as it must be on
// screen to be pressed: PressButton panics otherwise, since that is a bug
// in the test.
func (s *Server) PressButton(chatID int64, messageID int, data string, from User) (updateID int, queryID string) {
	if from.ID == 0 {
		from.ID = chatID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.sentIndexLocked(chatID, messageID)
	if i < 0 {
		panic(fmt.Sprintf("telegramsim: PressButton on message %d of chat %d, which the bot did not send", messageID, chatID))
	}
	if s.sent[i].Deleted {
		panic(fmt.Sprintf("telegramsim: PressButton on message %d of chat %d, which the bot deleted", messageID, chatID))
	}
	m := s.sent[i]
	if !slices.ContainsFunc(slices.Concat(m.Keyboard...), func(b InlineButton) bool { return b.CallbackData == data }) {
		panic(fmt.Sprintf("telegramsim: message %d of chat %d has no button with callback_data %q", messageID, chatID, data))
	}
	s.queries.pressed++
	queryID = strconv.FormatInt(firstQueryID+int64(s.queries.pressed), 10)
	if s.queries.answered == nil {
		s.queries.answered = map[string]bool{}
	}
	s.queries.answered[queryID] = false
	update := normalize(map[string]any{"callback_query": map[string]any{
		"id": queryID, "from": from, "message": messageObject(m, s.chats[chatID].object),
		// One value per chat, as Telegram's chat_instance is.
		"chat_instance": strconv.FormatInt(chatID*7919+13, 10), "data": data,
	}})
	return s.pushLocked(update), queryID
}

// Answers returns the bot's answers to callback queries, oldest first.
func (s *Server) Answers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries.answers)
}

// Message returns the bot's message messageID in chatID as the customer
// sees it now, after its edits.
func (s *Server) Message(chatID int64, messageID int) (SentMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.sentIndexLocked(chatID, messageID); i >= 0 {
		return s.sent[i], true
	}
	return SentMessage{}, false
}

// sentIndexLocked finds the bot's message in s.sent, or -1.
func (s *Server) sentIndexLocked(chatID int64, messageID int) int {
	return slices.IndexFunc(s.sent, func(m SentMessage) bool { return m.ChatID == chatID && m.MessageID == messageID })
}

// answerCallbackQuery takes the bot's answer to a pressed button, once per
// query, as Telegram does.
func (s *Server) answerCallbackQuery(_ *http.Request, p map[string]string) answer {
	id, text := p["callback_query_id"], p["text"]
	if len(utf16.Encode([]rune(text))) > maxAnswerText {
		return fail(http.StatusBadRequest, "Bad Request: MESSAGE_TOO_LONG")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	answered, asked := s.queries.answered[id]
	if !asked || answered {
		return fail(http.StatusBadRequest, errQueryInvalid)
	}
	s.queries.answered[id] = true
	s.queries.answers = append(s.queries.answers, CallbackAnswer{QueryID: id, Text: text, ShowAlert: p["show_alert"] == "true", At: s.nowLocked()})
	s.notifyLocked()
	return ok(true)
}

// editMessageText changes the text of one of the bot's messages; a photo
// or file has none (its words are editMessageCaption's). As in Telegram,
// a reply_markup left out removes the inline keyboard.
func (s *Server) editMessageText(_ *http.Request, p map[string]string) answer {
	text := p["text"]
	if strings.TrimSpace(text) == "" {
		return fail(http.StatusBadRequest, "Bad Request: message text is empty")
	}
	if len(utf16.Encode([]rune(text))) > maxTextLen {
		return fail(http.StatusBadRequest, "Bad Request: message is too long")
	}
	return s.edit(p, func(m *SentMessage) string {
		if len(m.Files) > 0 {
			return "Bad Request: there is no text in the message to edit"
		}
		m.Text, m.ParseMode = text, p["parse_mode"]
		return ""
	})
}

// editMessageReplyMarkup changes or, without reply_markup, removes the
// inline keyboard of one of the bot's messages.
func (s *Server) editMessageReplyMarkup(_ *http.Request, p map[string]string) answer {
	return s.edit(p, func(*SentMessage) string { return "" })
}

// edit finds the message an edit names, checks it the way Telegram does,
// applies change and the new keyboard, and answers with the message.
// change returns Telegram's refusal when the message cannot take the edit,
// such as a text edit of a photo, and "" when it took it.
func (s *Server) edit(p map[string]string, change func(*SentMessage) string) answer {
	if p["inline_message_id"] != "" {
		// The bot sends no inline messages; Telegram would not know the id.
		return fail(http.StatusBadRequest, "Bad Request: MESSAGE_ID_INVALID")
	}
	chatID, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		return fail(http.StatusBadRequest, "Bad Request: chat not found")
	}
	messageID, _ := strconv.Atoi(p["message_id"])
	keyboard, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return fail(http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return fail(http.StatusBadRequest, "Bad Request: chat not found")
	}
	if c.blocked {
		return fail(http.StatusForbidden, describe(http.StatusForbidden, 0))
	}
	i := s.sentIndexLocked(chatID, messageID)
	in := c.incoming[messageID]
	switch {
	case i >= 0 && s.sent[i].Deleted, in != nil && in.deleted:
		return fail(http.StatusBadRequest, "Bad Request: message to edit not found")
	case i < 0 && messageID >= 1 && messageID <= c.lastMsg:
		return fail(http.StatusBadRequest, "Bad Request: message can't be edited")
	case i < 0:
		return fail(http.StatusBadRequest, "Bad Request: message to edit not found")
	}
	old := s.sent[i]
	m := old
	if refusal := change(&m); refusal != "" {
		return fail(http.StatusBadRequest, refusal)
	}
	m.Keyboard = keyboard
	sameWords := m.Text == old.Text && m.Caption == old.Caption
	if sameWords && m.ParseMode == old.ParseMode && sameKeyboard(m.Keyboard, old.Keyboard) {
		return fail(http.StatusBadRequest, errNotModified)
	}
	if !sameWords {
		// Clip: the new list must not share spare room with the old one,
		// which copies that Sent returned may still hold.
		m.Earlier = append(slices.Clip(old.Earlier), old.words())
	}
	m.Edits++
	m.EditedAt = s.nowLocked()
	s.sent[i] = m
	s.notifyLocked()
	return ok(messageObject(m, c.object))
}

func sameKeyboard(a, b [][]InlineButton) bool {
	return slices.EqualFunc(a, b, func(x, y []InlineButton) bool { return slices.Equal(x, y) })
}

// buttonActions are the fields of an InlineKeyboardButton that say what
// pressing it does; a button has its text and exactly one of them.
var buttonActions = []string{
	"callback_data", "url", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
	"switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
}

// parseMarkup reads a reply_markup parameter and returns its inline
// keyboard, checked as Telegram checks it; nil when there is none (no
// markup, an empty keyboard, or a markup of another kind).
func parseMarkup(raw string) ([][]InlineButton, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var markup map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &markup) != nil {
		return nil, errors.New("can't parse reply keyboard markup JSON object")
	}
	rawRows, found := markup["inline_keyboard"]
	if !found {
		return nil, nil // a reply keyboard, which shows no buttons under the message
	}
	var rows [][]map[string]json.RawMessage
	if json.Unmarshal(rawRows, &rows) != nil {
		return nil, errors.New("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
	}
	var out [][]InlineButton
	count := 0
	for _, row := range rows {
		var buttons []InlineButton
		for _, fields := range row {
			b, err := parseButton(fields)
			if err != nil {
				return nil, err
			}
			buttons = append(buttons, b)
			count++
		}
		if len(buttons) > 0 {
			out = append(out, buttons)
		}
	}
	if count > maxButtons {
		return nil, errors.New("reply markup is too long")
	}
	return out, nil
}

// parseButton checks one inline button.
func parseButton(fields map[string]json.RawMessage) (InlineButton, error) {
	var b InlineButton
	if json.Unmarshal(fields["text"], &b.Text) != nil {
		return InlineButton{}, errors.New("can't parse inline keyboard button: Field \"text\" must be of type String")
	}
	if strings.TrimSpace(b.Text) == "" {
		return InlineButton{}, errors.New("BUTTON_TEXT_INVALID")
	}
	actions := 0
	for _, f := range buttonActions {
		if _, has := fields[f]; has {
			actions++
		}
	}
	if actions != 1 {
		return InlineButton{}, errors.New("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	if raw, has := fields["callback_data"]; has {
		if json.Unmarshal(raw, &b.CallbackData) != nil || b.CallbackData == "" || len(b.CallbackData) > maxCallbackData {
			return InlineButton{}, errors.New("BUTTON_DATA_INVALID")
		}
	}
	if raw, has := fields["url"]; has {
		u, err := url.Parse(unquote(raw))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "tg") {
			return InlineButton{}, errors.New("BUTTON_URL_INVALID")
		}
		b.URL = u.String()
	}
	return b, nil
}

// unquote reads a JSON string, "" for anything else.
func unquote(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// markupObject is an inline keyboard as the Bot API shows it in a message.
func markupObject(keyboard [][]InlineButton) map[string]any {
	rows := make([]any, 0, len(keyboard))
	for _, row := range keyboard {
		buttons := make([]any, 0, len(row))
		for _, b := range row {
			button := map[string]any{"text": b.Text}
			switch {
			case b.CallbackData != "":
				button["callback_data"] = b.CallbackData
			case b.URL != "":
				button["url"] = b.URL
			}
			buttons = append(buttons, button)
		}
		rows = append(rows, buttons)
	}
	return map[string]any{"inline_keyboard": rows}
}
