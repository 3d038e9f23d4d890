package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"caredesk/bot"
)

func checkMessage(t *testing.T, got, want bot.Message) {
	t.Helper()
	ok := checkTime(t, "At", got.At, want.At)
	ok = checkTime(t, "EditedAt", got.EditedAt, want.EditedAt) && ok
	ok = checkTime(t, "DeletedAt", got.DeletedAt, want.DeletedAt) && ok
	got.At, want.At = time.Time{}, time.Time{}
	got.EditedAt, want.EditedAt = time.Time{}, time.Time{}
	got.DeletedAt, want.DeletedAt = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("message\n got %+v\nwant %+v", got, want)
	} else if !ok {
		t.Errorf("message %d: a time differs (above)", got.ID)
	}
}

func addMessage(t *testing.T, s bot.Store, m bot.Message) bot.Message {
	t.Helper()
	update(t, s, func(tx bot.Tx) error { return tx.AddMessage(&m) })
	if m.ID == 0 {
		t.Fatal("AddMessage left ID 0")
	}
	return m
}

func messageIDs(ms []bot.Message) []int64 {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

func testMessageRoundTrip(t *testing.T, s bot.Store) {
	tk := createTicket(t, s, fullTicket())
	tests := []struct {
		name    string
		message bot.Message
	}{
		{"every field set", bot.Message{
			TicketID: tk.ID, Kind: bot.Reply, Author: "U123", AuthorName: "alice",
			Text: "So sorry! A new parcel leaves today.", SourceRef: "7790", DeskRef: "1741392000.000300",
			Status: bot.Failed, Reason: "Forbidden: bot was blocked by the user", At: t0.Add(5 * time.Minute),
			Original: "So sory!", EditedAt: t0.Add(6 * time.Minute), DeletedAt: t0.Add(7*time.Minute + time.Microsecond),
		}},
		{"zero time", bot.Message{TicketID: tk.ID, Kind: bot.Notice, Text: "Claimed by <@U123>."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := addMessage(t, s, tt.message)
			view(t, s, func(tx bot.Tx) error {
				got, err := tx.Message(m.ID)
				if err != nil {
					return err
				}
				checkMessage(t, got, m)
				return nil
			})
		})
	}

	t.Run("SaveMessage", func(t *testing.T) {
		m := addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.Reply, Author: "U123",
			Text: "On its way", Status: bot.Pending, At: t0})
		other := addMessage(t, s, bot.Message{TicketID: tk.ID, Kind: bot.Note, Text: "VIP", At: t0})

		m.Status, m.SourceRef, m.DeskRef, m.At = bot.Delivered, "7791", "1741392000.000400", t0.Add(time.Second)
		update(t, s, func(tx bot.Tx) error { return tx.SaveMessage(m) })
		view(t, s, func(tx bot.Tx) error {
			for _, want := range []bot.Message{m, other} {
				got, err := tx.Message(want.ID)
				if err != nil {
					return err
				}
				checkMessage(t, got, want)
			}
			return nil
		})
	})
}

func testMessages(t *testing.T, s bot.Store) {
	a := createTicket(t, s, bareTicket())
	b := createTicket(t, s, bareTicket())
	empty := createTicket(t, s, bareTicket())

	var onA []bot.Message
	var onB bot.Message
	for i := range 5 {
		// A later message may carry an earlier time (a customer's clock,
		// a network's delay): the order is the order they were added in.
		onA = append(onA, addMessage(t, s, bot.Message{TicketID: a.ID, Kind: bot.FromCustomer,
			Author: "9", Text: fmt.Sprintf("message %d", i), At: t0.Add(-time.Duration(i) * time.Minute)}))
		if i == 2 {
			onB = addMessage(t, s, bot.Message{TicketID: b.ID, Kind: bot.Note, Text: "on b", At: t0})
		}
	}

	tests := []struct {
		ticket int64
		limit  int
		want   []bot.Message
	}{
		{a.ID, 3, onA[2:]},
		{a.ID, 5, onA},
		{a.ID, 100, onA},
		{a.ID, 1, onA[4:]},
		{b.ID, 100, []bot.Message{onB}},
		{empty.ID, 100, nil},
	}
	for _, tt := range tests {
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.Messages(tt.ticket, tt.limit)
			if err != nil {
				return err
			}
			if !slices.Equal(messageIDs(got), messageIDs(tt.want)) {
				t.Errorf("Messages(#%d, %d) = %v, want %v", tt.ticket, tt.limit, messageIDs(got), messageIDs(tt.want))
				return nil
			}
			for i := range got {
				checkMessage(t, got[i], tt.want[i])
			}
			return nil
		})
	}
}

// testMissingTicket: messages and events belong to a ticket that exists, so
// that reports never count orphans.
func testMissingTicket(t *testing.T, s bot.Store) {
	tk := createTicket(t, s, bareTicket())
	update(t, s, func(tx bot.Tx) error {
		return tx.AddEvent(bot.Event{TicketID: tk.ID, Kind: "opened", At: t0})
	})

	tests := []struct {
		name string
		call func(bot.Tx) error
	}{
		{"AddMessage", func(tx bot.Tx) error {
			return tx.AddMessage(&bot.Message{TicketID: tk.ID + 1, Kind: bot.FromCustomer, Text: "hi", At: t0})
		}},
		{"AddEvent", func(tx bot.Tx) error {
			return tx.AddEvent(bot.Event{TicketID: tk.ID + 1, Kind: "claimed", Actor: "U1", At: t0})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Update(t.Context(), tt.call); err == nil {
				t.Errorf("%s on ticket #%d, which does not exist: no error", tt.name, tk.ID+1)
			}
		})
	}
}

func testFirstSight(t *testing.T, s bot.Store) {
	steps := []struct {
		key  string
		at   time.Time
		want bool
	}{
		{"telegram:update:1001", t0, true},
		{"telegram:update:1001", t0, false},
		{"telegram:update:1001", t0.Add(time.Hour), false}, // a redelivery comes later
		{"telegram:update:1002", t0, true},
		{"slack:event:Ev01", time.Time{}, true},
		{"slack:event:Ev01", t0, false},
	}
	// One Update for the first two: a key is seen within its own transaction.
	update(t, s, func(tx bot.Tx) error {
		for _, st := range steps[:2] {
			if err := checkSight(t, tx, st.key, st.at, st.want); err != nil {
				return err
			}
		}
		return nil
	})
	for _, st := range steps[2:] {
		update(t, s, func(tx bot.Tx) error { return checkSight(t, tx, st.key, st.at, st.want) })
	}
}

func checkSight(t *testing.T, tx bot.Tx, key string, at time.Time, want bool) error {
	t.Helper()
	got, err := tx.FirstSight(key, at)
	if err != nil {
		return fmt.Errorf("FirstSight(%q): %w", key, err)
	}
	if got != want {
		t.Errorf("FirstSight(%q) = %v, want %v", key, got, want)
	}
	return nil
}

func testSameReplies(t *testing.T, s bot.Store) {
	var ids []int64
	for range 4 {
		ids = append(ids, createTicket(t, s, bareTicket()).ID)
	}
	add := func(ticket int64, kind bot.Kind, text string, at time.Time) {
		m := bot.Message{TicketID: ticket, Kind: kind, Text: text, At: at}
		update(t, s, func(tx bot.Tx) error { return tx.AddMessage(&m) })
	}
	add(ids[0], bot.Reply, "We apologize for any inconvenience.", t0)
	add(ids[1], bot.Reply, "We apologize for any inconvenience.", t0.Add(time.Hour))
	add(ids[1], bot.Reply, "We apologize for any inconvenience.", t0.Add(2*time.Hour)) // the same ticket twice counts once
	add(ids[2], bot.Note, "We apologize for any inconvenience.", t0.Add(time.Hour))    // a note is no reply
	add(ids[3], bot.Reply, "We apologize for any inconvenience.", t0.Add(-time.Hour))  // before since
	var n int
	view(t, s, func(tx bot.Tx) (err error) {
		n, err = tx.SameReplies("We apologize for any inconvenience.", t0, ids[0])
		return err
	})
	if n != 1 {
		t.Errorf("SameReplies = %d, want 1 (ticket #%d)", n, ids[1])
	}
}
