package bot

import (
	"iter"
	"slices"
	"time"
)

// Span is a stretch of a day in wall-clock minutes since midnight,
// [Start, End): 09:00–18:00 is Span{540, 1080}. End may be 1440 (midnight),
// and a day open until 1440 followed by one open from 0 is one stretch.
// Wall-clock minutes rather than durations, so that 09:00 stays 09:00 on
// the day the clocks change.
type Span struct{ Start, End int }

// Calendar says when the team is at work. Outside its hours the rota
// answers; a source whose promise counts only business time uses it for
// its deadlines.
type Calendar struct {
	Location *time.Location  // the team's zone; nil means UTC
	Hours    [7][]Span       // indexed by time.Weekday; an empty day is closed
	Holidays map[string]bool // local dates "2006-01-02" that are closed all day
}

// Never is the answer of a search that found nothing within searchDays: the
// next opening of a calendar that never opens, the close of one that never
// closes. It lies far in the future so that a deadline set to it is never
// missed by accident; compare with Equal.
var Never = time.Date(9999, time.December, 31, 23, 59, 59, 0, time.UTC)

// searchDays bounds every search of a calendar: without it, a calendar with
// no open hours (or one open around the clock) would be searched forever.
const searchDays = 400

// holidayLayout is how Calendar.Holidays spells a date.
const holidayLayout = "2006-01-02"

// DefaultCalendar is Monday to Friday, 09:00–18:00 in loc, with no holidays:
// the office hours most teams start from.
func DefaultCalendar(loc *time.Location) Calendar {
	c := Calendar{Location: loc, Holidays: map[string]bool{}}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Hours[d] = []Span{{Start: 9 * 60, End: 18 * 60}}
	}
	return c
}

// Open reports whether t falls in business hours.
func (c Calendar) Open(t time.Time) bool {
	for s := range c.stretches(t, t) {
		return !t.Before(s.from)
	}
	return false
}

// NextOpen returns t when it falls in business hours, otherwise the moment
// they next begin; Never when they do not begin within 400 days.
func (c Calendar) NextOpen(t time.Time) time.Time {
	for s := range c.stretches(t, t.Add(searchDays*24*time.Hour)) {
		return later(t, s.from)
	}
	return Never
}

// NextClose returns the next moment after t at which business hours end:
// the end of the current stretch when t is open, else of the next one;
// Never when none ends within 400 days (a calendar open around the clock).
func (c Calendar) NextClose(t time.Time) time.Time {
	for s := range c.stretches(t, t.Add(searchDays*24*time.Hour)) {
		return s.until
	}
	return Never
}

// AddOpen returns the moment at which d of business time has passed since t:
// the deadline of a source whose promise counts only business hours (one
// hour from Friday 17:30 is Monday 09:30). Business time is real elapsed
// time, so an hour of it is an hour on the day the clocks change. A d of
// zero or less returns t; Never when d does not fit in the next 400 days.
func (c Calendar) AddOpen(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	for s := range c.stretches(t, t.Add(searchDays*24*time.Hour)) {
		from := later(t, s.from)
		left := s.until.Sub(from)
		if d <= left {
			return from.Add(d)
		}
		d -= left
	}
	return Never
}

// OpenBetween returns how much business time lies in [a, b): how long a
// ticket really waited, counted the way its promise counts.
func (c Calendar) OpenBetween(a, b time.Time) time.Duration {
	var sum time.Duration
	for s := range c.stretches(a, b) {
		if !s.from.Before(b) {
			break
		}
		sum += earlier(b, s.until).Sub(later(a, s.from))
	}
	return sum
}

// ClosedStretch returns the first stretch of closed time at or after t that
// lasts at least atLeast (a weekend: Friday 18:00 to Monday 09:00, longer
// when the Monday is a holiday), so that the team can be told on Friday
// afternoon who covers it. When t is itself closed, the stretch it is in
// counts from t. until is Never when nothing opens again within 400 days;
// ok is false when there is no such stretch within 400 days (a calendar
// open around the clock, or atLeast longer than any closed stretch).
func (c Calendar) ClosedStretch(t time.Time, atLeast time.Duration) (from, until time.Time, ok bool) {
	last := t.Add(searchDays * 24 * time.Hour)
	end := t // the end of the business time seen so far
	for s := range c.stretches(t, last) {
		from := later(t, end)
		if s.from.After(from) && s.from.Sub(from) >= atLeast {
			return from, s.from, true
		}
		end = s.until
	}
	// Nothing opens again up to last; that is a stretch long enough only
	// if enough of it lies within the search.
	if from := later(t, end); !end.Equal(Never) && last.Sub(from) >= atLeast {
		return from, Never, true
	}
	return time.Time{}, time.Time{}, false
}

// stretch is a stretch of business time as instants, [from, until).
type stretch struct{ from, until time.Time }

// stretches yields, in order, the stretches of business time that end after
// t, looking at the local days from t's to last's. Stretches that touch (a
// day open until midnight and the next one from midnight) come as one; a
// stretch still open at the end of last's day comes as lasting until Never,
// since where it ends is past the search.
func (c Calendar) stretches(t, last time.Time) iter.Seq[stretch] {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	return func(yield func(stretch) bool) {
		var cur stretch // the stretch being built; zero when none
		flush := func() bool {
			ok := cur.until.IsZero() || !cur.until.After(t) || yield(cur)
			cur = stretch{}
			return ok
		}
		// The day before t's too: in a zone whose clocks change at
		// midnight, t's day may begin at what is the previous date.
		day, stop := dateIn(t, loc).AddDate(0, 0, -1), dateIn(last, loc)
		for ; !day.After(stop); day = day.AddDate(0, 0, 1) {
			for _, s := range c.day(day, loc) {
				if !cur.until.IsZero() && !s.from.After(cur.until) {
					cur.until = later(cur.until, s.until)
					continue
				}
				if !flush() {
					return
				}
				cur = s
			}
		}
		if cur.until.Equal(wallTime(day, 0, loc)) {
			cur.until = Never
		}
		flush()
	}
}

// day returns the business hours of one local date, in order, as instants.
func (c Calendar) day(date time.Time, loc *time.Location) []stretch {
	if c.Holidays[date.Format(holidayLayout)] {
		return nil
	}
	spans := slices.Clone(c.Hours[date.Weekday()])
	slices.SortFunc(spans, func(a, b Span) int { return a.Start - b.Start })
	var out []stretch
	for _, s := range spans {
		s.Start, s.End = max(s.Start, 0), min(s.End, 24*60)
		if s.Start >= s.End {
			continue
		}
		// time.Date resolves a wall-clock time the clocks skip to a real
		// instant, so a span crossing the missing hour is an hour shorter
		// and one crossing the repeated hour an hour longer, as lived.
		from, until := wallTime(date, s.Start, loc), wallTime(date, s.End, loc)
		if !from.Before(until) {
			continue
		}
		if n := len(out); n > 0 && !from.After(out[n-1].until) {
			out[n-1].until = later(out[n-1].until, until)
			continue
		}
		out = append(out, stretch{from, until})
	}
	return out
}

// dateIn returns t's local date in loc as midnight UTC: a date to count
// whole days with, which no clock change can stretch.
func dateIn(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// wallTime returns the instant at which the clocks in loc show minutes past
// midnight on date (as returned by dateIn).
func wallTime(date time.Time, minutes int, loc *time.Location) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d, 0, minutes, 0, 0, loc)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
