package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
	"caredesk/store/postgres"
	"caredesk/store/postgres/pgtest"
)

// TestGroupedUpdates: Updates asked for at the same time share commits,
// and one that fails undoes only its own changes (a failed statement
// included, which in PostgreSQL would abort the whole transaction without
// its savepoint); a panic in one reaches its caller and leaves the others
// stored.
func TestGroupedUpdates(t *testing.T) {
	_, url := pgtest.Database(t)
	db := mustOpen(t, url)
	at := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	taken := bot.Ticket{Source: "telegram", Conversation: "1", Customer: bot.Customer{ID: "1"}, State: bot.Open, DeskThread: "1741392000.000100", OpenedAt: at}
	if err := db.Update(context.Background(), func(tx bot.Tx) error { return tx.CreateTicket(&taken) }); err != nil {
		t.Fatal(err)
	}
	const n = 120
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = db.Update(context.Background(), func(tx bot.Tx) error {
				if _, err := tx.FirstSight(fmt.Sprintf("key:%d", i), at); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errors.New("refused")
				case 5:
					// A statement the server refuses (a second ticket on one
					// desk thread): without a savepoint of its own, it would
					// abort its neighbours' transaction too.
					dup := taken
					return tx.CreateTicket(&dup)
				case 7:
					panic("fn panicked")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i := range n {
		wantErr, wantPanic := i%10 == 3 || i%10 == 5, i%10 == 7
		if (errs[i] != nil) != wantErr || (panics[i] != nil) != wantPanic {
			t.Errorf("update %d: err %v, panic %v; want err %v, panic %v", i, errs[i], panics[i], wantErr, wantPanic)
		}
		var fresh bool
		if err := db.Update(context.Background(), func(tx bot.Tx) (err error) {
			fresh, err = tx.FirstSight(fmt.Sprintf("key:%d", i), at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if stored := !fresh; stored != (!wantErr && !wantPanic) {
			t.Errorf("update %d: stored %v; want only the updates that succeeded", i, stored)
		}
	}
}

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
