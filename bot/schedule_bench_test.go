package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/store/sqlite"
)

// openTickets fills a store with n open tickets, each with its timers
// armed, arriving one per second from start, out of hours with a rota.
func openTickets(b *testing.B, n int, start time.Time) (*bot.Bot, *clock) {
	b.Helper()
	return openTicketsWith(b, teamPolicy(), n, start)
}

// openTicketsWith is openTickets under policy; ticket i's customer writes
// in language "l<i mod 8>".
func openTicketsWith(b *testing.B, policy bot.Policy, n int, start time.Time) (*bot.Bot, *clock) {
	b.Helper()
	db, err := sqlite.Open(b.TempDir() + "/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	clk := &clock{now: start}
	core := bot.New(db, bot.WithClock(clk), bot.WithPolicy(policy), bot.WithLogger(slog.New(slog.DiscardHandler)))
	for i := range n {
		err := core.Receive(context.Background(), bot.Inbound{Source: "telegram", MessageID: "1", Language: fmt.Sprintf("l%d", i%8),
			Conversation: fmt.Sprint(i), Customer: bot.Customer{ID: fmt.Sprint(i)}, Text: "help"})
		if err != nil {
			b.Fatal(err)
		}
		clk.Add(time.Second)
	}
	return core, clk
}

// BenchmarkTickIdle is the scheduler's steady state with 10,000 open
// tickets: a tick every few seconds that finds nothing due.
func BenchmarkTickIdle(b *testing.B) {
	core, _ := openTickets(b, 10_000, time.Date(2026, 11, 21, 1, 0, 0, 0, istanbul))
	tickIdle(b, core)
}

// tickIdle measures ticks of core that find nothing due, after the first,
// which announces the hand-overs.
func tickIdle(b *testing.B, core *bot.Bot) {
	b.Helper()
	if _, err := core.Tick(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if n, err := core.Tick(context.Background()); err != nil || n != 0 {
			b.Fatalf("fired %d, %v", n, err)
		}
	}
}

// BenchmarkTickIdleTeams is BenchmarkTickIdle on a desk of eight teams,
// each with its own zone, hours and rota, the tickets spread among them:
// each tick looks at every team's hand-over and weekend.
func BenchmarkTickIdleTeams(b *testing.B) {
	p := teamPolicy()
	names := make([]string, 8)
	for i := range names {
		names[i] = fmt.Sprintf("team-%d", i)
		p.Teams = append(p.Teams, bot.Team{Name: names[i], Channel: fmt.Sprintf("C%d", i), SLA: p.SLA,
			Calendar: p.Calendar, Rota: p.Rota, Escalation: p.Escalation})
	}
	p.DefaultTeam = names[0]
	p.Route = func(_, language, _ string) (string, string) { return "team-" + language[1:], "by language" }
	core, _ := openTicketsWith(b, p, 10_000, time.Date(2026, 11, 21, 1, 0, 0, 0, istanbul))
	tickIdle(b, core)
}

// BenchmarkTickBusy measures ticks that each fire a batch of timers: the
// 10,000 tickets' escalations and reminders coming due, 100 per tick.
func BenchmarkTickBusy(b *testing.B) {
	core, clk := openTickets(b, 10_000, time.Date(2026, 11, 21, 1, 0, 0, 0, istanbul))
	clk.Add(15 * time.Minute) // every ticket's escalation is due, and many reminders
	b.ReportAllocs()
	b.ResetTimer()
	fired := 0
	for b.Loop() {
		n, err := core.Tick(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		fired += n
		if n == 0 {
			b.StopTimer()
			clk.Add(time.Hour) // the next wave: breaches
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(fired)/float64(b.N), "timers/op")
}
