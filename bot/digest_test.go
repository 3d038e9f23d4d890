package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"caredesk/bot"
)

// reporter records what it was asked to render.
type reporter struct {
	mu    sync.Mutex
	asked []bot.ReportRequest
	files []bot.File
}

func (r *reporter) Render(_ context.Context, req bot.ReportRequest) (bot.Rendered, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, req)
	return bot.Rendered{Text: "figures of " + req.Period, Files: r.files, Fallback: "the chart in words"}, nil
}

// uploadDesk is a desk that takes files, or refuses them with err.
type uploadDesk struct {
	*desk
	err      error
	uploaded []string // "agent: text"
}

func (d *uploadDesk) Upload(_ context.Context, agent, text string, files []bot.File) error {
	if d.err != nil {
		return d.err
	}
	d.uploaded = append(d.uploaded, agent+": "+text)
	return nil
}

func TestWeeklyDigestIsQueuedOnceOnTheTeamsClock(t *testing.T) {
	istanbul, err := time.LoadLocation("Europe/Istanbul")
	if err != nil {
		t.Fatal(err)
	}
	p := bot.DefaultPolicy()
	p.Calendar = bot.DefaultCalendar(istanbul)
	p.Digest.Monthly = true
	// Sunday 30 Nov 2026 23:00 in Istanbul.
	w := newWorldWith(t, p, time.Date(2026, 11, 30, 0, 0, 0, 0, istanbul).Add(-time.Hour))
	rep := &reporter{}
	w.courier = bot.NewCourier(w.db, w.desk, map[string]bot.Source{"telegram": w.tg},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)), bot.CourierReporter(rep))
	steps := []time.Duration{time.Hour, 9*time.Hour - time.Minute, time.Minute, time.Minute, time.Hour, 12 * time.Hour}
	for _, d := range steps {
		w.tickAfter(d)
	}
	mon := time.Date(2026, 11, 30, 0, 0, 0, 0, istanbul).UTC()
	want := []bot.ReportRequest{
		{Kind: bot.ReportDigest, Period: "week", From: mon.AddDate(0, 0, -7), Until: mon},
	}
	if !slices.Equal(rep.asked, want) {
		t.Errorf("asked for %+v, want %+v", rep.asked, want)
	}
	if len(w.desk.announced) != 1 || w.desk.announced[0] != "figures of week" {
		t.Errorf("announced %q", w.desk.announced)
	}
	// The first of December is a Tuesday: the monthly digest of November.
	rep.asked = nil
	w.tickAfter(11 * time.Hour)
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, istanbul).UTC()
	want = []bot.ReportRequest{{Kind: bot.ReportDigest, Period: "month", From: time.Date(2026, 11, 1, 0, 0, 0, 0, istanbul).UTC(), Until: dec}}
	if !slices.Equal(rep.asked, want) {
		t.Errorf("asked for %+v, want %+v", rep.asked, want)
	}
}

func TestReportFilesFallBackToWords(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		uploaded int
		dm       string
	}{
		{"uploaded", nil, 1, ""},
		{"refused for good", bot.Permanent(errors.New("the app lacks files:write")), 0,
			"UALICE: figures of week\n\n(the app lacks files:write)\n\nthe chart in words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			d := &uploadDesk{desk: w.desk, err: tt.err}
			rep := &reporter{files: []bot.File{{Name: "a.png", Data: []byte("png")}}}
			w.courier = bot.NewCourier(w.db, d, nil, bot.CourierClock(w.clock),
				bot.CourierLogger(slog.New(slog.DiscardHandler)), bot.CourierReporter(rep))
			err := w.db.Update(context.Background(), func(tx bot.Tx) error {
				return bot.QueueReport(tx, bot.ReportRequest{Kind: bot.ReportCharts, Period: "week"}, alice.ID, w.clock.Now())
			})
			if err != nil {
				t.Fatal(err)
			}
			w.flush()
			if len(d.uploaded) != tt.uploaded {
				t.Errorf("uploaded %q", d.uploaded)
			}
			if tt.dm != "" && (len(w.desk.dms) != 1 || w.desk.dms[0] != tt.dm) {
				t.Errorf("direct messages %q, want %q", w.desk.dms, tt.dm)
			}
			if n := w.outbox(); n != 0 {
				t.Errorf("%d deliveries left", n)
			}
		})
	}
}
