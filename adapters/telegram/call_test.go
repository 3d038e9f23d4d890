package telegram_test

import (
	"reflect"
	"strings"
	"testing"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

var ayse = telegramsim.User{ID: 77, FirstName: "Ayşe", LanguageCode: "tr"}

// callButton is the keyboard the call question brings: one button that
// shares the customer's number and hides once pressed.
var callButton = &telegramsim.ReplyKeyboard{
	Buttons: [][]telegramsim.KeyboardButton{{{Text: "📞", RequestContact: true}}},
	OneTime: true, Resize: true,
}

func TestTheCallQuestionBringsTheNumberButton(t *testing.T) {
	long := strings.Repeat("Bir temsilcimiz sizi aramak istiyor. ", 120) // over 4096: two parts
	tests := []struct {
		name     string
		chat     string
		text     string
		parts    int
		keyboard *telegramsim.ReplyKeyboard // on the last part; nil: words alone
	}{
		{"in a private chat", "77", "Sizi hangi numaradan arayabiliriz?", 1, callButton},
		{"a long question: the button under its last part", "77", long, 2, callButton},
		{"in a group, where Telegram offers no such button", "-1001234567890", "May we call you?", 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t)
			s.CustomerWrites(77, ayse, "kargom nerede?")
			s.Push(map[string]any{"message": map[string]any{"from": jane, "chat": map[string]any{"id": -1001234567890, "type": "supergroup", "title": "Fans"}, "text": "hi all"}})
			c, _ := newClient(t, s, telegram.Options{})
			ref, err := c.Send(testContext(t), bot.Outgoing{Conversation: tc.chat, ReplyTo: "1", Text: tc.text, Purpose: bot.ForCall, Key: "caredesk-call-1"})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := s.Sent()
			if len(sent) != tc.parts {
				t.Fatalf("sent %d messages, want %d", len(sent), tc.parts)
			}
			last := sent[len(sent)-1]
			if ref != refOf(sent, 0) || sent[0].ReplyTo != 0 {
				t.Errorf("ref %q, first part replies to %d; want every part's id %q, quoting nothing", ref, sent[0].ReplyTo, refOf(sent, 0))
			}
			if !reflect.DeepEqual(last.ReplyKeyboard, tc.keyboard) {
				t.Errorf("the customer's keyboard %+v, want %+v", last.ReplyKeyboard, tc.keyboard)
			}
			for _, m := range sent[:len(sent)-1] {
				if m.ReplyKeyboard != nil || m.Keyboard != nil {
					t.Errorf("an earlier part carries buttons: %+v", m)
				}
			}
		})
	}
}

func TestASharedNumberReachesTheCore(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{})
	rec := newRecorder()
	s.CustomerWrites(77, ayse, "kargom nerede?")
	if _, err := c.Send(testContext(t), bot.Outgoing{Conversation: "77", Text: "Sizi hangi numaradan arayabiliriz?", Purpose: bot.ForCall}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	shared := s.ShareContact(77, ayse, telegramsim.Contact{PhoneNumber: "+905551234567"})
	rec.failOnce(itoa(shared), errStore) // not stored: Telegram delivers it again
	card := s.SendContactCard(77, ayse, telegramsim.Contact{PhoneNumber: "+905559876543", FirstName: "Annem", UserID: 1234})
	poll(t, c, rec)

	got := rec.waitStored(t, 3)[1:]
	want := []struct {
		event   int
		contact bot.Contact
	}{
		{shared, bot.Contact{Phone: "+905551234567", FirstName: "Ayşe", UserID: "77"}},
		{card, bot.Contact{Phone: "+905559876543", FirstName: "Annem", UserID: "1234"}}, // someone else's: the core decides
	}
	for i, w := range want {
		in := got[i]
		if in.EventID != itoa(w.event) || in.Contact == nil || *in.Contact != w.contact || in.Text != "" ||
			!in.Private || in.Language != "tr" || in.Customer.ID != "77" || in.Conversation != "77" || in.MessageID == "" {
			t.Errorf("stored %+v (contact %+v), want update %d with %+v, no text, from Ayşe's private chat in Turkish", in, in.Contact, w.event, w.contact)
		}
	}
	if rec.tries(itoa(shared)) != 2 {
		t.Errorf("the shared number was tried %d times, want 2 (failed, then stored)", rec.tries(itoa(shared)))
	}
	waitSim(t, s, "both confirmed", func() bool { return s.Offset() > card })
}
