package sqlite_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"caredesk/bot"
)

// TestLanesMigrationKeepsTheBacklog: a desk upgraded with deliveries queued
// (say, behind a failing root) has them divided into lanes at once.
func TestLanesMigrationKeepsTheBacklog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caredesk.db")
	old := raw(t, path)
	for _, name := range []string{"0001_init.sql", "0002_reach.sql", "0003_timers.sql", "0004_rota_changes.sql"} {
		schema, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(string(schema)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Ticket 1's root has failed and waits an hour; its thread post waits
	// behind it; ticket 2's root and a greeting (no time: due at once) wait
	// behind nothing any more.
	later := t0.Add(time.Hour).UnixMicro()
	_, err := old.Exec(`INSERT INTO outbox (id, destination, job, ticket_id, message_id, agent, source, conversation, text, attempts, next_at, created_at, last_error) VALUES
		(1, 'desk', 'post_ticket', 1, 0, '', '', '', '', 3, ?, ?, '503'),
		(2, 'desk', 'post_message', 1, 5, '', '', '', '', 0, ?, ?, ''),
		(3, 'desk', 'post_ticket', 2, 0, '', '', '', '', 0, ?, ?, ''),
		(4, 'telegram:9', 'send_greeting', 0, 0, '', 'telegram', '9', 'Hi', 0, NULL, ?, '');
		PRAGMA user_version = 4`,
		later, t0.UnixMicro(), t0.UnixMicro(), t0.UnixMicro(), t0.UnixMicro(), t0.UnixMicro(), t0.UnixMicro())
	if err != nil {
		t.Fatal(err)
	}
	old.Close()

	db := mustOpen(t, path)
	next := func(dest string, now time.Time) int64 {
		t.Helper()
		var id int64
		err := db.View(t.Context(), func(tx bot.Tx) error {
			d, _, err := tx.NextDelivery(dest, now)
			id = d.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	err = db.View(t.Context(), func(tx bot.Tx) error {
		due, err := tx.DueDestinations(t0, 10)
		if want := []string{"desk", "telegram:9"}; err == nil && !slices.Equal(due, want) {
			t.Errorf("due after the upgrade: %q, want %q", due, want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := next("desk", t0); got != 3 {
		t.Errorf("next for the desk now: delivery %d, want 3 (ticket 2's root)", got)
	}
	if got := next("telegram:9", t0); got != 4 {
		t.Errorf("next for telegram:9 now: delivery %d, want 4", got)
	}
	if err := db.Update(t.Context(), func(tx bot.Tx) error { return tx.FinishDelivery(3) }); err != nil {
		t.Fatal(err)
	}
	if got := next("desk", t0); got != 0 {
		t.Errorf("next for the desk now: delivery %d, want none (ticket 1 waits an hour)", got)
	}
	if got := next("desk", t0.Add(time.Hour)); got != 1 {
		t.Errorf("next for the desk in an hour: delivery %d, want 1 (ticket 1's root)", got)
	}
}
