package bot

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests need the zones whatever the machine has installed
)

// calLoad returns an IANA zone or stops the test binary: every test here
// depends on it.
func calLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	calWarsaw   = calLoad("Europe/Warsaw")   // CET/CEST: changes on 2026-03-29 and 2026-10-25
	calIstanbul = calLoad("Europe/Istanbul") // +03 all year
)

// calAt reads "2006-01-02 15:04" as a wall-clock time in loc.
func calAt(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// calShow writes t as the team reads it, with its offset, so a failure
// says which side of a clock change it is on.
func calShow(t time.Time, loc *time.Location) string {
	if t.Equal(Never) {
		return "never"
	}
	return t.In(loc).Format("Mon 2006-01-02 15:04 -07:00")
}

// calOffice is office hours in Warsaw with a holiday Wednesday (11 Nov) and
// a Christmas with a holiday Friday and Monday around the weekend.
func calOffice() Calendar {
	c := DefaultCalendar(calWarsaw)
	for _, d := range []string{"2026-11-11", "2026-12-25", "2026-12-28"} {
		c.Holidays[d] = true
	}
	return c
}

func TestCalendarOpen(t *testing.T) {
	c := calOffice()
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-11-02 08:59", false}, // Monday, a minute early
		{"2026-11-02 09:00", true},  // opening is open
		{"2026-11-02 17:59", true},
		{"2026-11-02 18:00", false}, // closing is closed
		{"2026-11-07 12:00", false}, // Saturday
		{"2026-11-08 12:00", false}, // Sunday
		{"2026-11-11 12:00", false}, // holiday Wednesday
		{"2026-11-12 12:00", true},  // the Thursday after it
		{"2026-10-26 09:30", true},  // the Monday after the clocks went back
		{"2026-03-30 09:30", true},  // the Monday after they went forward
	}
	for _, tt := range tests {
		if got := c.Open(calAt(calWarsaw, tt.at)); got != tt.want {
			t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	// The same instant is 08:30 in Warsaw and 09:30 in Istanbul: the team's
	// zone decides, not the zone the time comes in.
	at := calAt(calIstanbul, "2026-11-02 09:30")
	if c.Open(at) {
		t.Errorf("Open(%s) = true, want false: 08:30 in Warsaw", calShow(at, calWarsaw))
	}
	if !DefaultCalendar(nil).Open(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)) {
		t.Error("a calendar without a zone is not in UTC")
	}
}

func TestCalendarNextOpenAndClose(t *testing.T) {
	c := calOffice()
	tests := []struct {
		name, at, open, close string
	}{
		{"open now", "2026-11-02 10:00", "2026-11-02 10:00", "2026-11-02 18:00"},
		{"at closing", "2026-11-02 18:00", "2026-11-03 09:00", "2026-11-03 18:00"},
		{"before opening", "2026-11-03 07:00", "2026-11-03 09:00", "2026-11-03 18:00"},
		{"Friday evening", "2026-11-06 18:00", "2026-11-09 09:00", "2026-11-09 18:00"},
		{"Saturday", "2026-11-07 12:00", "2026-11-09 09:00", "2026-11-09 18:00"},
		{"eve of a holiday", "2026-11-10 18:30", "2026-11-12 09:00", "2026-11-12 18:00"},
		{"long weekend", "2026-12-24 18:30", "2026-12-29 09:00", "2026-12-29 18:00"},
		{"weekend the clocks go back", "2026-10-23 19:00", "2026-10-26 09:00", "2026-10-26 18:00"},
		{"weekend the clocks go forward", "2026-03-27 19:00", "2026-03-30 09:00", "2026-03-30 18:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := calAt(calWarsaw, tt.at)
			if got, want := c.NextOpen(at), calAt(calWarsaw, tt.open); !got.Equal(want) {
				t.Errorf("NextOpen = %s, want %s", calShow(got, calWarsaw), calShow(want, calWarsaw))
			}
			if got, want := c.NextClose(at), calAt(calWarsaw, tt.close); !got.Equal(want) {
				t.Errorf("NextClose = %s, want %s", calShow(got, calWarsaw), calShow(want, calWarsaw))
			}
		})
	}
}

func TestCalendarAddOpen(t *testing.T) {
	c := calOffice()
	tests := []struct {
		name, at string
		d        time.Duration
		want     string
	}{
		{"within the day", "2026-11-02 10:00", time.Hour, "2026-11-02 11:00"},
		{"up to closing", "2026-11-02 17:00", time.Hour, "2026-11-02 18:00"},
		{"over a night", "2026-11-02 17:00", 2 * time.Hour, "2026-11-03 10:00"},
		{"from the night", "2026-11-02 23:00", time.Hour, "2026-11-03 10:00"},
		{"over a weekend", "2026-11-06 17:30", time.Hour, "2026-11-09 09:30"},
		{"from Saturday", "2026-11-07 12:00", time.Hour, "2026-11-09 10:00"},
		{"over a holiday", "2026-11-10 17:30", time.Hour, "2026-11-12 09:30"},
		{"over a long weekend", "2026-12-24 17:30", time.Hour, "2026-12-29 09:30"},
		{"a whole business week", "2026-11-02 09:00", 45 * time.Hour, "2026-11-06 18:00"},
		{"nothing", "2026-11-07 12:00", 0, "2026-11-07 12:00"},
		// An hour of business time is an hour of real time, and the
		// opening is at 09:00 on the clock, on either side of a change.
		{"over the clocks going back", "2026-10-23 17:30", time.Hour, "2026-10-26 09:30"},
		{"over the clocks going forward", "2026-03-27 17:30", time.Hour, "2026-03-30 09:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := c.AddOpen(calAt(calWarsaw, tt.at), tt.d), calAt(calWarsaw, tt.want)
			if !got.Equal(want) {
				t.Errorf("AddOpen(%s, %s) = %s, want %s", tt.at, tt.d, calShow(got, calWarsaw), calShow(want, calWarsaw))
			}
		})
	}
}

func TestCalendarOpenBetween(t *testing.T) {
	c := calOffice()
	tests := []struct {
		name, from, to string
		want           time.Duration
	}{
		{"a week", "2026-11-02 00:00", "2026-11-09 00:00", 45 * time.Hour},
		{"the week the clocks go back", "2026-10-19 00:00", "2026-10-26 00:00", 45 * time.Hour},
		{"the week after", "2026-10-26 00:00", "2026-11-02 00:00", 45 * time.Hour},
		{"the week the clocks go forward", "2026-03-23 00:00", "2026-03-30 00:00", 45 * time.Hour},
		{"a week with a holiday", "2026-11-09 00:00", "2026-11-16 00:00", 36 * time.Hour},
		{"Friday afternoon to Monday morning", "2026-11-06 17:00", "2026-11-09 10:00", 2 * time.Hour},
		{"inside a day", "2026-11-02 10:15", "2026-11-02 10:45", 30 * time.Minute},
		{"a weekend", "2026-11-06 18:00", "2026-11-09 09:00", 0},
		{"backwards", "2026-11-09 00:00", "2026-11-02 00:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.OpenBetween(calAt(calWarsaw, tt.from), calAt(calWarsaw, tt.to)); got != tt.want {
				t.Errorf("OpenBetween = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestCalendarClockChanges checks the days the clocks change, which the
// office calendar spends on a Sunday.
func TestCalendarClockChanges(t *testing.T) {
	every := func(s Span) Calendar {
		c := Calendar{Location: calWarsaw}
		for d := range c.Hours {
			c.Hours[d] = []Span{s}
		}
		return c
	}
	tests := []struct {
		name string
		c    Calendar
		day  string
		want time.Duration
		ends string // when the day's business time is used up: its close
	}{
		{"office hours, 23-hour day", every(Span{9 * 60, 18 * 60}), "2026-03-29", 9 * time.Hour, "2026-03-29 18:00"},
		{"office hours, 25-hour day", every(Span{9 * 60, 18 * 60}), "2026-10-25", 9 * time.Hour, "2026-10-25 18:00"},
		{"around the clock, 23-hour day", every(Span{0, 24 * 60}), "2026-03-29", 23 * time.Hour, "2026-03-30 00:00"},
		{"around the clock, 25-hour day", every(Span{0, 24 * 60}), "2026-10-25", 25 * time.Hour, "2026-10-26 00:00"},
		{"01:00–04:00 over the missing hour", every(Span{60, 4 * 60}), "2026-03-29", 2 * time.Hour, "2026-03-29 04:00"},
		{"01:00–04:00 over the repeated hour", every(Span{60, 4 * 60}), "2026-10-25", 4 * time.Hour, "2026-10-25 04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := calAt(calWarsaw, tt.day+" 00:00")
			to := from.AddDate(0, 0, 1)
			if got := tt.c.OpenBetween(from, to); got != tt.want {
				t.Errorf("OpenBetween(%s) = %s, want %s", tt.day, got, tt.want)
			}
			if got, want := tt.c.AddOpen(from, tt.want), calAt(calWarsaw, tt.ends); !got.Equal(want) {
				t.Errorf("AddOpen(%s, %s) = %s, want %s", tt.day, tt.want, calShow(got, calWarsaw), calShow(want, calWarsaw))
			}
		})
	}
	// 09:00–18:00 on both sides of a change is 09:00–18:00 on the clock.
	c := every(Span{9 * 60, 18 * 60})
	for _, day := range []string{"2026-03-28", "2026-03-29", "2026-03-30", "2026-10-24", "2026-10-25", "2026-10-26"} {
		at := calAt(calWarsaw, day+" 00:00")
		if got := c.NextOpen(at).In(calWarsaw).Format("15:04"); got != "09:00" {
			t.Errorf("%s opens at %s", day, got)
		}
		if got := c.NextClose(at).In(calWarsaw).Format("15:04"); got != "18:00" {
			t.Errorf("%s closes at %s", day, got)
		}
	}
}

func TestCalendarClosedStretch(t *testing.T) {
	c := calOffice()
	tests := []struct {
		name, at    string
		least       time.Duration
		from, until string
	}{
		{"a weekend, asked on Friday", "2026-11-06 15:00", 24 * time.Hour, "2026-11-06 18:00", "2026-11-09 09:00"},
		{"a weekend, asked on Tuesday", "2026-11-03 15:00", 24 * time.Hour, "2026-11-06 18:00", "2026-11-09 09:00"},
		{"a night", "2026-11-03 15:00", time.Hour, "2026-11-03 18:00", "2026-11-04 09:00"},
		{"the rest of a weekend", "2026-11-07 12:00", 24 * time.Hour, "2026-11-07 12:00", "2026-11-09 09:00"},
		{"too little left of this one", "2026-11-01 20:00", 24 * time.Hour, "2026-11-06 18:00", "2026-11-09 09:00"},
		{"a holiday", "2026-11-10 12:00", 24 * time.Hour, "2026-11-10 18:00", "2026-11-12 09:00"},
		{"a long weekend", "2026-12-24 12:00", 24 * time.Hour, "2026-12-24 18:00", "2026-12-29 09:00"},
		{"the weekend the clocks go back", "2026-10-23 12:00", 64 * time.Hour, "2026-10-23 18:00", "2026-10-26 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, until, ok := c.ClosedStretch(calAt(calWarsaw, tt.at), tt.least)
			wantFrom, wantUntil := calAt(calWarsaw, tt.from), calAt(calWarsaw, tt.until)
			if !ok || !from.Equal(wantFrom) || !until.Equal(wantUntil) {
				t.Errorf("ClosedStretch = %s → %s (%v), want %s → %s",
					calShow(from, calWarsaw), calShow(until, calWarsaw), ok, calShow(wantFrom, calWarsaw), calShow(wantUntil, calWarsaw))
			}
		})
	}
	if from, until, ok := c.ClosedStretch(calAt(calWarsaw, "2026-11-02 12:00"), 30*24*time.Hour); ok {
		t.Errorf("a 30-day closed stretch: %s → %s", calShow(from, calWarsaw), calShow(until, calWarsaw))
	}
}

// TestCalendarWithoutEnds checks that a calendar that never opens, or never
// closes, answers rather than searching forever.
func TestCalendarWithoutEnds(t *testing.T) {
	at := calAt(calWarsaw, "2026-11-02 12:00")
	closed := Calendar{Location: calWarsaw}
	if closed.Open(at) {
		t.Error("a calendar without hours is open")
	}
	if got := closed.NextOpen(at); !got.Equal(Never) {
		t.Errorf("NextOpen = %s, want Never", got)
	}
	if got := closed.AddOpen(at, time.Hour); !got.Equal(Never) {
		t.Errorf("AddOpen = %s, want Never", got)
	}
	if got := closed.NextClose(at); !got.Equal(Never) {
		t.Errorf("NextClose = %s, want Never", got)
	}
	if got := closed.OpenBetween(at, at.AddDate(1, 0, 0)); got != 0 {
		t.Errorf("OpenBetween = %s, want 0", got)
	}
	if from, until, ok := closed.ClosedStretch(at, 24*time.Hour); !ok || !from.Equal(at) || !until.Equal(Never) {
		t.Errorf("ClosedStretch = %s → %s (%v), want from now, for ever", from, until, ok)
	}

	always := Calendar{Location: calWarsaw}
	for d := range always.Hours {
		always.Hours[d] = []Span{{0, 24 * 60}}
	}
	if !always.Open(at) {
		t.Error("a calendar open around the clock is closed")
	}
	if got := always.NextClose(at); !got.Equal(Never) {
		t.Errorf("NextClose = %s, want Never", got)
	}
	if got, want := always.AddOpen(at, 50*time.Hour), at.Add(50*time.Hour); !got.Equal(want) {
		t.Errorf("AddOpen = %s, want %s", got, want)
	}
	if got := always.OpenBetween(at, at.AddDate(0, 0, 7)); got != 7*24*time.Hour {
		t.Errorf("OpenBetween a week = %s", got)
	}
	if from, until, ok := always.ClosedStretch(at, time.Minute); ok {
		t.Errorf("ClosedStretch = %s → %s, want none", from, until)
	}
}

// TestCalendarSpans checks hours given out of order, overlapping, or
// running to midnight and on from it.
func TestCalendarSpans(t *testing.T) {
	c := Calendar{Location: calIstanbul}
	c.Hours[time.Monday] = []Span{{14 * 60, 18 * 60}, {9 * 60, 12 * 60}, {11 * 60, 13 * 60}}
	c.Hours[time.Tuesday] = []Span{{20 * 60, 24 * 60}}
	c.Hours[time.Wednesday] = []Span{{0, 2 * 60}, {5 * 60, 5 * 60}} // an empty span is no span
	mon := calAt(calIstanbul, "2026-11-02 00:00")
	if got := c.OpenBetween(mon, mon.AddDate(0, 0, 1)); got != 8*time.Hour {
		t.Errorf("Monday has %s of business, want 8h (09–13, 14–18)", got)
	}
	if got, want := c.NextClose(calAt(calIstanbul, "2026-11-02 10:00")), calAt(calIstanbul, "2026-11-02 13:00"); !got.Equal(want) {
		t.Errorf("NextClose on Monday = %s, want 13:00", calShow(got, calIstanbul))
	}
	if got, want := c.NextClose(calAt(calIstanbul, "2026-11-03 21:00")), calAt(calIstanbul, "2026-11-04 02:00"); !got.Equal(want) {
		t.Errorf("NextClose on Tuesday night = %s, want Wednesday 02:00", calShow(got, calIstanbul))
	}
	if !c.Open(calAt(calIstanbul, "2026-11-04 00:00")) {
		t.Error("closed at midnight between two open stretches")
	}
	if got, want := c.NextOpen(calAt(calIstanbul, "2026-11-04 03:00")), calAt(calIstanbul, "2026-11-09 09:00"); !got.Equal(want) {
		t.Errorf("NextOpen after Wednesday = %s, want next Monday 09:00", calShow(got, calIstanbul))
	}
}
