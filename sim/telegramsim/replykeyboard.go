package telegramsim

import (
	"encoding/json"
	"errors"
	"strings"
)

// ReplyKeyboard is a keyboard the bot shows in place of the customer's
// letters (Telegram's ReplyKeyboardMarkup): pressing a button sends its
// text, or with RequestContact the customer's own phone number.
type ReplyKeyboard struct {
	Buttons [][]KeyboardButton
	OneTime bool // one_time_keyboard: hidden after a press, still at hand behind a button
	Resize  bool // resize_keyboard: as tall as its buttons rather than the letters
}

// KeyboardButton is a button of a reply keyboard.
type KeyboardButton struct {
	Text            string
	RequestContact  bool // pressing it shares the customer's phone number (ShareContact)
	RequestLocation bool
}

// requestFields are the fields of a KeyboardButton that make it ask for
// something; a button has at most one of them.
var requestFields = []string{
	"request_contact", "request_location", "request_poll", "request_users", "request_user", "request_chat", "web_app",
}

// replyMarkup is what a reply_markup does to the customer's keyboard.
type replyMarkup struct {
	keyboard *ReplyKeyboard // a new reply keyboard, or nil
	remove   bool           // remove_keyboard: the letters come back
}

// parseReplyMarkup reads the reply-keyboard side of a reply_markup
// parameter, checked as Telegram checks it for a chat that is private or
// not. Inline keyboards are parseMarkup's.
func parseReplyMarkup(raw string, private bool) (replyMarkup, error) {
	if strings.TrimSpace(raw) == "" {
		return replyMarkup{}, nil
	}
	var markup map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &markup) != nil {
		return replyMarkup{}, errors.New("can't parse reply keyboard markup JSON object")
	}
	if rawRemove, has := markup["remove_keyboard"]; has {
		var remove bool
		if json.Unmarshal(rawRemove, &remove) != nil || !remove {
			return replyMarkup{}, errors.New("field \"remove_keyboard\" of the ReplyKeyboardRemove must be true")
		}
		return replyMarkup{remove: true}, nil
	}
	rawRows, found := markup["keyboard"]
	if !found {
		return replyMarkup{}, nil
	}
	var rows [][]json.RawMessage
	if json.Unmarshal(rawRows, &rows) != nil {
		return replyMarkup{}, errors.New("field \"keyboard\" of the ReplyKeyboardMarkup must be an Array of Arrays")
	}
	k := &ReplyKeyboard{OneTime: flag(markup["one_time_keyboard"]), Resize: flag(markup["resize_keyboard"])}
	for _, row := range rows {
		var buttons []KeyboardButton
		for _, raw := range row {
			b, err := parseKeyboardButton(raw, private)
			if err != nil {
				return replyMarkup{}, err
			}
			buttons = append(buttons, b)
		}
		if len(buttons) > 0 {
			k.Buttons = append(k.Buttons, buttons)
		}
	}
	if len(k.Buttons) == 0 {
		return replyMarkup{}, nil // Telegram shows no keyboard without buttons
	}
	return replyMarkup{keyboard: k}, nil
}

// parseKeyboardButton checks one button of a reply keyboard: a string, or
// an object with its text and at most one request.
func parseKeyboardButton(raw json.RawMessage, private bool) (KeyboardButton, error) {
	var b KeyboardButton
	if json.Unmarshal(raw, &b.Text) == nil {
		if strings.TrimSpace(b.Text) == "" {
			return KeyboardButton{}, errors.New("BUTTON_TEXT_INVALID")
		}
		return b, nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || json.Unmarshal(fields["text"], &b.Text) != nil {
		return KeyboardButton{}, errors.New("can't parse keyboard button: Field \"text\" must be of type String")
	}
	if strings.TrimSpace(b.Text) == "" {
		return KeyboardButton{}, errors.New("BUTTON_TEXT_INVALID")
	}
	requests := 0
	for _, f := range requestFields {
		if v, has := fields[f]; has && string(v) != "false" {
			requests++
		}
	}
	if requests > 1 {
		return KeyboardButton{}, errors.New("can't parse keyboard button: a button can request only one thing")
	}
	b.RequestContact, b.RequestLocation = flag(fields["request_contact"]), flag(fields["request_location"])
	if (b.RequestContact || b.RequestLocation) && !private {
		// "Available in private chats only."
		return KeyboardButton{}, errors.New("BUTTON_TYPE_INVALID")
	}
	return b, nil
}

// flag reads a JSON boolean; anything else is false.
func flag(raw json.RawMessage) bool {
	var b bool
	_ = json.Unmarshal(raw, &b)
	return b
}
