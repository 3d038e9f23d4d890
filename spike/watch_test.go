package spike_test

import (
	"context"
	"errors"
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
	loc   *time.Location // the desk's clock; nil is UTC
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
		HighReach: 10_000, Location: d.loc, Now: d.clock.Now, Log: slog.New(slog.DiscardHandler)}
}

// flaky is the core as an Alerter whose first fails calls fail, as when
// the database is busy or the leader's term has just ended.
type flaky struct {
	core  *bot.Bot
	fails int
}

func (f *flaky) Alert(ctx context.Context, keys []string, text, private string, ping []string, also func(bot.Tx) error) (bool, error) {
	if f.fails > 0 {
		f.fails--
		return false, errors.New("database is locked")
	}
	return f.core.Alert(ctx, keys, text, private, ping, also)
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

// TestWatchCarriesOn: what the desk was told is kept in the store, so a
// restarted watch (or a new leader's) neither announces the surge again
// nor forgets to say it calmed down, and an alert that failed is posted
// at the next look.
func TestWatchCarriesOn(t *testing.T) {
	d := newDesk(t)
	evening := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	for i := range 15 {
		d.writes(evening.Add(time.Duration(i)*time.Minute), "ro", "M-ați taxat de două ori", 0)
	}
	d.clock.Set(evening.Add(20 * time.Minute))
	w := d.watch()
	w.Alerter = &flaky{core: d.core, fails: 1}
	if posted, err := w.Check(context.Background()); err == nil || len(posted) != 0 {
		t.Fatalf("a failing alert: %q, %v; want the failure", posted, err)
	}
	d.clock.Set(evening.Add(21 * time.Minute))
	if posted, err := w.Check(context.Background()); err != nil || len(posted) != 1 {
		t.Fatalf("the next look posted %q, %v; want the alert that failed", posted, err)
	}
	// A restart, during the surge and after it.
	d.clock.Set(evening.Add(25 * time.Minute))
	if posted, err := d.watch().Check(context.Background()); err != nil || len(posted) != 0 {
		t.Errorf("a restarted watch during the surge posted %q, %v", posted, err)
	}
	d.clock.Set(evening.Add(70 * time.Minute))
	posted, err := d.watch().Check(context.Background())
	if err != nil || len(posted) != 1 || !strings.Contains(posted[0], "calming down") || !strings.Contains(posted[0], "the peak was 15") {
		t.Errorf("a watch restarted after the surge posted %q, %v; want that it calmed down, peak 15", posted, err)
	}
	var surges []bot.Surge
	if err := d.db.View(context.Background(), func(tx bot.Tx) (err error) {
		surges, err = tx.Surges(evening, evening.Add(3*time.Hour))
		return err
	}); err != nil || len(surges) != 1 || surges[0].Ended.IsZero() || surges[0].Peak != 15 {
		t.Errorf("the surges kept are %+v, %v; want one, ended, peak 15", surges, err)
	}
}

// TestWatchBackWithinTheCoolDown: a surge that calmed down and comes back
// within the cool-down is announced again only when it is bigger.
func TestWatchBackWithinTheCoolDown(t *testing.T) {
	d := newDesk(t)
	evening := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	w := d.watch()
	look := func(at time.Duration) []string {
		t.Helper()
		d.clock.Set(evening.Add(at))
		posted, err := w.Check(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return posted
	}
	burst := func(at time.Duration, n int) {
		t.Helper()
		for i := range n {
			d.writes(evening.Add(at+time.Duration(i)*time.Second), "pl", "Podwójne obciążenie karty", 0)
		}
	}
	burst(0, 12)
	if p := look(5 * time.Minute); len(p) != 1 {
		t.Fatalf("the first surge posted %q", p)
	}
	if p := look(40 * time.Minute); len(p) != 1 || !strings.Contains(p[0], "calming down") {
		t.Fatalf("after it: %q", p)
	}
	burst(50*time.Minute, 11)
	if p := look(55 * time.Minute); len(p) != 0 {
		t.Errorf("a smaller surge within the cool-down posted %q; the desk has just heard of this source", p)
	}
	burst(56*time.Minute, 20)
	if p := look(60 * time.Minute); len(p) != 1 || !strings.Contains(p[0], "Complaints are surging on Telegram: 31") {
		t.Errorf("a bigger surge within the cool-down posted %q, want a new alert", p)
	}
}

// TestWatchSummerTime: a Bucharest desk whose Thursdays at 21:00 are
// always busy is not alarmed by the first Thursday after the clocks went
// back: the usual count is the same hour on the desk's clock.
func TestWatchSummerTime(t *testing.T) {
	d := newDesk(t)
	loc, err := time.LoadLocation("Europe/Bucharest")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	d.loc = loc
	// Summer time ended on Sunday 25 October 2026.
	for _, day := range []int{1, 8, 15, 22, 29} {
		for i := range 12 {
			d.writes(time.Date(2026, 10, day, 21, i, 0, 0, loc), "ro", "Unde este coletul?", 0)
		}
	}
	d.clock.Set(time.Date(2026, 10, 29, 21, 20, 0, 0, loc))
	if posted, err := d.watch().Check(context.Background()); err != nil || len(posted) != 0 {
		t.Errorf("an ordinary Thursday evening after the clocks changed posted %q, %v", posted, err)
	}
}

// TestWatchNewSource: a network connected last week is compared with its
// own history, not the desk's: its usual evening is no surge.
func TestWatchNewSource(t *testing.T) {
	d := newDesk(t)
	evening := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	d.writes(evening.AddDate(0, -3, 0), "en", "An old complaint, months ago", 0) // the desk is old
	d.clock.Set(evening.AddDate(0, 0, -10))                                      // Discord came ten days ago
	if err := d.core.Receive(context.Background(), bot.Inbound{Source: "discord", Conversation: "first", MessageID: "1",
		Customer: bot.Customer{ID: "first"}, Text: "Hello?"}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 0} {
		for i := range 12 {
			d.clock.Set(evening.AddDate(0, 0, -7*k).Add(time.Duration(i) * time.Minute))
			err := d.core.Receive(context.Background(), bot.Inbound{Source: "discord", Conversation: fmt.Sprintf("d%d-%d", k, i), MessageID: "1",
				Customer: bot.Customer{ID: fmt.Sprintf("d%d-%d", k, i)}, Text: "Where is my order?"})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	d.clock.Set(evening.Add(20 * time.Minute))
	w := d.watch()
	if posted, err := w.Check(context.Background()); err != nil || len(posted) != 0 {
		t.Errorf("the new network's usual evening posted %q, %v", posted, err)
	}
	if rates, err := w.Rates(context.Background()); err != nil || !strings.Contains(rates, "Discord: 12, usually 12 (1 week of history)") {
		t.Errorf("/desk spike answers %q, %v", rates, err)
	}
}
