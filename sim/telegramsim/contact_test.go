package telegramsim_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/sim/telegramsim"
)

// askForNumber sends the customer in chatID a keyboard with a
// request_contact button, as the real library does.
func askForNumber(t *testing.T, api *tgbotapi.BotAPI, chatID int64) tgbotapi.Message {
	t.Helper()
	msg := tgbotapi.NewMessage(chatID, "May we call you?")
	k := tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact("📞")))
	k.OneTimeKeyboard = true
	msg.ReplyMarkup = k
	m, err := api.Send(msg)
	if err != nil {
		t.Fatalf("sendMessage with a request_contact button: %v", err)
	}
	return m
}

// panics reports whether f panicked.
func panics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}

func TestUpdatesCarryTheCustomersLanguage(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	ayse := telegramsim.User{ID: 77, FirstName: "Ayşe", LanguageCode: "tr"}
	s.CustomerWrites(77, ayse, "kargom nerede?")
	s.CustomerWrites(42, jane, "where is my parcel?")
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range updates {
		got = append(got, u.Message.From.LanguageCode)
	}
	if want := []string{"tr", ""}; !slices.Equal(got, want) {
		t.Errorf("language codes %q, want %q", got, want)
	}
}

func TestShareContactAnswersTheRequestContactButton(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "please call me")
	m := askForNumber(t, api, 42)

	sent, _ := s.Message(42, m.MessageID)
	want := &telegramsim.ReplyKeyboard{Buttons: [][]telegramsim.KeyboardButton{{{Text: "📞", RequestContact: true}}}, OneTime: true, Resize: true}
	if !reflect.DeepEqual(sent.ReplyKeyboard, want) || sent.Keyboard != nil {
		t.Errorf("recorded keyboard %+v, want %+v and no inline keyboard", sent.ReplyKeyboard, want)
	}
	first := s.Offset()
	s.ShareContact(42, jane, telegramsim.Contact{PhoneNumber: "+905551234567"})
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: first})
	if err != nil {
		t.Fatal(err)
	}
	c := updates[len(updates)-1].Message.Contact
	if c == nil || *c != (tgbotapi.Contact{PhoneNumber: "+905551234567", FirstName: "Jane", LastName: "Doe", UserID: 42}) {
		t.Errorf("contact %+v, want Jane's own card", c)
	}
}

func TestShareContactPanicsWithoutTheButton(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "hello")
	card := telegramsim.Contact{PhoneNumber: "+48600100200"}
	if !panics(func() { s.ShareContact(42, jane, card) }) {
		t.Error("ShareContact in a chat never shown the button did not panic")
	}
	askForNumber(t, api, 42)
	if !panics(func() { s.ShareContact(42, jane, telegramsim.Contact{PhoneNumber: "+1", UserID: 99}) }) {
		t.Error("ShareContact of someone else's card did not panic")
	}
	remove := tgbotapi.NewMessage(42, "Never mind.")
	remove.ReplyMarkup = tgbotapi.NewRemoveKeyboard(false)
	if _, err := api.Send(remove); err != nil {
		t.Fatal(err)
	}
	if !panics(func() { s.ShareContact(42, jane, card) }) {
		t.Error("ShareContact after remove_keyboard did not panic")
	}
	// A card from the attachment menu needs no button, and may be anyone's.
	before := s.Pending()
	s.SendContactCard(42, jane, telegramsim.Contact{PhoneNumber: "+48600100200", FirstName: "Mum", UserID: 1234})
	if s.Pending() != before+1 {
		t.Errorf("SendContactCard queued %d updates, want 1", s.Pending()-before)
	}
}

func TestReplyKeyboardsAreCheckedAsTelegramDoes(t *testing.T) {
	s := start(t)
	s.CustomerWrites(42, jane, "hello")
	s.Push(map[string]any{"message": map[string]any{"from": jane, "chat": map[string]any{"id": -100, "type": "supergroup", "title": "Fans"}, "text": "hi all"}})
	contact := map[string]any{"text": "📞", "request_contact": true}
	tests := []struct {
		name   string
		chat   int64
		markup any
		desc   string // "" for accepted
	}{
		{"request_contact in a private chat", 42, map[string]any{"keyboard": [][]any{{contact}}}, ""},
		{"plain strings as buttons", 42, map[string]any{"keyboard": [][]any{{"yes", "no"}}}, ""},
		{"request_contact in a group", -100, map[string]any{"keyboard": [][]any{{contact}}}, "Bad Request: BUTTON_TYPE_INVALID"},
		{"text buttons in a group", -100, map[string]any{"keyboard": [][]any{{"yes"}}}, ""},
		{"rows not arrays", 42, map[string]any{"keyboard": []any{"x"}}, "Bad Request: field \"keyboard\" of the ReplyKeyboardMarkup must be an Array of Arrays"},
		{"empty text", 42, map[string]any{"keyboard": [][]any{{map[string]any{"text": " ", "request_contact": true}}}}, "Bad Request: BUTTON_TEXT_INVALID"},
		{"two requests", 42, map[string]any{"keyboard": [][]any{{map[string]any{"text": "x", "request_contact": true, "request_location": true}}}}, "Bad Request: can't parse keyboard button: a button can request only one thing"},
		{"remove_keyboard false", 42, map[string]any{"remove_keyboard": false}, "Bad Request: field \"remove_keyboard\" of the ReplyKeyboardRemove must be true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := call(t, s, token, "sendMessage", map[string]any{"chat_id": tc.chat, "text": "May we call you?", "reply_markup": tc.markup})
			switch {
			case tc.desc == "" && code != 200:
				t.Errorf("= %d %v, want it accepted", code, out)
			case tc.desc != "" && (code != 400 || out["description"] != tc.desc):
				t.Errorf("= %d %v, want 400 %q", code, out, tc.desc)
			}
		})
	}
}

func TestBlockBotRefusesMessagesUntilUnblocked(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	ayse := telegramsim.User{ID: 77, FirstName: "Ayşe", LanguageCode: "tr"}
	s.CustomerWrites(77, ayse, "kargom nerede?")
	blocked := s.BlockBot(77, ayse)

	_, err := api.Send(tgbotapi.NewMessage(77, "Hello Ayşe"))
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) || apiErr.Code != 403 || apiErr.Message != "Forbidden: bot was blocked by the user" {
		t.Fatalf("sendMessage to a blocked chat: %v, want 403 Forbidden: bot was blocked by the user", err)
	}
	if len(s.Sent()) != 0 {
		t.Errorf("a refused message was recorded as sent: %+v", s.Sent())
	}
	unblocked := s.UnblockBot(77, ayse)
	if _, err := api.Send(tgbotapi.NewMessage(77, "Hello again")); err != nil {
		t.Errorf("sendMessage after UnblockBot: %v", err)
	}

	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: blocked})
	if err != nil {
		t.Fatal(err)
	}
	if got := updateIDs(updates); !slices.Equal(got, []int{blocked, unblocked}) {
		t.Fatalf("updates %v, want %v", got, []int{blocked, unblocked})
	}
	for i, want := range [][2]string{{"member", "kicked"}, {"kicked", "member"}} {
		m := updates[i].MyChatMember
		if m == nil || m.Chat.ID != 77 || m.Chat.Type != "private" || m.From.ID != 77 || m.From.LanguageCode != "tr" ||
			m.OldChatMember.Status != want[0] || m.NewChatMember.Status != want[1] || !m.NewChatMember.User.IsBot || m.Date == 0 {
			t.Errorf("update %d: my_chat_member %+v, want %s → %s in Ayşe's private chat", updates[i].UpdateID, m, want[0], want[1])
		}
	}
	if !panics(func() { s.UnblockBot(77, ayse) }) {
		t.Error("UnblockBot of a bot not blocked did not panic")
	}
	s.Push(map[string]any{"message": map[string]any{"from": jane, "chat": map[string]any{"id": -100, "type": "group", "title": "Fans"}, "text": "hi all"}})
	if !panics(func() { s.BlockBot(-100, jane) }) {
		t.Error("BlockBot in a group did not panic")
	}
}

func TestAllowedUpdatesChooseWhatTelegramMakes(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	// Another program asked for messages only.
	s.SetAllowedUpdates([]string{"message"})
	s.CustomerWrites(42, jane, "hello")
	dropped := s.BlockBot(42, jane)
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{}); err != nil { // leaves the setting as it is
		t.Fatal(err)
	}
	if s.Pending() != 1 || s.AllowedUpdates()[0] != "message" {
		t.Fatalf("pending %d, allowed %q: want the block left out", s.Pending(), s.AllowedUpdates())
	}
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{AllowedUpdates: []string{"message", "my_chat_member"}}); err != nil {
		t.Fatal(err)
	}
	if got := s.AllowedUpdates(); !slices.Equal(got, []string{"message", "my_chat_member"}) {
		t.Errorf("AllowedUpdates = %q", got)
	}
	kept := s.UnblockBot(42, jane)
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: dropped})
	if err != nil {
		t.Fatal(err)
	}
	if got := updateIDs(updates); !slices.Equal(got, []int{kept}) {
		t.Errorf("updates %v, want only %d, made after my_chat_member was allowed", got, kept)
	}
	// An empty list is Telegram's default again.
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{AllowedUpdates: []string{}}); err != nil {
		t.Fatal(err)
	}
	if got := s.AllowedUpdates(); got != nil {
		t.Errorf("AllowedUpdates after [] = %q, want nil (the default)", got)
	}
}
