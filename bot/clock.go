package bot

import "time"

// Clock tells the time. Nothing in the core calls time.Now directly, so that
// tests can run a weekend in a millisecond.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock.
var SystemClock Clock = ClockFunc(time.Now)
