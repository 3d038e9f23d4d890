package telegramsim_test

import (
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/sim/telegramsim"
)

// question sends the bot's message with a row of two buttons to chat 42
// through the real client and returns it as Telegram answered.
func question(t *testing.T, api *tgbotapi.BotAPI) tgbotapi.Message {
	t.Helper()
	msg := tgbotapi.NewMessage(42, "How did we do?")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("bad", "csat:12:1"),
		tgbotapi.NewInlineKeyboardButtonData("great", "csat:12:5"),
	))
	m, err := api.Send(msg)
	if err != nil {
		t.Fatalf("sendMessage with a keyboard: %v", err)
	}
	return m
}

func TestInlineKeyboardsAreRecordedAndShown(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "thanks!")
	m := question(t, api)
	if m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) != 1 || len(m.ReplyMarkup.InlineKeyboard[0]) != 2 {
		t.Fatalf("the answer shows the keyboard %+v, want one row of two", m.ReplyMarkup)
	}
	want := [][]telegramsim.InlineButton{{{Text: "bad", CallbackData: "csat:12:1"}, {Text: "great", CallbackData: "csat:12:5"}}}
	got, ok := s.Message(42, m.MessageID)
	if !ok || !equalKeyboards(got.Keyboard, want) || got.Text != "How did we do?" {
		t.Errorf("Message = %+v, %v; want the question with %+v", got, ok, want)
	}
}

func TestPressButtonSendsACallbackQueryAnsweredOnce(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "thanks!")
	m := question(t, api)

	updateID, queryID := s.PressButton(42, m.MessageID, "csat:12:5", telegramsim.User{})
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: updateID})
	if err != nil || len(updates) != 1 || updates[0].UpdateID != updateID {
		t.Fatalf("getUpdates = %v, %v; want the press as update %d", updateIDs(updates), err, updateID)
	}
	q := updates[0].CallbackQuery
	if q == nil || q.ID != queryID || q.Data != "csat:12:5" || q.From.ID != 42 || q.Message == nil || q.Message.MessageID != m.MessageID || q.Message.Text != "How did we do?" || q.ChatInstance == "" {
		t.Fatalf("callback_query = %+v, want the press of csat:12:5 by chat 42's user on message %d", q, m.MessageID)
	}
	if q.Message.ReplyMarkup == nil || len(q.Message.ReplyMarkup.InlineKeyboard[0]) != 2 {
		t.Errorf("the pressed message shows no keyboard: %+v", q.Message.ReplyMarkup)
	}
	_, queryID2 := s.PressButton(42, m.MessageID, "csat:12:1", jane)
	if queryID2 == queryID {
		t.Errorf("two presses share the query id %s", queryID)
	}

	if _, err := api.Request(tgbotapi.NewCallback(queryID, "Thank you!")); err != nil {
		t.Fatalf("answerCallbackQuery: %v", err)
	}
	for _, id := range []string{queryID, "12345"} { // answered already; never asked
		_, err := api.Request(tgbotapi.NewCallback(id, "again"))
		if err == nil || !strings.Contains(err.Error(), "query ID is invalid") {
			t.Errorf("answerCallbackQuery(%s) = %v, want Telegram's refusal", id, err)
		}
	}
	if _, err := api.Request(tgbotapi.NewCallback(queryID2, strings.Repeat("x", 201))); err == nil || !strings.Contains(err.Error(), "MESSAGE_TOO_LONG") {
		t.Errorf("an answer of 201 characters: %v, want MESSAGE_TOO_LONG", err)
	}
	answers := s.Answers()
	if len(answers) != 1 || answers[0].QueryID != queryID || answers[0].Text != "Thank you!" || answers[0].ShowAlert {
		t.Errorf("Answers = %+v, want one toast for %s", answers, queryID)
	}
}

func TestEditsChangeTheMessageAsTelegramDoes(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "thanks!")
	m := question(t, api)

	// Text without reply_markup: the keyboard goes.
	if _, err := api.Send(tgbotapi.NewEditMessageText(42, m.MessageID, "How did we do?\n\nYou answered 5.")); err != nil {
		t.Fatalf("editMessageText: %v", err)
	}
	got, _ := s.Message(42, m.MessageID)
	if got.Text != "How did we do?\n\nYou answered 5." || got.Keyboard != nil || got.Edits != 1 {
		t.Errorf("after editMessageText: %+v, want the new text without keyboard", got)
	}
	// A keyboard put back, then taken away with an empty one.
	row := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonURL("track", "https://track.example/1")))
	if _, err := api.Send(tgbotapi.NewEditMessageReplyMarkup(42, m.MessageID, row)); err != nil {
		t.Fatalf("editMessageReplyMarkup: %v", err)
	}
	if got, _ := s.Message(42, m.MessageID); len(got.Keyboard) != 1 || got.Keyboard[0][0].URL != "https://track.example/1" {
		t.Errorf("after editMessageReplyMarkup: %+v", got.Keyboard)
	}
	empty := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	if _, err := api.Send(tgbotapi.NewEditMessageReplyMarkup(42, m.MessageID, empty)); err != nil {
		t.Fatalf("editMessageReplyMarkup to nothing: %v", err)
	}

	tests := []struct {
		name string
		edit tgbotapi.Chattable
		desc string
	}{
		{"unchanged", tgbotapi.NewEditMessageText(42, m.MessageID, "How did we do?\n\nYou answered 5."), "message is not modified"},
		{"unchanged keyboard", tgbotapi.NewEditMessageReplyMarkup(42, m.MessageID, empty), "message is not modified"},
		{"the customer's message", tgbotapi.NewEditMessageText(42, 1, "mine now"), "message can't be edited"},
		{"no such message", tgbotapi.NewEditMessageText(42, 99, "x"), "message to edit not found"},
		{"no such chat", tgbotapi.NewEditMessageText(7, m.MessageID, "x"), "chat not found"},
		{"empty text", tgbotapi.NewEditMessageText(42, m.MessageID, " "), "message text is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := api.Send(tc.edit); err == nil || !strings.Contains(err.Error(), tc.desc) {
				t.Errorf("= %v, want %q", err, tc.desc)
			}
		})
	}
	if got, _ := s.Message(42, m.MessageID); got.Edits != 3 {
		t.Errorf("%d edits counted, want the 3 Telegram took", got.Edits)
	}
}

func TestInlineKeyboardsAreCheckedAsTelegramDoes(t *testing.T) {
	s := start(t)
	s.CustomerWrites(42, jane, "thanks!")
	tests := []struct {
		name   string
		markup any
		desc   string
	}{
		{"data of 65 bytes", keyboard(map[string]any{"text": "1", "callback_data": strings.Repeat("x", 65)}), "Bad Request: BUTTON_DATA_INVALID"},
		{"empty data", keyboard(map[string]any{"text": "1", "callback_data": ""}), "Bad Request: BUTTON_DATA_INVALID"},
		{"no action", keyboard(map[string]any{"text": "1"}), "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"},
		{"two actions", keyboard(map[string]any{"text": "1", "callback_data": "a", "url": "https://x.example"}), "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"},
		{"no text", keyboard(map[string]any{"text": " ", "callback_data": "a"}), "Bad Request: BUTTON_TEXT_INVALID"},
		{"bad url", keyboard(map[string]any{"text": "1", "url": "javascript:alert(1)"}), "Bad Request: BUTTON_URL_INVALID"},
		{"not JSON", "{", "Bad Request: can't parse reply keyboard markup JSON object"},
		{"rows not arrays", map[string]any{"inline_keyboard": []any{"x"}}, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := call(t, s, token, "sendMessage", map[string]any{"chat_id": 42, "text": "rate us", "reply_markup": tc.markup})
			if code != 400 || out["description"] != tc.desc {
				t.Errorf("= %d %v, want 400 %q", code, out, tc.desc)
			}
		})
	}
	// 64 bytes is the limit, not past it.
	code, out := call(t, s, token, "sendMessage", map[string]any{"chat_id": 42, "text": "rate us", "reply_markup": keyboard(map[string]any{"text": "1", "callback_data": strings.Repeat("é", 32)})})
	if code != 200 || len(s.Sent()) != 1 {
		t.Errorf("callback_data of 64 bytes: %d %v", code, out)
	}
}

func TestPressButtonPanicsOnAButtonNotOnScreen(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "thanks!")
	m := question(t, api)
	if _, err := api.Send(tgbotapi.NewEditMessageText(42, m.MessageID, "Thanks!")); err != nil {
		t.Fatal(err)
	}
	for _, press := range []func(){
		func() { s.PressButton(42, m.MessageID, "csat:12:5", jane) }, // the keyboard is gone
		func() { s.PressButton(42, 1, "csat:12:5", jane) },           // the customer's own message
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("PressButton did not panic")
				}
			}()
			press()
		}()
	}
	if s.Pending() != 1 {
		t.Errorf("%d updates queued, want only the customer's message", s.Pending())
	}
}

// keyboard is an inline keyboard of one button with fields.
func keyboard(fields map[string]any) map[string]any {
	return map[string]any{"inline_keyboard": [][]map[string]any{{fields}}}
}

func equalKeyboards(a, b [][]telegramsim.InlineButton) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}
