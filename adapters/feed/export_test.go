package feed

import (
	"context"
	"time"
)

// SetWait replaces how l waits between polls, so that tests see the
// waits Run chooses and decide when the next poll happens, without
// sleeping. Call it before Run.
func SetWait(l *Listener, wait func(ctx context.Context, d time.Duration) bool) { l.wait = wait }

// PollOnce polls once, as Run does between waits, for benchmarks.
func PollOnce(ctx context.Context, l *Listener, r Receiver) error { return l.poll(ctx, r) }
