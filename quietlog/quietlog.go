// Package quietlog keeps a repeated problem from flooding the log: the first
// occurrence of a problem is logged at once, repeats within the interval are
// only counted, and one line per interval says how many there were.
//
// A forged-request flood, a full disk or a network that is down produce the
// same problem thousands of times a minute; an operator needs to read that
// it happens and how often, not thousands of identical lines.
package quietlog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// MaxKeys is how many problem keys a Limiter tells apart within an
// interval; the problems of further keys are counted under Overflow.
const MaxKeys = 1000

// Overflow is the key of the problems past MaxKeys keys.
const Overflow = "(many others)"

// Limiter logs each problem key at most once per interval. The zero value is
// not usable; call New.
type Limiter struct {
	log   *slog.Logger
	every time.Duration

	mu       sync.Mutex
	problems map[string]*problem
}

// problem is one key's state within its current interval.
type problem struct {
	level   slog.Level
	msg     string
	args    []any
	repeats int // logged once, then counted since
}

// New returns a Limiter that writes to log and summarises repeats every
// interval (a minute when every is not positive).
func New(log *slog.Logger, every time.Duration) *Limiter {
	if every <= 0 {
		every = time.Minute
	}
	return &Limiter{log: log, every: every, problems: map[string]*problem{}}
}

// Log logs msg with args at level if key has not been logged within the
// interval; otherwise it counts a repeat, and the interval ends with one more
// line of msg with repeats=N, in_last=1m0s and the latest args. key names the
// problem (for example "forged request from 203.0.113.7"); msg and args
// describe one occurrence.
func (l *Limiter) Log(level slog.Level, key, msg string, args ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return // nothing to say: no need to remember it either
	}
	l.mu.Lock()
	p, ok := l.problems[key]
	if !ok && len(l.problems) >= MaxKeys {
		// A sender with a new address per request would otherwise get a
		// line and an entry each: past the cap they share one.
		key = Overflow
		p, ok = l.problems[key]
	}
	if !ok {
		l.problems[key] = &problem{level: level, msg: msg}
		l.mu.Unlock()
		l.log.Log(context.Background(), level, msg, args...)
		time.AfterFunc(l.every, func() { l.summarise(key) })
		return
	}
	p.level, p.msg, p.args = level, msg, args
	p.repeats++
	l.mu.Unlock()
}

// summarise ends key's interval: it reports the repeats, if any, and starts
// a new interval only then, so that a problem that went away is logged at
// once when it comes back.
func (l *Limiter) summarise(key string) {
	l.mu.Lock()
	p := l.problems[key]
	if p == nil || p.repeats == 0 {
		delete(l.problems, key)
		l.mu.Unlock()
		return
	}
	level, msg, n, args := p.level, p.msg, p.repeats, p.args
	p.repeats = 0
	l.mu.Unlock()
	l.log.Log(context.Background(), level, msg, append([]any{"repeats", n, "in_last", l.every.String()}, args...)...)
	time.AfterFunc(l.every, func() { l.summarise(key) })
}

// Pending returns how many repeats of key wait for their summary line.
func (l *Limiter) Pending(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.problems[key]; p != nil {
		return p.repeats
	}
	return 0
}
