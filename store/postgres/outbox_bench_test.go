package postgres_test

import (
	"context"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/store/postgres/pgtest"
)

// BenchmarkDeskLanes is the delivery worker's two questions ("which
// destinations are due?", "what next for this one?") with 10,000 ticket
// roots queued for the desk, each its own lane: a storm behind a slow or
// failing desk. The shapes are those of the SQLite store's benchmark of the
// same name: every root due; every other root backing off; all but the
// newest backing off; the oldest 100 backing off and the rest due (the
// worst case: too many failing lanes to walk past, too many due ones to
// search cheaply). Each operation is a whole View: BEGIN, the query,
// COMMIT.
func BenchmarkDeskLanes(b *testing.B) {
	const n = 10000
	shapes := []struct {
		name    string
		waiting func(i int) bool
	}{
		{"all-due", func(int) bool { return false }},
		{"half-backing-off", func(i int) bool { return i%2 == 0 }},
		{"all-but-newest-backing-off", func(i int) bool { return i < n-1 }},
		{"oldest-100-backing-off", func(i int) bool { return i < 100 }},
	}
	for _, shape := range shapes {
		b.Run(shape.name, func(b *testing.B) {
			_, dbURL := pgtest.Database(b)
			db := mustOpen(b, dbURL)
			ctx := context.Background()
			err := db.Update(ctx, func(tx bot.Tx) error {
				for i := range n {
					next := t0
					if shape.waiting(i) {
						next = t0.Add(time.Hour)
					}
					d := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: int64(i + 1), NextAt: next}
					if err := tx.Enqueue(&d); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			// The planner's statistics, as autovacuum would have them by
			// the time a backlog this size matters.
			if _, err := raw(b, dbURL).Exec(ctx, `ANALYZE`); err != nil {
				b.Fatal(err)
			}
			b.Run("DueDestinations", func(b *testing.B) {
				for b.Loop() {
					err := db.View(ctx, func(tx bot.Tx) error {
						dests, err := tx.DueDestinations(t0, 32)
						if err == nil && len(dests) != 1 {
							b.Fatalf("due destinations %q, want the desk", dests)
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("NextDelivery", func(b *testing.B) {
				for b.Loop() {
					err := db.View(ctx, func(tx bot.Tx) error {
						_, ok, err := tx.NextDelivery("desk", t0)
						if err == nil && !ok {
							b.Fatal("no delivery due")
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
