package telegramsim_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/sim/telegramsim"
)

// clock is a time a test moves by hand, for SetClock. The simulator reads
// it on its own goroutines, hence the lock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// setClock gives s a clock that starts at a whole second and moves only
// when the test says.
func setClock(s *telegramsim.Server) *clock {
	c := &clock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
	s.SetClock(c.now)
	return c
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sendText sends text to chat 42 through the real client.
func sendText(t *testing.T, api *tgbotapi.BotAPI, text string) tgbotapi.Message {
	t.Helper()
	m, err := api.Send(tgbotapi.NewMessage(42, text))
	if err != nil {
		t.Fatalf("sendMessage: %v", err)
	}
	return m
}

// sendPhoto sends a small photo with caption to chat 42.
func sendPhoto(t *testing.T, api *tgbotapi.BotAPI, caption string) tgbotapi.Message {
	t.Helper()
	p := tgbotapi.NewPhoto(42, tgbotapi.FileBytes{Name: "p.jpg", Bytes: []byte("jpeg")})
	p.Caption = caption
	m, err := api.Send(p)
	if err != nil {
		t.Fatalf("sendPhoto: %v", err)
	}
	return m
}

func TestEditMessageTextKeepsTheEarlierTexts(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	c := setClock(s)
	s.CustomerWrites(42, jane, "status?")
	m := sendText(t, api, "Looking…")
	c.advance(time.Minute)
	for _, text := range []string{"Found it.", "Found it: out for delivery."} {
		edited, err := api.Send(tgbotapi.NewEditMessageText(42, m.MessageID, text))
		if err != nil {
			t.Fatalf("editMessageText(%q): %v", text, err)
		}
		if edited.Text != text || edited.MessageID != m.MessageID || edited.EditDate != int(c.now().Unix()) || edited.Date != m.Date {
			t.Errorf("answer = %+v, want the new text, the first date, edit_date now", edited)
		}
	}
	got, _ := s.Message(42, m.MessageID)
	if got.Text != "Found it: out for delivery." || !slices.Equal(got.Earlier, []string{"Looking…", "Found it."}) || got.Edits != 2 || !got.EditedAt.Equal(c.now()) {
		t.Errorf("Message = %+v, want the last text and the two before it", got)
	}
}

func TestEditMessageCaptionChangesACaption(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "label?")
	m := sendPhoto(t, api, "The label")
	edited, err := api.Send(tgbotapi.NewEditMessageCaption(42, m.MessageID, "The label, front side"))
	if err != nil {
		t.Fatalf("editMessageCaption: %v", err)
	}
	if edited.Caption != "The label, front side" || len(edited.Photo) != 2 || edited.EditDate == 0 {
		t.Errorf("answer = %+v, want the photo with its new caption", edited)
	}
	got, _ := s.Message(42, m.MessageID)
	if got.Caption != "The label, front side" || !slices.Equal(got.Earlier, []string{"The label"}) || len(got.Files) != 1 {
		t.Errorf("Message = %+v", got)
	}
}

func TestEditsAreRefusedAsTelegramRefusesThem(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	s.CustomerWrites(42, jane, "hi")
	text := sendText(t, api, "Hello!")
	photo := sendPhoto(t, api, "A photo")
	gone := sendText(t, api, "Oops")
	if _, err := api.Request(tgbotapi.NewDeleteMessage(42, gone.MessageID)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit tgbotapi.Chattable
		desc string
	}{
		{"same text", tgbotapi.NewEditMessageText(42, text.MessageID, "Hello!"), "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"},
		{"same caption", tgbotapi.NewEditMessageCaption(42, photo.MessageID, "A photo"), "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"},
		{"text of a photo", tgbotapi.NewEditMessageText(42, photo.MessageID, "words"), "Bad Request: there is no text in the message to edit"},
		{"caption of a text", tgbotapi.NewEditMessageCaption(42, text.MessageID, "words"), "Bad Request: there is no caption in the message to edit"},
		{"caption too long", tgbotapi.NewEditMessageCaption(42, photo.MessageID, strings.Repeat("a", 1025)), "Bad Request: message caption is too long"},
		{"a deleted message", tgbotapi.NewEditMessageText(42, gone.MessageID, "back"), "Bad Request: message to edit not found"},
		{"in another chat", tgbotapi.NewEditMessageText(43, text.MessageID, "x"), "Bad Request: chat not found"},
		{"no such message", tgbotapi.NewEditMessageText(42, 99, "x"), "Bad Request: message to edit not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.Send(tc.edit)
			wantRefusal(t, err, tc.desc)
		})
	}
	for _, id := range []int{text.MessageID, photo.MessageID} {
		if m, _ := s.Message(42, id); m.Edits != 0 || m.Earlier != nil {
			t.Errorf("message %d was changed: %+v", id, m)
		}
	}
}

func TestDeleteMessageWithinTwoDays(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	c := setClock(s)
	s.CustomerWrites(42, jane, "my card number is 4111…") // message 1
	old := sendText(t, api, "Please don't share it here.")
	c.advance(48*time.Hour - time.Second)
	recent := sendText(t, api, "Deleting it for you.")
	c.advance(time.Second) // old is now 48 hours old, recent a second

	tests := []struct {
		name string
		id   int
		desc string // "" for success
	}{
		{"the bot's message", recent.MessageID, ""},
		{"the customer's message, 48 hours old", 1, "Bad Request: message can't be deleted for everyone"},
		{"a message 48 hours old", old.MessageID, "Bad Request: message can't be deleted for everyone"},
		{"deleted already", recent.MessageID, "Bad Request: message to delete not found"},
		{"no such message", 99, "Bad Request: message to delete not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := api.Request(tgbotapi.NewDeleteMessage(42, tc.id))
			if tc.desc == "" {
				if err != nil || string(resp.Result) != "true" {
					t.Errorf("= %v, %v; want true", resp, err)
				}
				return
			}
			wantRefusal(t, err, tc.desc)
		})
	}
	if m, _ := s.Message(42, recent.MessageID); !m.Deleted || !s.Deleted(42, recent.MessageID) {
		t.Errorf("Message = %+v, want it deleted", m)
	}
	if m, _ := s.Message(42, old.MessageID); m.Deleted {
		t.Error("the refused deletion deleted the message")
	}

	// A customer's message younger than 48 hours goes.
	s.CustomerWrites(42, jane, "oops, wrong chat")
	fresh := s.LastMessageID(42)
	if _, err := api.Request(tgbotapi.NewDeleteMessage(42, fresh)); err != nil || !s.Deleted(42, fresh) {
		t.Errorf("deleting the customer's message %d: %v", fresh, err)
	}
}

func TestCustomerEditsArriveAsEditedMessages(t *testing.T) {
	s := start(t)
	api := connect(t, s)
	c := setClock(s)
	s.CustomerWrites(42, jane, "my order is 1024")
	s.CustomerSendsPhoto(42, jane, []byte("jpeg"), "the box")
	sentAt := c.now().Unix()
	c.advance(90 * time.Second)
	s.CustomerEdits(42, jane, 1, "my order is 1042")
	s.CustomerEdits(42, jane, 2, "the box, crushed")
	s.CustomerEdits(42, jane, 77, "an edit of a message the bot never saw")

	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 5 {
		t.Fatalf("getUpdates = %v, %v; want 5", updateIDs(updates), err)
	}
	edits := updates[2:]
	tests := []struct {
		id            int
		text, caption string
		date          int64
	}{
		{1, "my order is 1042", "", sentAt},
		{2, "", "the box, crushed", sentAt},
		{77, "an edit of a message the bot never saw", "", c.now().Unix()},
	}
	for i, tc := range tests {
		u := edits[i]
		m := u.EditedMessage
		if u.Message != nil || m == nil {
			t.Fatalf("update %d = %+v, want an edited_message", u.UpdateID, u)
		}
		if m.MessageID != tc.id || m.Text != tc.text || m.Caption != tc.caption || int64(m.Date) != tc.date || int64(m.EditDate) != c.now().Unix() || m.From.ID != jane.ID || m.Chat.ID != 42 {
			t.Errorf("edited_message = %+v, want message %d with %q/%q, date %d, edit_date %d", m, tc.id, tc.text, tc.caption, tc.date, c.now().Unix())
		}
	}
	if len(edits[1].EditedMessage.Photo) != 2 {
		t.Errorf("the edited photo lost its sizes: %+v", edits[1].EditedMessage.Photo)
	}
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: updates[4].UpdateID + 1}); err != nil {
		t.Fatal(err)
	}
	// A second edit starts from the first.
	s.CustomerEdits(42, jane, 2, "the box, crushed (left side)")
	if m := onlyUpdate(t, api).EditedMessage; m == nil || m.Caption != "the box, crushed (left side)" || len(m.Photo) != 2 {
		t.Errorf("second edit = %+v", m)
	}
}
