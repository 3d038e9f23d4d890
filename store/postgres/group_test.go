package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
	"caredesk/store/postgres"
	"caredesk/store/postgres/pgtest"
)

// TestCloseWhileTheWriteLockIsHeld: while another session holds the write
// lock (a caredesk cut off mid-transaction, a migration), an Update waits
// for it; Close does not wait with it, and the Update fails.
func TestCloseWhileTheWriteLockIsHeld(t *testing.T) {
	_, url := pgtest.Database(t)
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	holder, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	if err := holder.QueryRow(context.Background(), `SELECT pg_advisory_lock($1)`, postgres.WriteLockKey).Scan(new(any)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- db.Update(context.Background(), func(bot.Tx) error { return nil }) }()
	// Until the Update's group waits for the lock on the server.
	for waiting := 0; waiting == 0; {
		if err := holder.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a write lock another session holds")
	}
	if err := <-done; err == nil {
		t.Error("an Update that never got the write lock returned nil")
	}
}
