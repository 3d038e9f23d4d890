package bot_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestAnnounceGoesThroughTheOutbox: a notice from outside the core is
// stored first and reaches the desk channel once, also when the desk
// fails the first attempt.
func TestAnnounceGoesThroughTheOutbox(t *testing.T) {
	w := newWorld(t)
	w.desk.setFail(errors.New("slack is down"))
	if err := w.bot.Announce(context.Background(), "⚠️ Telegram is down."); err != nil {
		t.Fatalf("announce: %v", err)
	}
	if got := w.outbox(); got != 1 {
		t.Fatalf("outbox holds %d deliveries, want the announcement", got)
	}
	w.flush()
	w.desk.setFail(nil)
	w.clock.Add(time.Minute)
	w.flush()
	if !slices.Equal(w.desk.announced, []string{"⚠️ Telegram is down."}) {
		t.Errorf("the channel got %q, want the announcement once", w.desk.announced)
	}
	if got := w.outbox(); got != 0 {
		t.Errorf("outbox still holds %d deliveries", got)
	}
}
