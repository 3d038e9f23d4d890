package main

import (
	"log/slog"
	"testing"
	"time"

	"caredesk/health"
	"caredesk/store/postgres"
	"caredesk/store/postgres/pgtest"
)

// TestHearingIsShared: a complaint one replica stored keeps the source
// from counting as silent on another, once they have shared.
func TestHearingIsShared(t *testing.T) {
	_, url := pgtest.Database(t)
	open := func() *postgres.DB {
		db, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	quiet := slog.New(slog.DiscardHandler)
	now := time.Now().Add(-2 * time.Hour)
	boards := make([]*health.Board, 2)
	hearings := make([]*hearing, 2)
	for i := range boards {
		boards[i] = health.New(health.Options{Now: func() time.Time { return now }, Logger: quiet})
		forum := boards[i].Source("webhook:forum", "Brand forum")
		forum.Report(true, "")
		forum.WatchSilence(time.Hour)
		hearings[i] = newHearing(open(), boards[i], quiet)
	}
	now = time.Now() // two hours on, with nothing heard
	hearings[0].heard("webhook:forum")
	if s := boards[1].States()[0]; s.OK {
		t.Fatalf("before sharing, the other replica's board shows %+v, want silent", s)
	}
	for _, h := range hearings {
		if err := h.share(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range boards {
		if s := b.States()[0]; !s.OK {
			t.Errorf("replica %d's board after sharing: %+v, want the forum heard", i+1, s)
		}
	}
}
