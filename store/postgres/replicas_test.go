package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/store/postgres/pgtest"
)

// fixedClock is a clock that stands still.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// TestTimersFireOnceAcrossReplicas: two processes on one database tick at
// the same moment; every reminder, escalation and breach of the overdue
// tickets fires once, as the write lock serializes their ticks.
func TestTimersFireOnceAcrossReplicas(t *testing.T) {
	_, url := pgtest.Database(t)
	dbs := []bot.Store{mustOpen(t, url), mustOpen(t, url)}
	opened := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC) // a Sunday night
	quiet := bot.WithLogger(slog.New(slog.DiscardHandler))
	first := bot.New(dbs[0], bot.WithClock(fixedClock(opened)), quiet)
	const tickets = 40
	for i := range tickets {
		err := first.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: fmt.Sprint(i), MessageID: fmt.Sprint(i),
			Conversation: fmt.Sprint(1000 + i), Customer: bot.Customer{ID: fmt.Sprint(1000 + i)}, Text: "where is my parcel?"})
		if err != nil {
			t.Fatal(err)
		}
	}
	later := opened.Add(48 * time.Hour) // every timer of every ticket is due
	var due []bot.Timer
	if err := dbs[0].View(context.Background(), func(tx bot.Tx) (err error) {
		due, err = tx.DueTimers(later, 100_000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	fired := make([]int, len(dbs))
	for i, db := range dbs {
		b := bot.New(db, bot.WithClock(fixedClock(later)), quiet)
		wg.Go(func() {
			n, err := b.Tick(context.Background())
			if err != nil {
				t.Error(err)
			}
			fired[i] = n
		})
	}
	wg.Wait()
	var left []bot.Timer
	if err := dbs[0].View(context.Background(), func(tx bot.Tx) (err error) {
		left, err = tx.DueTimers(later, 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if total := fired[0] + fired[1]; len(left) != 0 || total != len(due) || len(due) == 0 {
		t.Fatalf("the replicas fired %v timers, %d left due, of %d due: want each fired once", fired, len(left), len(due))
	}
	var breaches int
	if err := dbs[0].View(context.Background(), func(tx bot.Tx) error {
		for id := int64(1); id <= tickets; id++ {
			ms, err := tx.Messages(id, 100)
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.Kind == bot.Notice {
					breaches++
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if breaches%tickets != 0 {
		t.Errorf("%d notices in %d threads: some ticket was told twice", breaches, tickets)
	}
}
