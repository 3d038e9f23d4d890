package spike_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/spike"
	"caredesk/store/sqlite"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// desk is a store with the core and a clock, where complaints arrive when
// the test says.
type desk struct {
	t     testing.TB
	db    *sqlite.DB
	clock *clock
	core  *bot.Bot
	n     int
}

func newDesk(t testing.TB) *desk {
	t.Helper()
	db, err := sqlite.Open(t.TempDir() + "/caredesk.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := bot.DefaultPolicy()
	p.Escalation.Lead = "ULEAD"
	p.Rota = bot.Rota{Location: time.UTC, Rotations: []bot.Rotation{{Name: "nights", Layer: bot.Primary, Length: "weekly",
		HandoverDay: time.Monday, HandoverTime: 9 * 60, Members: []string{"UDUTY"}, Start: time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)}}}
	d := &desk{t: t, db: db, clock: &clock{}}
	d.core = bot.New(db, bot.WithClock(d.clock), bot.WithPolicy(p), bot.WithLogger(slog.New(slog.DiscardHandler)))
	return d
}

// writes is a new customer complaining at the given time.
func (d *desk) writes(at time.Time, language, text string, followers int) {
	d.t.Helper()
	d.n++
	d.clock.Set(at)
	err := d.core.Receive(context.Background(), bot.Inbound{Source: "telegram", Conversation: fmt.Sprint(d.n), MessageID: "1",
		Customer: bot.Customer{ID: fmt.Sprint(d.n), Name: fmt.Sprintf("Customer %d", d.n), Handle: fmt.Sprintf("c%d", d.n), Followers: followers},
		Text:     text, Language: language})
	if err != nil {
		d.t.Fatal(err)
	}
}

func (d *desk) watch() *spike.Watch {
	return &spike.Watch{Store: d.db, Alerter: d.core, Policy: spike.DefaultPolicy(), Ping: []string{"lead", "on_duty"},
		HighReach: 10_000, Now: d.clock.Now, Log: slog.New(slog.DiscardHandler)}
}

func (d *desk) outbox() int {
	d.t.Helper()
	n, err := d.db.OutboxLen(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	return n
}

// TestWatch plays four ordinary Thursday evenings, then one where a double
// charge brings 30 complaints in half an hour.
func TestWatch(t *testing.T) {
	d := newDesk(t)
	evening := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC) // a Thursday
	ordinary := []string{"Kargom nerede?", "Siparişim gelmedi", "Unde este coletul?", "Paczka nie dotarła", "Пратката ми закъснява"}
	for k := 4; k >= 1; k-- {
		for i := range 5 {
			d.writes(evening.AddDate(0, 0, -7*k).Add(time.Duration(i)*5*time.Minute), "tr", ordinary[i], 10)
		}
	}
	w := d.watch()
	d.clock.Set(evening.Add(-time.Hour))
	if posted, err := w.Check(context.Background()); err != nil || len(posted) != 0 {
		t.Fatalf("a quiet evening posted %q, %v", posted, err)
	}

	surge := []string{"Faturamı iki kez çektiniz!", "FATURA iki kez çekildi", "çift çekim yapılmış, fatura yanlış", "Kartımdan iki kez çekildi fatura"}
	for i := range 30 {
		followers := 50
		if i == 7 {
			followers = 120_400
		}
		d.writes(evening.Add(time.Duration(i)*time.Minute), "tr", surge[i%len(surge)], followers)
	}
	d.clock.Set(evening.Add(30 * time.Minute))
	before := d.outbox()
	posted, err := w.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(posted) != 1 {
		t.Fatalf("the surge posted %q, want one alert", posted)
	}
	for _, want := range []string{
		"🚨 " + bot.Here + " Complaints are surging on Telegram: 30 in the last 30 min, usually 5 at this hour (6.0×).",
		"About: “" + bot.Quote("iki kez") + "”",
		"“" + bot.Quote("fatura") + "”",
		"High reach among them: #28 " + bot.Quote("@c28") + " (120,400 followers).",
		"The last 6 hours, each mark a quarter: ▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁█",
	} {
		if !strings.Contains(posted[0], want) {
			t.Errorf("the alert reads\n%s\nwant %q in it", posted[0], want)
		}
	}
	// The channel's alert, and a direct message each to the lead and the
	// person on duty.
	if n := d.outbox() - before; n != 3 {
		t.Errorf("the alert queued %d deliveries, want the channel's and two direct messages", n)
	}

	// A second look, and a restarted caredesk, post nothing more.
	if posted, err := w.Check(context.Background()); err != nil || len(posted) != 0 {
		t.Errorf("a second look posted %q, %v", posted, err)
	}
	if posted, err := d.watch().Check(context.Background()); err != nil || len(posted) != 0 {
		t.Errorf("a restarted watch posted %q, %v", posted, err)
	}
	rates, err := w.Rates(context.Background())
	if err != nil || !strings.Contains(rates, "• Telegram: 30, usually 5 — 🚨 surging since") {
		t.Errorf("/desk spike answers %q, %v", rates, err)
	}

	// Half an hour later nothing more came: it is calming down, said once.
	d.clock.Set(evening.Add(65 * time.Minute))
	posted, err = w.Check(context.Background())
	if err != nil || len(posted) != 1 || !strings.Contains(posted[0], "📉 Complaints on Telegram are calming down: 0 in the last 30 min, usually 3 at this hour (the peak was 30).") {
		t.Errorf("after the surge the watch posted %q, %v; want that it is calming down", posted, err)
	}
	if posted, err := w.Check(context.Background()); err != nil || len(posted) != 0 {
		t.Errorf("calm again posted %q, %v", posted, err)
	}

	// The surge is kept for the weekly digest, from its alert to its calm.
	var surges []bot.Surge
	if err := d.db.View(context.Background(), func(tx bot.Tx) (err error) {
		surges, err = tx.Surges(evening.Add(-time.Hour), evening.Add(2*time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(surges) != 1 || surges[0].Source != "telegram" || surges[0].Peak != 30 || surges[0].Usual != 5 ||
		!surges[0].Started.Equal(evening.Add(30*time.Minute)) || !surges[0].Ended.Equal(evening.Add(65*time.Minute)) ||
		!strings.Contains(surges[0].About, bot.Quote("iki kez")) {
		t.Errorf("the surges kept are %+v, want Telegram's, from its alert to its calm, peak 30, about “iki kez”", surges)
	}
}

// TestWatchNewDesk: a desk without history compares with the floor, so
// its first busy evening is not a spike unless it is a real one.
func TestWatchNewDesk(t *testing.T) {
	for _, tt := range []struct {
		name       string
		complaints int
		alerts     int
	}{
		{"a busy first evening", 8, 0},     // under the minimum of 10
		{"a real surge on day one", 12, 1}, // 12 ≥ 10 and ≥ 3 × the floor of 3
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesk(t)
			evening := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
			for i := range tt.complaints {
				d.writes(evening.Add(time.Duration(i)*time.Minute), "ro", "Unde este coletul meu?", 0)
			}
			d.clock.Set(evening.Add(20 * time.Minute))
			posted, err := d.watch().Check(context.Background())
			if err != nil || len(posted) != tt.alerts {
				t.Errorf("%d complaints on a new desk posted %q, %v; want %d alerts", tt.complaints, posted, err, tt.alerts)
			}
		})
	}
}

// BenchmarkWatchCheck is one look of the watch in a storm: 5,000
// complaints in the last six hours, 2,000 of them in the window.
func BenchmarkWatchCheck(b *testing.B) {
	d := newDesk(b)
	now := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	for i := range 5000 {
		at := now.Add(-6 * time.Hour).Add(time.Duration(i) * 6 * time.Hour / 5000)
		if i >= 3000 {
			at = now.Add(-30 * time.Minute).Add(time.Duration(i-3000) * 30 * time.Minute / 2000)
		}
		d.writes(at, "tr", "Faturamı iki kez çektiniz, kargom da gelmedi", 10)
	}
	d.clock.Set(now)
	w := d.watch()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := w.Check(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
