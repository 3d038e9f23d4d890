package storetest

import (
	"testing"
	"time"

	"caredesk/bot"
)

func testTimers(t *testing.T, s bot.Store) {
	a := createTicket(t, s, fullTicket())
	b := createTicket(t, s, fullTicket2())
	timers := []bot.Timer{
		{TicketID: a.ID, Alarm: bot.BreachFirstReply, DueAt: t0.Add(time.Hour)},
		{TicketID: a.ID, Alarm: bot.RemindFirstReply, Share: 50, DueAt: t0.Add(30 * time.Minute)},
		{TicketID: b.ID, Alarm: bot.EscalatePrimary, DueAt: t0.Add(15 * time.Minute)},
		{TicketID: a.ID, Alarm: bot.EscalatePrimary, DueAt: t0.Add(15 * time.Minute)},
	}
	update(t, s, func(tx bot.Tx) error {
		for i := range timers {
			if err := tx.AddTimer(&timers[i]); err != nil {
				return err
			}
		}
		return nil
	})
	due := func(now time.Time, limit int) []bot.Timer {
		t.Helper()
		var got []bot.Timer
		view(t, s, func(tx bot.Tx) (err error) { got, err = tx.DueTimers(now, limit); return err })
		return got
	}
	ids := func(ts []bot.Timer) []int64 {
		var out []int64
		for _, x := range ts {
			out = append(out, x.ID)
		}
		return out
	}
	tests := []struct {
		now   time.Time
		limit int
		want  []int64
	}{
		{t0, 10, nil},
		{t0.Add(15 * time.Minute), 10, []int64{timers[2].ID, timers[3].ID}}, // same due time: by id
		{t0.Add(time.Hour), 10, []int64{timers[2].ID, timers[3].ID, timers[1].ID, timers[0].ID}},
		{t0.Add(time.Hour), 1, []int64{timers[2].ID}},
		{t0.Add(time.Hour), 0, nil},
	}
	for _, tt := range tests {
		if got := ids(due(tt.now, tt.limit)); !equalIDs(got, tt.want) {
			t.Errorf("DueTimers(%s, %d) = %v, want %v", tt.now.Sub(t0), tt.limit, got, tt.want)
		}
	}
	if got := due(t0.Add(time.Hour), 10)[2]; got.Share != 50 || got.Alarm != bot.RemindFirstReply || !got.DueAt.Equal(timers[1].DueAt) {
		t.Errorf("timer came back as %+v, want %+v", got, timers[1])
	}
	update(t, s, func(tx bot.Tx) error { return tx.CancelTimers(a.ID, bot.EscalatePrimary, bot.RemindFirstReply) })
	if got := ids(due(t0.Add(time.Hour), 10)); !equalIDs(got, []int64{timers[2].ID, timers[0].ID}) {
		t.Errorf("after cancelling a's escalation and reminder: %v", got)
	}
	update(t, s, func(tx bot.Tx) error { return tx.DeleteTimer(timers[2].ID) })
	err := s.Update(t.Context(), func(tx bot.Tx) error { return tx.DeleteTimer(timers[2].ID) })
	if bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("deleting a fired timer again: %v, want ENOTFOUND (it fires once)", err)
	}
	update(t, s, func(tx bot.Tx) error { return tx.CancelTimers(a.ID) })
	if got := due(t0.Add(time.Hour), 10); len(got) != 0 {
		t.Errorf("timers left after cancelling all: %+v", got)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testRotaChanges(t *testing.T, s bot.Store) {
	o := func(agent string, h int) bot.Override {
		return bot.Override{Layer: bot.Primary, Agent: agent, From: t0.Add(time.Duration(h) * time.Hour), Until: t0.Add(time.Duration(h+12) * time.Hour), Note: "cover"}
	}
	changes := []bot.RotaChange{
		{Kind: "override", By: "U1", At: t0, Summary: "bob covers Saturday", Overrides: []bot.Override{o("UBOB", 0)}},
		{Kind: "swap", By: "U2", At: t0.Add(time.Minute), Summary: "alice and carol swap", Overrides: []bot.Override{o("UCAROL", 24), o("UALICE", 48)}},
	}
	update(t, s, func(tx bot.Tx) error {
		for i := range changes {
			if err := tx.AddRotaChange(&changes[i]); err != nil {
				return err
			}
		}
		return nil
	})
	var got []bot.RotaChange
	view(t, s, func(tx bot.Tx) (err error) { got, err = tx.RotaChanges(); return err })
	if len(got) != 2 || got[1].Summary != "alice and carol swap" || len(got[1].Overrides) != 2 ||
		!got[1].Overrides[1].From.Equal(t0.Add(48*time.Hour)) || got[1].Overrides[0].Agent != "UCAROL" || got[0].By != "U1" {
		t.Fatalf("changes came back as %+v", got)
	}
	var undone bot.RotaChange
	update(t, s, func(tx bot.Tx) (err error) { undone, err = tx.UndoRotaChange(t0.Add(time.Hour)); return err })
	if undone.ID != changes[1].ID {
		t.Errorf("undo took back change %d, want the newest, %d", undone.ID, changes[1].ID)
	}
	update(t, s, func(tx bot.Tx) (err error) { _, err = tx.UndoRotaChange(t0.Add(time.Hour)); return err })
	err := s.Update(t.Context(), func(tx bot.Tx) error { _, err := tx.UndoRotaChange(t0); return err })
	if bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("undo with nothing left: %v, want ENOTFOUND", err)
	}
	view(t, s, func(tx bot.Tx) (err error) { got, err = tx.RotaChanges(); return err })
	if len(got) != 0 {
		t.Errorf("changes in force after undoing both: %+v", got)
	}
}
