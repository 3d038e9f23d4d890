// Package spike tells a surge of complaints from a busy hour, and what the
// surge is about.
//
// A surge is measured against the same hour of the week in the weeks
// before, not against the hours just gone: Monday morning is always busier
// than Sunday night, and a desk that compared with the hour before would
// cry wolf every morning. What a surge is about is the words and two-word
// phrases its messages share and the usual messages do not.
//
// The package keeps no store and reads no clock: counts come from a
// Counter the caller backs with its store, and the time is passed in, so
// that every decision can be checked with known numbers.
package spike

import (
	"fmt"
	"slices"
	"time"
)

// Policy is how big a surge must be before the desk is told of it.
type Policy struct {
	// Window is how far back a reading counts: the Window before now, and
	// the same span of each past week.
	Window time.Duration
	// Factor is how many times the usual count makes a spike.
	Factor float64
	// Min is the fewest complaints in a Window that can be a spike, so
	// that 4 complaints in an hour that usually has 1 are not one.
	Min int
	// Floor is the least usual count a reading assumes: what a desk
	// without history, or an hour that is usually empty, is taken to have.
	// Without it a quiet hour's usual count is 0, and any Min complaints
	// would be a spike.
	Floor float64
	// Weeks is how many past weeks make the usual count.
	Weeks int
	// CoolDown is how long after an alert a new surge resumes it silently
	// instead of posting another, so that a surge that dips and comes back
	// is one alert, not two.
	CoolDown time.Duration
}

// DefaultPolicy is a spike of at least 10 complaints in half an hour, three
// times what the same half hour had in the last 4 weeks (or 3, when they
// had less), with no second alert for 2 hours.
func DefaultPolicy() Policy {
	return Policy{
		Window:   30 * time.Minute,
		Factor:   3,
		Min:      10,
		Floor:    3,
		Weeks:    4,
		CoolDown: 2 * time.Hour,
	}
}

// Counter counts the complaints of source ("" for every source) opened in
// [from, until). The caller backs it with its store.
type Counter func(source string, from, until time.Time) (int, error)

// Reading is how busy a source is now, next to how busy it usually is.
type Reading struct {
	Source string  // as the Counter was asked; "" for every source
	Count  int     // complaints opened in [From, Until)
	Usual  float64 // the median of the same window in past weeks, never below Policy.Floor
	// History is how many past weeks Usual has: fewer than Policy.Weeks
	// when the desk is younger than that.
	History int
	// Over is whether Count is a spike: at least Policy.Min, and at least
	// Policy.Factor times Usual.
	Over bool
	// From and Until are the window counted: the Policy's Window before
	// the time of the reading, which is Until.
	From, Until time.Time
}

// Read counts source's complaints in the Window before now and in the
// same window of each of the past p.Weeks weeks, and says whether now is a
// spike.
//
// The usual count is the median of the past weeks, so one past surge does
// not raise it for a month. A week whose window starts before since (the
// desk's first complaint) is not history: it had no complaints because
// there was no desk, not because the hour is quiet. A week is a calendar
// week in now's location, so that in Romania, Poland and Bulgaria 21:00 is
// compared with 21:00 across a change of summer time.
func Read(count Counter, p Policy, source string, since, now time.Time) (Reading, error) {
	if p.Window <= 0 {
		return Reading{}, fmt.Errorf("spike policy: a window of %v counts nothing", p.Window)
	}
	r := Reading{Source: source, From: now.Add(-p.Window), Until: now}
	n, err := countIn(count, source, r.From, r.Until)
	if err != nil {
		return Reading{}, err
	}
	r.Count = n
	past := make([]int, 0, max(p.Weeks, 0))
	for k := 1; k <= p.Weeks; k++ {
		until := now.AddDate(0, 0, -7*k)
		from := until.Add(-p.Window)
		if from.Before(since) {
			break // earlier weeks start earlier still
		}
		n, err := countIn(count, source, from, until)
		if err != nil {
			return Reading{}, err
		}
		past = append(past, n)
	}
	r.History = len(past)
	r.Usual = max(median(past), p.Floor)
	r.Over = r.Count >= p.Min && float64(r.Count) >= p.Factor*r.Usual
	return r, nil
}

// countIn calls count, saying in its error which count failed.
func countIn(count Counter, source string, from, until time.Time) (int, error) {
	n, err := count(source, from, until)
	if err != nil {
		name := source
		if name == "" {
			name = "all"
		}
		const layout = "2006-01-02 15:04"
		return 0, fmt.Errorf("count %s complaints %s–%s: %w", name, from.Format(layout), until.Format(layout), err)
	}
	return n, nil
}

// median is the middle of counts, or the mean of the middle two; 0 when
// there are none.
func median(counts []int) float64 {
	if len(counts) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(counts))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return float64(s[m])
	}
	return float64(s[m-1]+s[m]) / 2
}
