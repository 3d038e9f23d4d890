package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"caredesk/bot"
)

// TestUpdateAfterItsContextEnded: an Update whose caller gave up before
// it started changes nothing.
func TestUpdateAfterItsContextEnded(t *testing.T) {
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := db.Update(ctx, func(bot.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Update with an ended context: %v, ran %v; want context.Canceled and fn not run", err, ran)
	}
}

// BenchmarkUpdates measures single-row Updates with every commit synced
// to disk: one caller at a time (each its own commit), and 64 callers at
// once (sharing commits).
func BenchmarkUpdates(b *testing.B) {
	at := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	for _, callers := range []int{1, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			db := MustOpenDB(b)
			var next sync.Mutex
			i := 0
			b.SetParallelism(callers)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					next.Lock()
					i++
					key := fmt.Sprintf("k%d", i)
					next.Unlock()
					if err := db.Update(context.Background(), func(tx bot.Tx) error { _, err := tx.FirstSight(key, at); return err }); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx/s")
		})
	}
}

// TestGoexitInAnUpdate: an fn that calls runtime.Goexit (t.FailNow in a
// test) ends its caller's goroutine as it would have, changes nothing,
// and leaves the writer serving the next Updates.
func TestGoexitInAnUpdate(t *testing.T) {
	db := MustOpenDB(t)
	at := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	returned := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = db.Update(context.Background(), func(tx bot.Tx) error {
			if _, err := tx.FirstSight("goexit", at); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
		returned = true
	}()
	<-done
	if returned {
		t.Error("Update returned to a caller whose fn called runtime.Goexit")
	}
	var fresh bool
	if err := db.Update(context.Background(), func(tx bot.Tx) (err error) { fresh, err = tx.FirstSight("goexit", at); return err }); err != nil {
		t.Fatalf("the next Update: %v", err)
	}
	if !fresh {
		t.Error("the write of an fn that called runtime.Goexit was kept")
	}
}
