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

// photo is how Telegram sends a photo: in several sizes, smallest first.
var photo = []map[string]any{
	{"file_id": "AgAD-thumb", "file_unique_id": "AQAD1", "width": 90, "height": 51, "file_size": 1203},
	{"file_id": "AgAD-full", "file_unique_id": "AQAD3", "width": 1280, "height": 720, "file_size": 104211},
	{"file_id": "AgAD-mid", "file_unique_id": "AQAD2", "width": 320, "height": 180, "file_size": 11020},
}

// janeSends is janeSays with a file.
func janeSends(text string, f bot.Attachment) *bot.Inbound {
	in := janeSays(text)
	f.From = "telegram"
	in.Files = []bot.Attachment{f}
	return in
}

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
	edited := janeSays("my parcel is lost")
	edited.Edit, edited.At = true, time.Unix(date+60, 0).UTC()
	fullPhoto := bot.Attachment{Kind: bot.FilePhoto, Name: "photo.jpg", MIME: "image/jpeg", Size: 104211, Origin: "AgAD-full"}
	// An edit carries the message's file as it is now: the core shows one
	// it has not seen (a replaced photo).
	editedCaption := janeSends("it arrived broken, see the corner", fullPhoto)
	editedCaption.Edit, editedCaption.At = true, time.Unix(date+60, 0).UTC()
	editedStart := janeSays("/start")
	editedStart.Edit, editedStart.At = true, time.Unix(date+60, 0).UTC()
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
		{"photo with a caption: its largest size", map[string]any{"message": message(7, map[string]any{"photo": photo, "caption": "it arrived broken"})}, janeSends("it arrived broken", fullPhoto)},
		{"photo without a caption", map[string]any{"message": message(7, map[string]any{"photo": photo})}, janeSends("[photo]", fullPhoto)},
		{"sticker", map[string]any{"message": message(7, map[string]any{"sticker": map[string]any{"file_id": "C", "file_unique_id": "D", "width": 512, "height": 512, "emoji": "😡", "file_size": 20480}})},
			janeSends("[sticker]", bot.Attachment{Kind: bot.FileSticker, Name: "sticker.webp", MIME: "image/webp", Size: 20480, Origin: "C"})},
		{"animated sticker", map[string]any{"message": message(7, map[string]any{"sticker": map[string]any{"file_id": "C", "file_unique_id": "D", "width": 512, "height": 512, "is_animated": true}})},
			janeSends("[sticker]", bot.Attachment{Kind: bot.FileSticker, Name: "sticker.tgs", MIME: "application/x-tgsticker", Origin: "C"})},
		{"video sticker", map[string]any{"message": message(7, map[string]any{"sticker": map[string]any{"file_id": "C", "file_unique_id": "D", "width": 512, "height": 512, "is_video": true}})},
			janeSends("[sticker]", bot.Attachment{Kind: bot.FileSticker, Name: "sticker.webm", MIME: "video/webm", Origin: "C"})},
		{"voice", map[string]any{"message": message(7, map[string]any{"voice": map[string]any{"file_id": "V", "file_unique_id": "W", "duration": 4, "file_size": 9000}})},
			janeSends("[voice message]", bot.Attachment{Kind: bot.FileVoice, Name: "voice.ogg", MIME: "audio/ogg", Size: 9000, Origin: "V"})},
		{"video message", map[string]any{"message": message(7, map[string]any{"video_note": map[string]any{"file_id": "N", "file_unique_id": "O", "length": 384, "duration": 9}})},
			janeSends("[video message]", bot.Attachment{Kind: bot.FileVideo, Name: "video-note.mp4", MIME: "video/mp4", Origin: "N"})},
		{"video with its name", map[string]any{"message": message(7, map[string]any{"video": map[string]any{"file_id": "M", "file_unique_id": "P", "width": 1280, "height": 720, "duration": 9, "file_name": "unboxing.mov", "mime_type": "video/quicktime"}, "caption": "look"})},
			janeSends("look", bot.Attachment{Kind: bot.FileVideo, Name: "unboxing.mov", MIME: "video/quicktime", Origin: "M"})},
		{"a GIF is one animation, not also a document", map[string]any{"message": message(7, map[string]any{
			"animation": map[string]any{"file_id": "A", "file_unique_id": "B", "width": 480, "height": 270, "duration": 2},
			"document":  map[string]any{"file_id": "A", "file_unique_id": "B"}})},
			janeSends("[GIF]", bot.Attachment{Kind: bot.FileAnimation, Name: "animation.mp4", MIME: "video/mp4", Origin: "A"})},
		{"audio without a name", map[string]any{"message": message(7, map[string]any{"audio": map[string]any{"file_id": "U", "file_unique_id": "X", "duration": 200, "title": "Jingle", "mime_type": "audio/mpeg"}})},
			janeSends("[audio: Jingle]", bot.Attachment{Kind: bot.FileAudio, Name: "audio.mp3", MIME: "audio/mpeg", Origin: "U"})},
		{"document", map[string]any{"message": message(7, map[string]any{"document": map[string]any{"file_id": "F", "file_unique_id": "G", "file_name": "invoice.pdf", "mime_type": "application/pdf", "file_size": 51234}})},
			janeSends("[document: invoice.pdf]", bot.Attachment{Kind: bot.FileDocument, Name: "invoice.pdf", MIME: "application/pdf", Size: 51234, Origin: "F"})},
		{"document without a name", map[string]any{"message": message(7, map[string]any{"document": map[string]any{"file_id": "F", "file_unique_id": "G", "mime_type": "application/pdf"}})},
			janeSends("[document]", bot.Attachment{Kind: bot.FileDocument, Name: "document.pdf", MIME: "application/pdf", Origin: "F"})},
		{"location", map[string]any{"message": message(7, map[string]any{"location": map[string]any{"latitude": 41.0, "longitude": 29.0}})}, janeSays("[location]")},
		{"edited message: the original's id", map[string]any{"edited_message": message(7, map[string]any{"text": "my parcel is lost", "edit_date": date + 60})}, edited},
		{"edited caption of a photo", map[string]any{"edited_message": message(7, map[string]any{"photo": photo, "caption": "it arrived broken, see the corner", "edit_date": date + 60})}, editedCaption},
		{"an edit to /start opens nothing", map[string]any{"edited_message": message(7, map[string]any{"text": "/start", "edit_date": date + 60})}, editedStart},
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
