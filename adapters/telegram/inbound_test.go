package telegram_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/telegram"
	"caredesk/bot"
)

const date = 1700000000

// message is a private-chat message from Jane with the given fields added.
func message(id int, fields map[string]any) map[string]any {
	m := map[string]any{
		"message_id": id,
		"from":       map[string]any{"id": 42, "is_bot": false, "first_name": "Jane", "last_name": "Doe", "username": "jane"},
		"chat":       map[string]any{"id": 42, "type": "private", "first_name": "Jane"},
		"date":       date,
	}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

var photo = []map[string]any{{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 51}}

// janeSays is the Inbound for Jane's message 7 of update 501 with text.
func janeSays(text string) *bot.Inbound {
	return &bot.Inbound{
		Source: "telegram", EventID: "501", MessageID: "7", Conversation: "42",
		Customer: bot.Customer{ID: "42", Name: "Jane Doe", Handle: "jane"},
		Text:     text, At: time.Unix(date, 0).UTC(), Private: true,
	}
}

func TestUpdatesBecomeInbounds(t *testing.T) {
	hello := janeSays("/start")
	hello.Hello = true
	helloPayload := janeSays("/start promo-42")
	helloPayload.Hello = true
	edited := janeSays("(edited) my parcel is lost")
	edited.MessageID = ""
	edited.At = time.Unix(date+60, 0).UTC()
	noLastName := janeSays("hi")
	noLastName.Customer = bot.Customer{ID: "43", Name: "Bob"}
	noLastName.Conversation = "43"
	turkish := janeSays("kargom nerede?")
	turkish.Language = "tr"
	brazilian := janeSays("cadê meu pedido?")
	brazilian.Language = "pt-br"
	inGroup := janeSays("is the shop open?")
	inGroup.Conversation, inGroup.Private = "-1001234567890", false
	ownNumber := janeSays("")
	ownNumber.Contact = &bot.Contact{Phone: "+905551234567", FirstName: "Jane", LastName: "Doe", UserID: "42"}
	mumsCard := janeSays("")
	mumsCard.Contact = &bot.Contact{Phone: "+48600100200", FirstName: "Mum", UserID: "1234"}
	offTelegram := janeSays("")
	offTelegram.Contact = &bot.Contact{Phone: "+15550100", FirstName: "Plumber"}
	with := func(from map[string]any) map[string]any {
		f := map[string]any{"id": 42, "is_bot": false, "first_name": "Jane", "last_name": "Doe", "username": "jane"}
		for k, v := range from {
			f[k] = v
		}
		return f
	}

	tests := []struct {
		name   string
		update map[string]any
		want   *bot.Inbound // nil: acknowledged, nothing reaches the core
	}{
		{"text", map[string]any{"message": message(7, map[string]any{"text": "my parcel is late"})}, janeSays("my parcel is late")},
		{"/start opens a conversation", map[string]any{"message": message(7, map[string]any{"text": "/start"})}, hello},
		{"/start with a deep-link payload", map[string]any{"message": message(7, map[string]any{"text": "/start promo-42"})}, helloPayload},
		{"a word that begins like /start", map[string]any{"message": message(7, map[string]any{"text": "/startled by the bill"})}, janeSays("/startled by the bill")},
		{"photo with a caption", map[string]any{"message": message(7, map[string]any{"photo": photo, "caption": "it arrived broken"})}, janeSays("it arrived broken")},
		{"photo without a caption", map[string]any{"message": message(7, map[string]any{"photo": photo})}, janeSays("[photo]")},
		{"sticker", map[string]any{"message": message(7, map[string]any{"sticker": map[string]any{"file_id": "C", "file_unique_id": "D", "width": 512, "height": 512, "emoji": "😡"}})}, janeSays("[sticker]")},
		{"voice", map[string]any{"message": message(7, map[string]any{"voice": map[string]any{"file_id": "V", "file_unique_id": "W", "duration": 4}})}, janeSays("[voice message]")},
		{"document", map[string]any{"message": message(7, map[string]any{"document": map[string]any{"file_id": "F", "file_unique_id": "G", "file_name": "invoice.pdf"}})}, janeSays("[document: invoice.pdf]")},
		{"location", map[string]any{"message": message(7, map[string]any{"location": map[string]any{"latitude": 41.0, "longitude": 29.0}})}, janeSays("[location]")},
		{"edited message", map[string]any{"edited_message": message(7, map[string]any{"text": "my parcel is lost", "edit_date": date + 60})}, edited},
		{"no last name, no username", map[string]any{"message": map[string]any{
			"message_id": 7, "date": date, "text": "hi",
			"from": map[string]any{"id": 43, "is_bot": false, "first_name": "Bob"},
			"chat": map[string]any{"id": 43, "type": "private"}}}, noLastName},
		{"message from a bot", map[string]any{"message": message(7, map[string]any{"text": "spam", "from": map[string]any{"id": 99, "is_bot": true, "first_name": "Spammer"}})}, nil},
		{"callback query", map[string]any{"callback_query": map[string]any{"id": "1", "from": map[string]any{"id": 42, "is_bot": false, "first_name": "Jane"}, "chat_instance": "x", "data": "claim"}}, nil},
		{"blocked the bot", map[string]any{"my_chat_member": map[string]any{"chat": map[string]any{"id": 42, "type": "private"}, "from": map[string]any{"id": 42, "first_name": "Jane"}, "date": date,
			"old_chat_member": map[string]any{"status": "member", "user": map[string]any{"id": 1, "is_bot": true, "first_name": "b"}},
			"new_chat_member": map[string]any{"status": "kicked", "user": map[string]any{"id": 1, "is_bot": true, "first_name": "b"}}}}, nil},
		{"service message", map[string]any{"message": message(7, map[string]any{"new_chat_title": "Support"})}, nil},
		{"the language of the customer's app", map[string]any{"message": message(7, map[string]any{"text": "kargom nerede?", "from": with(map[string]any{"language_code": "tr"})})}, turkish},
		{"a regional language tag, as Telegram sends it", map[string]any{"message": message(7, map[string]any{"text": "cadê meu pedido?", "from": with(map[string]any{"language_code": " pt-br "})})}, brazilian},
		{"a supergroup is not private", map[string]any{"message": message(7, map[string]any{"text": "is the shop open?", "chat": map[string]any{"id": -1001234567890, "type": "supergroup", "title": "Fans"}})}, inGroup},
		{"the customer's own number", map[string]any{"message": message(7, map[string]any{"contact": map[string]any{"phone_number": "+905551234567", "first_name": "Jane", "last_name": "Doe", "user_id": 42}})}, ownNumber},
		{"someone else's card", map[string]any{"message": message(7, map[string]any{"contact": map[string]any{"phone_number": "+48600100200", "first_name": "Mum", "user_id": 1234}})}, mumsCard},
		{"a card of someone not on Telegram", map[string]any{"message": message(7, map[string]any{"contact": map[string]any{"phone_number": "+15550100", "first_name": "Plumber"}})}, offTelegram},
	}
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{WebhookURL: "https://caredesk.test/telegram/webhook", WebhookSecret: secret})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			tc.update["update_id"] = 501
			body, _ := json.Marshal(tc.update)
			req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(string(body)))
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			w := httptest.NewRecorder()
			c.WebhookHandler(rec, telegram.WebhookOptions{}).ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200 (acknowledged): %s", w.Code, w.Body)
			}
			got := rec.got()
			switch {
			case tc.want == nil && len(got) != 0:
				t.Errorf("got %+v, want nothing for the core", got)
			case tc.want != nil && (len(got) != 1 || !reflect.DeepEqual(got[0], *tc.want)):
				t.Errorf("got %+v\nwant %+v", got, *tc.want)
			}
		})
	}
}
