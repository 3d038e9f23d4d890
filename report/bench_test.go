package report_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/report"
	"caredesk/store/sqlite"
)

// BenchmarkYearReport computes the figures of a busy brand's year: 100,000
// tickets, a ticket every 5 minutes or so, most answered, some rated.
func BenchmarkYearReport(b *testing.B) {
	db, err := sqlite.Open(b.TempDir() + "/caredesk.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 100_000
	start := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	agents := []bot.Agent{alice, bob, carol}
	sources := []string{"telegram", "discord", "webhook:twitter", "webhook:facebook"}
	for batch := 0; batch < n; batch += 10_000 {
		err := db.Update(b.Context(), func(tx bot.Tx) error {
			for i := batch; i < batch+10_000; i++ {
				opened := start.Add(time.Duration(i) * 315 * time.Second)
				a := agents[i%3]
				tk := bot.Ticket{Source: sources[i%4], Conversation: fmt.Sprint(i), State: bot.Resolved,
					Customer: bot.Customer{ID: fmt.Sprint(i), Name: "Customer", Handle: "customer"},
					Text:     "My order never arrived and nobody answers the phone, please help",
					Owner:    a, OpenedAt: opened, Deadline: opened.Add(time.Hour), ResolvedAt: opened.Add(5 * time.Hour)}
				if i%10 != 0 {
					tk.FirstReplyAt, tk.FirstReplyBy = opened.Add(time.Duration(i%180)*time.Minute), a
				}
				if i%4 == 0 {
					tk.RatingAskedAt, tk.Rating = tk.ResolvedAt.Add(10*time.Minute), 1+i%5
				}
				if err := tx.CreateTicket(&tk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	q := report.Query{From: start, Until: start.AddDate(1, 0, 0), Name: "the year"}
	r := &heapWatch{store: db}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := report.Compute(b.Context(), r, q, bot.DefaultCalendar(bucharest), start.AddDate(1, 0, 0))
		if err != nil {
			b.Fatal(err)
		}
		if f.All.Complaints != n {
			b.Fatalf("%d complaints, want %d", f.All.Complaints, n)
		}
	}
	b.ReportMetric(float64(r.peak-before.HeapInuse)/(1<<20), "peak-heap-MiB")
}

// heapWatch reads pages like the report service does, one short read
// transaction each, and notes the heap in use after each page: the
// report's memory while it runs.
type heapWatch struct {
	store bot.Store
	peak  uint64
}

func (h *heapWatch) TicketsOpened(from, until time.Time, afterID int64, limit int) (ts []bot.Ticket, err error) {
	err = h.store.View(context.Background(), func(tx bot.Tx) error {
		ts, err = tx.TicketsOpened(from, until, afterID, limit)
		return err
	})
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.peak = max(h.peak, m.HeapInuse)
	return ts, err
}

func (h *heapWatch) UnansweredTickets(limit int) (ts []bot.Ticket, err error) {
	err = h.store.View(context.Background(), func(tx bot.Tx) error {
		ts, err = tx.UnansweredTickets(limit)
		return err
	})
	return ts, err
}

func (h *heapWatch) Surges(from, until time.Time) (ss []bot.Surge, err error) {
	err = h.store.View(context.Background(), func(tx bot.Tx) error {
		ss, err = tx.Surges(from, until)
		return err
	})
	return ss, err
}
