package storetest

import (
	"testing"
	"time"

	"caredesk/bot"
)

func testMessageBySource(t *testing.T, s bot.Store) {
	tk := createTicket(t, s, bot.Ticket{Source: "telegram", Conversation: "100", Customer: bot.Customer{ID: "42"}, State: bot.Open})
	elsewhere := createTicket(t, s, bot.Ticket{Source: "telegram", Conversation: "200", Customer: bot.Customer{ID: "43"}, State: bot.Open})
	onDiscord := createTicket(t, s, bot.Ticket{Source: "discord", Conversation: "100", Customer: bot.Customer{ID: "42"}, State: bot.Open})
	older := addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Author: "42", Text: "first", SourceRef: "7", At: t0})
	newer := addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Author: "42", Text: "again", SourceRef: "7", At: t0})
	addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.Reply, Author: "U1", Text: "ours", SourceRef: "8", At: t0})
	other := addMessage(t, s, bot.Message{TicketID: elsewhere.ID, Kind: bot.FromCustomer, Author: "43", Text: "other chat", SourceRef: "7", At: t0})
	addMessage(t, s, bot.Message{TicketID: onDiscord.ID, Kind: bot.FromCustomer, Author: "42", Text: "other source", SourceRef: "9", At: t0})
	_ = older

	tests := []struct {
		source, conversation, ref string
		want                      *bot.Message
	}{
		{"telegram", "100", "7", &newer}, // a network that reuses an id: the newest
		{"telegram", "200", "7", &other},
		{"telegram", "100", "8", nil}, // caredesk's own reply is no customer's message
		{"telegram", "100", "9", nil}, // the same id on another source
		{"discord", "100", "7", nil},
		{"telegram", "100", "", nil},
	}
	for _, tt := range tests {
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.MessageBySource(tt.source, tt.conversation, tt.ref)
			if tt.want == nil {
				wantNotFound(t, "MessageBySource("+tt.source+", "+tt.conversation+", "+tt.ref+")", err)
				return nil
			}
			if err != nil {
				return err
			}
			checkMessage(t, got, *tt.want)
			return nil
		})
	}
}

func testMessageByDeskRef(t *testing.T, s bot.Store) {
	tk := createTicket(t, s, bareTicket())
	reply := addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.Reply, Author: "U1", Text: "hi", DeskRef: "1741392000.000300", Status: bot.Pending, At: t0})
	addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.Notice, Text: "not shown yet", At: t0})
	view(t, s, func(tx bot.Tx) error {
		got, err := tx.MessageByDeskRef(reply.DeskRef)
		if err != nil {
			return err
		}
		checkMessage(t, got, reply)
		_, err = tx.MessageByDeskRef("1741392000.000999")
		wantNotFound(t, "MessageByDeskRef of an unknown ref", err)
		_, err = tx.MessageByDeskRef("")
		wantNotFound(t, "MessageByDeskRef of no ref", err)
		return nil
	})
}

func checkAttachment(t *testing.T, got, want bot.Attachment) {
	t.Helper()
	ok := checkTime(t, "DoneAt", got.DoneAt, want.DoneAt)
	got.DoneAt, want.DoneAt = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("attachment\n got %+v\nwant %+v", got, want)
	} else if !ok {
		t.Errorf("attachment %d: DoneAt differs (above)", got.ID)
	}
}

func addAttachment(t *testing.T, s bot.Store, a bot.Attachment) bot.Attachment {
	t.Helper()
	update(t, s, func(tx bot.Tx) error { return tx.AddAttachment(&a) })
	if a.ID == 0 {
		t.Fatal("AddAttachment left ID 0")
	}
	return a
}

func testAttachments(t *testing.T, s bot.Store) {
	tk := createTicket(t, s, bareTicket())
	other := createTicket(t, s, bareTicket())
	m := addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Author: "9", Text: "[photo]", At: t0})
	m2 := addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.Reply, Author: "U1", At: t0})
	onOther := addMessage(t, s, bot.Message{TicketID: other.ID, Kind: bot.FromCustomer, Author: "9", At: t0})

	photo := addAttachment(t, s, bot.Attachment{MessageID: m.ID, TicketID: tk.ID, Kind: bot.FilePhoto, Name: "photo.jpg",
		MIME: "image/jpeg", Size: 2_100_000, From: "telegram", Origin: "AgACAgIAAxkBAAIB", State: bot.FileWaiting})
	pdf := addAttachment(t, s, bot.Attachment{MessageID: m2.ID, TicketID: tk.ID, Kind: bot.FileDocument, Name: "iade formu.pdf",
		MIME: "application/pdf", Size: 48_213, From: bot.FromDesk, Origin: "https://files.slack.com/files-pri/T1-F2/download/iade.pdf",
		Stored: true, Ref: "7790", State: bot.FileDone, DoneAt: t0.Add(time.Minute)})
	elsewhere := addAttachment(t, s, bot.Attachment{MessageID: onOther.ID, TicketID: other.ID, Kind: bot.FileVoice, State: bot.FileWaiting})

	photo.Stored, photo.Ref, photo.State, photo.DoneAt, photo.Size = true, "F0123", bot.FileDone, t0.Add(2*time.Minute), 2_100_321
	update(t, s, func(tx bot.Tx) error {
		wantNotFound(t, "SaveAttachment of an unknown id", tx.SaveAttachment(bot.Attachment{ID: elsewhere.ID + 100, State: bot.FileDone}))
		return tx.SaveAttachment(photo)
	})
	view(t, s, func(tx bot.Tx) error {
		got, err := tx.Attachments(tk.ID)
		if err != nil {
			return err
		}
		if len(got) != 2 {
			t.Fatalf("Attachments(#%d) = %d files, want 2 (its own, oldest first)", tk.ID, len(got))
		}
		checkAttachment(t, got[0], photo)
		checkAttachment(t, got[1], pdf)
		one, err := tx.Attachment(elsewhere.ID)
		if err != nil {
			return err
		}
		checkAttachment(t, one, elsewhere)
		_, err = tx.Attachment(elsewhere.ID + 100)
		wantNotFound(t, "Attachment of an unknown id", err)
		none, err := tx.Attachments(other.ID + 100)
		if err != nil || len(none) != 0 {
			t.Errorf("Attachments of a ticket without files = %v, %v; want none", none, err)
		}
		return nil
	})
}

func testKeptAttachments(t *testing.T, s bot.Store) {
	tk := createTicket(t, s, bareTicket())
	m := addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Author: "9", At: t0})
	file := func(stored bool, done time.Time) bot.Attachment {
		return addAttachment(t, s, bot.Attachment{MessageID: m.ID, TicketID: tk.ID, Kind: bot.FilePhoto, Stored: stored, State: bot.FileDone, DoneAt: done})
	}
	late := file(true, t0.Add(-time.Hour))
	early := file(true, t0.Add(-2*time.Hour))
	file(false, t0.Add(-3*time.Hour))     // its bytes are gone already
	file(true, t0)                        // not past the time
	file(true, time.Time{})               // still waiting: never swept
	file(true, t0.Add(-time.Microsecond)) // the limit leaves it out below
	tests := []struct {
		limit int
		want  []bot.Attachment
	}{
		{2, []bot.Attachment{early, late}},
		{1, []bot.Attachment{early}},
	}
	for _, tt := range tests {
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.KeptAttachments(t0, tt.limit)
			if err != nil {
				return err
			}
			if len(got) != len(tt.want) {
				t.Fatalf("KeptAttachments(limit %d) = %d files, want %d", tt.limit, len(got), len(tt.want))
			}
			for i := range got {
				checkAttachment(t, got[i], tt.want[i])
			}
			return nil
		})
	}
}
