package health_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/health"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// channel records what the board announces, or fails while fail is set.
type channel struct {
	mu   sync.Mutex
	got  []string
	fail error
}

func (c *channel) Announce(_ context.Context, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.got = append(c.got, text)
	return nil
}

func (c *channel) said() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// fixture is a board with a fake clock and a recorded channel.
type fixture struct {
	t     *testing.T
	clock *clock
	ch    *channel
	board *health.Board
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &clock{now: time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)}, ch: &channel{}}
	f.board = health.New(health.Options{
		Announcer: f.ch, Now: f.clock.Now, Settle: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return f
}

// after moves the clock by d, one second at a time as Run does, ticking
// the board at each.
func (f *fixture) after(d time.Duration) {
	f.t.Helper()
	for step := time.Duration(0); step < d; step += time.Second {
		f.clock.Add(time.Second)
		f.board.Tick(context.Background())
	}
}

const revoked = "Telegram refuses caredesk's token (401 Unauthorized): the bot token was revoked or is wrong. Create a new one with @BotFather, set TELEGRAM_BOT_TOKEN and restart caredesk."

func TestSourceChangesAreAnnouncedOnceTheyHeld(t *testing.T) {
	tests := []struct {
		name  string
		never bool // the source never reports
		run   func(f *fixture, tg *health.Part)
		want  []string
	}{
		{
			name: "down, then back",
			run: func(f *fixture, tg *health.Part) {
				tg.Report(false, revoked)
				f.after(time.Minute)
				tg.Report(true, "")
				f.after(time.Minute)
			},
			want: []string{
				"⚠️ " + revoked + " Customers writing on Telegram are not reaching the desk.",
				"✅ Telegram is connected again.",
			},
		},
		{
			name: "a blip shorter than the settle time is no news",
			run: func(f *fixture, tg *health.Part) {
				tg.Report(false, "caredesk cannot reach Telegram.")
				f.after(5 * time.Second)
				tg.Report(true, "")
				f.after(time.Minute)
			},
		},
		{
			name: "reports repeated while down are told once",
			run: func(f *fixture, tg *health.Part) {
				for range 30 {
					tg.Report(false, revoked)
					f.after(time.Second)
				}
			},
			want: []string{"⚠️ " + revoked + " Customers writing on Telegram are not reaching the desk."},
		},
		{
			name:  "a source that has not connected is not told before the settle time",
			never: true,
			run: func(f *fixture, tg *health.Part) {
				f.after(9 * time.Second)
			},
		},
		{
			name:  "a source that has not connected is told after the settle time",
			never: true,
			run: func(f *fixture, tg *health.Part) {
				f.after(10 * time.Second)
			},
			want: []string{"⚠️ Telegram has not connected yet. Customers writing on Telegram are not reaching the desk."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tg := f.board.Source("telegram", "Telegram")
			if !tt.never {
				tg.Report(true, "")
			}
			tt.run(f, tg)
			if got := f.ch.said(); !slices.Equal(got, tt.want) {
				t.Errorf("the channel was told\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestAFlappingSourceDoesNotSpamTheChannel: a source that goes down and up
// every 30 seconds for an hour posts a handful of messages, not 240.
func TestAFlappingSourceDoesNotSpamTheChannel(t *testing.T) {
	f := newFixture(t)
	tg := f.board.Source("telegram", "Telegram")
	tg.Report(true, "")
	for i := range 120 {
		tg.Report(i%2 == 1, revoked)
		f.after(30 * time.Second)
	}
	got := f.ch.said()
	t.Logf("told:\n%s", strings.Join(got, "\n"))
	if len(got) > 6 {
		t.Errorf("a flapping source posted %d messages in an hour, want at most 6:\n%s", len(got), strings.Join(got, "\n"))
	}
	if len(got) < 1 || !strings.HasPrefix(got[0], "⚠️") {
		t.Errorf("a flapping source was not told down: %q", got)
	}
	// Once it holds, the end of the trouble is told.
	tg.Report(true, "")
	f.after(5 * time.Minute)
	if got := f.ch.said(); got[len(got)-1] != "✅ Telegram is connected again." {
		t.Errorf("a source that stopped flapping was last told %q, want that it is connected again", got[len(got)-1])
	}
}

func TestDeskChangesAreNotAnnounced(t *testing.T) {
	f := newFixture(t)
	desk := f.board.Desk("desk", "the Slack desk")
	desk.Report(true, "")
	desk.Report(false, "Slack's Socket Mode connection is down; caredesk reconnects by itself.")
	f.after(time.Minute)
	if got := f.ch.said(); len(got) != 0 {
		t.Errorf("the desk's own trouble was announced on the desk: %q", got)
	}
	if rd := f.board.Check(context.Background()); rd.Ready {
		t.Errorf("ready with the desk down: %q", rd.Lines)
	}
}

// TestPartAddedAgain: a part added again under its name (caredesk
// connecting again after a network was away at start) is the same part,
// so its report makes the board ready.
func TestPartAddedAgain(t *testing.T) {
	f := newFixture(t)
	f.board.Desk("desk", "the Slack desk") // the try that failed
	desk := f.board.Desk("desk", "the Slack desk")
	desk.Report(true, "")
	if rd := f.board.Check(context.Background()); !rd.Ready {
		t.Errorf("not ready with the desk connected on its second try: %q", rd.Lines)
	}
}

func TestSilentSource(t *testing.T) {
	f := newFixture(t)
	tw := f.board.Source("webhook:twitter", "X (Twitter)")
	tw.Report(true, "")
	tw.WatchSilence(2 * time.Hour)

	f.after(time.Hour)
	f.board.Heard("webhook:twitter")
	f.after(2 * time.Hour)
	if got := f.ch.said(); len(got) != 0 {
		t.Fatalf("a source heard within its silence alarm was announced: %q", got)
	}
	f.after(time.Second)
	want := "⚠️ X (Twitter) has sent no complaint for 2h (its silence_alarm): check that the bridge runs and that it can reach caredesk's /hooks/twitter. Customers writing on X (Twitter) are not reaching the desk."
	if got := f.ch.said(); !slices.Equal(got, []string{want}) {
		t.Fatalf("after 2 h of silence the channel was told\n%q\nwant\n%q", got, want)
	}
	rd := f.board.Check(context.Background())
	if !rd.Ready || !slices.Contains(rd.Lines, "webhook:twitter: warning: "+strings.TrimSuffix(strings.TrimPrefix(want, "⚠️ "), " Customers writing on X (Twitter) are not reaching the desk.")) {
		t.Errorf("readiness with a silent source: ready=%v %q; want ready with a warning line", rd.Ready, rd.Lines)
	}
	if got := f.board.States()[0]; got.OK {
		t.Errorf("a silent source shows as up: %+v", got)
	}

	f.board.Heard("webhook:twitter")
	f.after(time.Second)
	if got := f.ch.said(); len(got) != 2 || got[1] != "✅ X (Twitter) is bringing complaints again." {
		t.Errorf("a second after a complaint arrived the channel was told %q, want the recovery", got)
	}
}

// TestShortSilenceAlarm: a silence alarm shorter than the settle time
// still tells both the silence and its end.
func TestShortSilenceAlarm(t *testing.T) {
	f := newFixture(t)
	tw := f.board.Source("webhook:forum", "Brand forum")
	tw.Report(true, "")
	tw.WatchSilence(2 * time.Second)
	f.after(3 * time.Second)
	f.board.Heard("webhook:forum")
	f.after(time.Second)
	got := f.ch.said()
	if len(got) != 2 || !strings.Contains(got[0], "has sent no complaint for 2s") || got[1] != "✅ Brand forum is bringing complaints again." {
		t.Errorf("the channel was told %q, want the silence and its end", got)
	}
}

// TestAnnouncementsRetryWhenTheStoreFails: a change that could not be
// queued is queued at a later tick, once.
func TestAnnouncementsRetryWhenTheStoreFails(t *testing.T) {
	f := newFixture(t)
	tg := f.board.Source("telegram", "Telegram")
	tg.Report(true, "")
	f.ch.fail = errors.New("database or disk is full")
	tg.Report(false, revoked)
	f.after(time.Minute)
	f.ch.mu.Lock()
	f.ch.fail = nil
	f.ch.mu.Unlock()
	f.after(5 * time.Second)
	if got := f.ch.said(); len(got) != 1 {
		t.Errorf("the channel was told %q, want the change once after the store recovered", got)
	}
}

func TestReadiness(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(b *health.Board)
		wantStatus int
		wantLines  []string
	}{
		{
			name: "all well",
			setup: func(b *health.Board) {
				b.Probe("store", func(context.Context) error { return nil })
				b.Desk("desk", "the Slack desk").Report(true, "")
				b.Source("telegram", "Telegram").Report(true, "")
			},
			wantStatus: http.StatusOK,
			wantLines:  []string{"ready", "store: ok", "desk: ok", "telegram: ok"},
		},
		{
			name: "a source down and the store read-only",
			setup: func(b *health.Board) {
				b.Probe("store", func(context.Context) error {
					return errors.New("the database file caredesk.db is read-only: give caredesk's user write access to it and its directory")
				})
				b.Desk("desk", "the Slack desk").Report(true, "")
				b.Source("telegram", "Telegram").Report(false, revoked)
			},
			wantStatus: http.StatusServiceUnavailable,
			wantLines: []string{"not ready",
				"store: the database file caredesk.db is read-only: give caredesk's user write access to it and its directory.",
				"desk: ok",
				"telegram: " + revoked},
		},
		{
			name: "a source that has not connected yet",
			setup: func(b *health.Board) {
				b.Source("discord", "Discord")
			},
			wantStatus: http.StatusServiceUnavailable,
			wantLines:  []string{"not ready", "discord: Discord has not connected yet."},
		},
		{
			name: "a listener that fails warns without bearing on readiness",
			setup: func(b *health.Board) {
				p := b.Source("feed:alerts", "Google Alerts")
				p.WarnOnly()
				p.Report(false, "the feed at www.google.com answered 404 Not Found.")
			},
			wantStatus: http.StatusOK,
			wantLines:  []string{"ready", "feed:alerts: warning: the feed at www.google.com answered 404 Not Found."},
		},
		{
			name: "a note informs without bearing on readiness",
			setup: func(b *health.Board) {
				b.Probe("store", func(context.Context) error { return nil })
				b.Note("role", func() string { return "follower (replica caredesk-b; caredesk-a leads)" })
				b.Source("telegram", "Telegram").Report(true, "")
			},
			wantStatus: http.StatusOK,
			wantLines:  []string{"ready", "store: ok", "role: follower (replica caredesk-b; caredesk-a leads)", "telegram: ok"},
		},
		{
			name: "a probe that hangs is cut short",
			setup: func(b *health.Board) {
				b.Probe("store", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
			},
			wantStatus: http.StatusServiceUnavailable,
			wantLines:  []string{"not ready", "store: context deadline exceeded."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := health.New(health.Options{})
			tt.setup(b)
			w := httptest.NewRecorder()
			// The request's own deadline bounds the probes too.
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			b.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil).WithContext(ctx))
			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tt.wantStatus)
			}
			if got := strings.Split(strings.TrimSpace(w.Body.String()), "\n"); !slices.Equal(got, tt.wantLines) {
				t.Errorf("body\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantLines, "\n"))
			}
		})
	}
}

// TestHeardByAnotherReplica: a complaint another replica stored keeps a
// source from counting as silent here, and ends a silence; news older
// than what this replica heard itself changes nothing.
func TestHeardByAnotherReplica(t *testing.T) {
	f := newFixture(t)
	fo := f.board.Source("webhook:forum", "Brand forum")
	fo.Report(true, "")
	fo.WatchSilence(2 * time.Hour)

	f.after(90 * time.Minute)
	f.board.HeardAt("webhook:forum", f.clock.Now().Add(-10*time.Minute)) // another replica, 80 min in
	f.after(time.Hour)                                                   // 150 min: 70 since the other replica heard it
	if got := f.ch.said(); len(got) != 0 {
		t.Fatalf("a source another replica heard within the alarm was announced: %q", got)
	}
	f.board.HeardAt("webhook:forum", f.clock.Now().Add(-3*time.Hour)) // old news
	f.after(time.Hour)                                                // 210 min: 130 since heard
	if got := f.ch.said(); len(got) != 1 || !strings.Contains(got[0], "has sent no complaint for 2h") {
		t.Fatalf("the channel was told %q, want the silence once the latest complaint is 2 h old", got)
	}
	f.board.HeardAt("webhook:forum", f.clock.Now().Add(-time.Minute))
	f.after(time.Second)
	if got := f.ch.said(); len(got) != 2 || got[1] != "✅ Brand forum is bringing complaints again." {
		t.Errorf("after another replica heard it the channel was told %q, want the recovery", got)
	}
}

// memory is a health.Memory in a map, as two replicas' boards share it.
type memory struct {
	mu   sync.Mutex
	told map[string]health.Told
}

func (m *memory) Recall(context.Context) (map[string]health.Told, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.told), nil
}

func (m *memory) Remember(_ context.Context, source string, t health.Told) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.told[source] = t
	return nil
}

// TestTheNextLeaderRemembers: a board that takes over announcing from
// another replica's says that a source the other said was down is back,
// and does not say again that one is down.
func TestTheNextLeaderRemembers(t *testing.T) {
	mem := &memory{told: map[string]health.Told{}}
	first := newFixture(t)
	first.board = health.New(health.Options{Announcer: first.ch, Now: first.clock.Now, Settle: 10 * time.Second,
		Logger: slog.New(slog.DiscardHandler), Memory: mem})
	first.board.Source("telegram", "Telegram").Report(false, revoked)
	first.board.Source("discord", "Discord").Report(false, "Discord's gateway refused the token.")
	first.after(11 * time.Second)
	if got := first.ch.said(); len(got) != 2 {
		t.Fatalf("the first leader said %q, want both sources down", got)
	}

	next := newFixture(t)
	next.board = health.New(health.Options{Announcer: next.ch, Now: next.clock.Now, Settle: 10 * time.Second,
		Logger: slog.New(slog.DiscardHandler), Memory: mem})
	next.board.Source("telegram", "Telegram").Report(true, "")                                    // mended meanwhile
	next.board.Source("discord", "Discord").Report(false, "Discord's gateway refused the token.") // still down
	next.board.Recall(context.Background())
	next.after(11 * time.Second)
	if got := next.ch.said(); !slices.Equal(got, []string{"✅ Telegram is connected again."}) {
		t.Errorf("the next leader said %q, want only that Telegram is back", got)
	}
	if got := mem.told["telegram"]; !got.Up {
		t.Errorf("the memory holds %+v for Telegram, want up", got)
	}
}

// TestListenerNews: a listener's failure is told as posts not reaching
// the desk, its reason ended as a sentence.
func TestListenerNews(t *testing.T) {
	f := newFixture(t)
	p := f.board.Source("feed:forum", "forum.example (feed:forum)")
	p.WarnOnly()
	p.Report(true, "")
	f.after(time.Minute)
	p.Report(false, "there is no feed at https://forum.example/gone.rss (404 Not Found): check the source's url")
	f.after(time.Minute)
	want := "⚠️ there is no feed at https://forum.example/gone.rss (404 Not Found): check the source's url. Posts on forum.example (feed:forum) are not reaching the desk."
	if got := f.ch.said(); len(got) != 1 || got[0] != want {
		t.Errorf("announced %q, want %q", got, want)
	}
}
