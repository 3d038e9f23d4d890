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
