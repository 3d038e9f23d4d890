package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/store/sqlite"
	"caredesk/store/storetest"
)

// MustOpenDB opens a new database file in a temporary directory, closed when
// the test ends.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return mustOpen(tb, filepath.Join(tb.TempDir(), "caredesk.db"))
}

func mustOpen(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

// raw opens the file behind caredesk's back, as an operator's sqlite3 shell
// would, to look at what the store wrote.
func raw(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func userVersion(tb testing.TB, path string) int {
	tb.Helper()
	var v int
	if err := raw(tb, path).QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}

var t0 = time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store { return MustOpenDB(t) })
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caredesk.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Ticket{Source: "telegram", Conversation: "1", Customer: bot.Customer{ID: "2"},
		State: bot.Open, OpenedAt: t0}
	if err := db.Update(t.Context(), func(tx bot.Tx) error { return tx.CreateTicket(&want) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	version := userVersion(t, path)
	if version < 1 {
		t.Fatalf("schema version %d after Open, want the number of the last migration", version)
	}

	// A migration applied twice would fail here: CREATE TABLE of a table
	// that exists.
	db = mustOpen(t, path)
	if got := userVersion(t, path); got != version {
		t.Errorf("schema version %d after reopening, want %d still", got, version)
	}
	err = db.Update(t.Context(), func(tx bot.Tx) error {
		got, err := tx.Ticket(want.ID)
		if err != nil {
			return err
		}
		if got.Customer != want.Customer || !got.OpenedAt.Equal(want.OpenedAt) {
			t.Errorf("after reopening: ticket %+v, want %+v", got, want)
		}
		next := want
		if err := tx.CreateTicket(&next); err != nil {
			return err
		}
		if next.ID != want.ID+1 {
			t.Errorf("after reopening: new ticket #%d, want #%d", next.ID, want.ID+1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caredesk.db")
	mustOpen(t, path)
	var mode string
	if err := raw(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caredesk.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	future := userVersion(t, path) + 1
	if _, err := raw(t, path).Exec(fmt.Sprintf(`PRAGMA user_version = %d`, future)); err != nil {
		t.Fatal(err)
	}

	db, err = sqlite.Open(path)
	if err == nil {
		db.Close()
		t.Fatalf("Open of a schema version %d file: no error", future)
	}
	if msg := err.Error(); !strings.Contains(msg, "newer caredesk") || !strings.Contains(msg, fmt.Sprint(future)) {
		t.Errorf("Open error %q: want it to name version %d and say a newer caredesk wrote it", msg, future)
	}
	if got := userVersion(t, path); got != future {
		t.Errorf("schema version %d after the refused Open, want %d untouched", got, future)
	}
}

func TestOpenNeedsAFile(t *testing.T) {
	for _, path := range []string{"", ":memory:", filepath.Join(t.TempDir(), "missing", "caredesk.db")} {
		if db, err := sqlite.Open(path); err == nil {
			db.Close()
			t.Errorf("Open(%q): no error", path)
		}
	}
}

// TestOddPath: a path is a path, even with characters that mean something
// in a URI.
func TestOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "care desk?mode=ro#1.db")
	db := mustOpen(t, path)
	if err := db.Update(t.Context(), func(tx bot.Tx) error { return tx.CreateTicket(&bot.Ticket{State: bot.Open}) }); err != nil {
		t.Fatal(err)
	}
	if got := userVersion(t, path); got < 1 {
		t.Errorf("no schema in %s (version %d)", path, got)
	}
}

func TestForgetSeen(t *testing.T) {
	db := MustOpenDB(t)
	// More than one batch, and keys on both sides of the cut.
	const old = 2500
	err := db.Update(t.Context(), func(tx bot.Tx) error {
		for i := range old {
			if _, err := tx.FirstSight(fmt.Sprintf("old:%d", i), t0.Add(-time.Duration(i)*time.Second)); err != nil {
				return err
			}
		}
		if _, err := tx.FirstSight("zero", time.Time{}); err != nil {
			return err
		}
		_, err := tx.FirstSight("recent", t0.Add(time.Second))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	n, err := db.ForgetSeen(t.Context(), t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if n != old+1 {
		t.Errorf("ForgetSeen removed %d keys, want %d", n, old+1)
	}

	want := map[string]bool{"old:0": true, "old:2499": true, "zero": true, "recent": false}
	err = db.Update(t.Context(), func(tx bot.Tx) error {
		for key, fresh := range want {
			got, err := tx.FirstSight(key, t0)
			if err != nil {
				return err
			}
			if got != fresh {
				t.Errorf("after ForgetSeen: FirstSight(%q) = %v, want %v", key, got, fresh)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if n, err := db.ForgetSeen(t.Context(), time.Time{}); err != nil || n != 0 {
		t.Errorf("ForgetSeen(zero time) = %d, %v; want 0, nil", n, err)
	}
}

func TestOutboxLen(t *testing.T) {
	db := MustOpenDB(t)
	ds := []*bot.Delivery{
		{Destination: "desk", Job: bot.PostTicket},
		{Destination: "desk", Job: bot.UpdateTicket},
		{Destination: "telegram:1", Job: bot.SendReply, NextAt: t0.Add(time.Hour)},
	}
	err := db.Update(t.Context(), func(tx bot.Tx) error {
		for _, d := range ds {
			if err := tx.Enqueue(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkLen := func(want int) {
		t.Helper()
		if n, err := db.OutboxLen(t.Context()); err != nil || n != want {
			t.Errorf("OutboxLen = %d, %v; want %d", n, err, want)
		}
	}
	checkLen(3)
	if err := db.Update(t.Context(), func(tx bot.Tx) error { return tx.FinishDelivery(ds[0].ID) }); err != nil {
		t.Fatal(err)
	}
	checkLen(2)
}

// BenchmarkReceivePath is one inbound complaint: the store's share of what
// a customer's message costs before its network is acknowledged.
func BenchmarkReceivePath(b *testing.B) {
	db := MustOpenDB(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		err := db.Update(ctx, func(tx bot.Tx) error {
			if _, err := tx.FirstSight(fmt.Sprintf("telegram:update:%d", i), t0); err != nil {
				return err
			}
			if _, err := tx.FirstSight(fmt.Sprintf("telegram:message:%d", i), t0); err != nil {
				return err
			}
			customer := bot.Customer{ID: fmt.Sprint(i % 1000), Name: "Jane Doe"}
			if _, err := tx.LatestTicket("telegram", customer.ID, customer.ID); err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
				return err
			}
			tk := bot.Ticket{Source: "telegram", Conversation: customer.ID, Customer: customer,
				Text: "My order never arrived", State: bot.Open, OpenedAt: t0, Deadline: t0.Add(time.Hour), UpdatedAt: t0}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			m := bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Author: customer.ID, Text: tk.Text, At: t0}
			if err := tx.AddMessage(&m); err != nil {
				return err
			}
			if err := tx.AddEvent(bot.Event{TicketID: tk.ID, Kind: "opened", At: t0}); err != nil {
				return err
			}
			return tx.Enqueue(&bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: tk.ID, CreatedAt: t0})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDueDestinations is the delivery workers' poll with a backlog: a
// desk outage left 10,000 deliveries queued.
func BenchmarkDueDestinations(b *testing.B) {
	for _, queues := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("queues=%d", queues), func(b *testing.B) {
			db := MustOpenDB(b)
			ctx := context.Background()
			err := db.Update(ctx, func(tx bot.Tx) error {
				for i := range 10000 {
					// Every other head backs off, so half the queues are due.
					d := bot.Delivery{Destination: fmt.Sprintf("telegram:%d", i%queues), Job: bot.SendReply,
						NextAt: t0.Add(time.Duration(i%2) * time.Hour)}
					if err := tx.Enqueue(&d); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				err := db.View(ctx, func(tx bot.Tx) error {
					_, err := tx.DueDestinations(t0, 100)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
