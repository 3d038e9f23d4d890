package quietlog_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"caredesk/quietlog"
)

// records is a slog.Handler that hands every record to a channel.
type records chan slog.Record

func (r records) Enabled(context.Context, slog.Level) bool        { return true }
func (r records) Handle(_ context.Context, rec slog.Record) error { r <- rec; return nil }
func (r records) WithAttrs([]slog.Attr) slog.Handler              { return r }
func (r records) WithGroup(string) slog.Handler                   { return r }

func attr(rec slog.Record, key string) slog.Value {
	var v slog.Value
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}

func next(t *testing.T, r records) slog.Record {
	t.Helper()
	select {
	case rec := <-r:
		return rec
	case <-time.After(5 * time.Second):
		t.Fatal("no log line")
		return slog.Record{}
	}
}

func TestRepeatsAreCountedNotLogged(t *testing.T) {
	r := make(records, 100)
	l := quietlog.New(slog.New(r), 500*time.Millisecond) // ample for 1,001 calls, even under -race on a busy machine
	for i := range 1000 {
		l.Log(slog.LevelWarn, "forged from 10.0.0.1", "refused a forged request", "n", i)
	}
	l.Log(slog.LevelWarn, "forged from 10.0.0.2", "refused a forged request", "n", -1)

	first, other := next(t, r), next(t, r)
	if first.Message != "refused a forged request" || attr(first, "n").Int64() != 0 {
		t.Errorf("first line = %q n=%v, want the first occurrence", first.Message, attr(first, "n"))
	}
	if attr(other, "n").Int64() != -1 {
		t.Errorf("second line n=%v, want the other key's own first line", attr(other, "n"))
	}
	summary := next(t, r)
	if got := attr(summary, "repeats").Int64(); got != 999 {
		t.Errorf("summary repeats = %d, want 999", got)
	}
	if got := attr(summary, "n").Int64(); got != 999 {
		t.Errorf("summary carries n=%d, want the latest occurrence's 999", got)
	}
	if got := l.Pending("forged from 10.0.0.1"); got != 0 {
		t.Errorf("pending after the summary = %d, want 0", got)
	}
}

// TestManyKeysShareOneLine: a sender with a new address per request gets
// no line of its own per request past MaxKeys keys.
func TestManyKeysShareOneLine(t *testing.T) {
	r := make(records, 2*quietlog.MaxKeys)
	l := quietlog.New(slog.New(r), time.Hour)
	for i := range 3 * quietlog.MaxKeys {
		l.Log(slog.LevelWarn, fmt.Sprint("forged from 2001:db8::", i), "refused a forged request")
	}
	if got := len(r); got != quietlog.MaxKeys+1 {
		t.Errorf("%d lines for %d keys, want %d: one per key up to the cap, then one for the rest", got, 3*quietlog.MaxKeys, quietlog.MaxKeys+1)
	}
	if got := l.Pending(quietlog.Overflow); got != 2*quietlog.MaxKeys-1 {
		t.Errorf("%d repeats counted past the cap, want %d", got, 2*quietlog.MaxKeys-1)
	}
}
