package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
	"caredesk/store/postgres"
	"caredesk/store/postgres/pgtest"
	"caredesk/store/storetest"
)

// mustOpen opens the database at dbURL, closed when the test ends.
func mustOpen(tb testing.TB, dbURL string, opts ...postgres.Option) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), dbURL, opts...)
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

// MustOpenDB opens a new, empty database, dropped when the test ends.
func MustOpenDB(tb testing.TB) *postgres.DB {
	tb.Helper()
	_, dbURL := pgtest.Database(tb)
	return mustOpen(tb, dbURL)
}

// raw connects to the database at dbURL behind caredesk's back, as an
// operator's psql would, to look at what the store wrote.
func raw(tb testing.TB, dbURL string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

var t0 = time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)

func TestStore(t *testing.T) {
	pgtest.Server(t) // one skip for the whole contract, not one per behaviour
	storetest.Run(t, func(t *testing.T) bot.Store { return MustOpenDB(t) })
}

// TestOpenRace: replicas that start together on an empty database all
// start, and the schema is built once.
func TestOpenRace(t *testing.T) {
	_, dbURL := pgtest.Database(t)
	const n = 2
	dbs := make([]*postgres.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(t.Context(), dbURL) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	if t.Failed() {
		return
	}
	rows, err := raw(t, dbURL).Query(t.Context(), `SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Version, N int }])
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) == 0 {
		t.Fatal("no migration recorded")
	}
	for i, c := range counts {
		if c.Version != i+1 || c.N != 1 {
			t.Errorf("schema_migrations %+v, want versions 1… each once", counts)
			break
		}
	}
	// Both serve the same database.
	var tk bot.Ticket
	if err := dbs[0].Update(t.Context(), func(tx bot.Tx) error {
		tk = bot.Ticket{Source: "telegram", Conversation: "1", Customer: bot.Customer{ID: "2"}, State: bot.Open, OpenedAt: t0}
		return tx.CreateTicket(&tk)
	}); err != nil {
		t.Fatal(err)
	}
	if err := dbs[1].View(t.Context(), func(tx bot.Tx) error { _, err := tx.Ticket(tk.ID); return err }); err != nil {
		t.Errorf("the second replica does not see the first one's ticket: %v", err)
	}
}

// TestReplicasSerializeUpdates: the core reads and then writes inside
// Update. Two replicas doing that to one ticket at once must not lose each
// other's changes, nor fail for being at the same time.
func TestReplicasSerializeUpdates(t *testing.T) {
	_, dbURL := pgtest.Database(t)
	a, b := mustOpen(t, dbURL), mustOpen(t, dbURL)
	tk := bot.Ticket{Source: "telegram", Conversation: "1", Customer: bot.Customer{ID: "2"}, State: bot.Open, OpenedAt: t0}
	if err := a.Update(t.Context(), func(tx bot.Tx) error { return tx.CreateTicket(&tk) }); err != nil {
		t.Fatal(err)
	}
	const each = 25
	errs := make(chan error, 2*each)
	var wg sync.WaitGroup
	for _, db := range []*postgres.DB{a, b} {
		for range each {
			wg.Go(func() {
				errs <- db.Update(t.Context(), func(tx bot.Tx) error {
					got, err := tx.Ticket(tk.ID)
					if err != nil {
						return err
					}
					time.Sleep(time.Millisecond) // room for the other replica to interleave, if it could
					got.Reopens++
					return tx.SaveTicket(got)
				})
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	if err := b.View(t.Context(), func(tx bot.Tx) error {
		got, err := tx.Ticket(tk.ID)
		if err == nil && got.Reopens != 2*each {
			t.Errorf("Reopens = %d after %d increments from two replicas: updates interleaved", got.Reopens, 2*each)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	_, dbURL := pgtest.Database(t)
	db, err := postgres.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Ticket{Source: "telegram", Conversation: "1", Customer: bot.Customer{ID: "2"}, State: bot.Open, OpenedAt: t0}
	if err := db.Update(t.Context(), func(tx bot.Tx) error { return tx.CreateTicket(&want) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A migration applied twice would fail here: CREATE TABLE of a table
	// that exists.
	db = mustOpen(t, dbURL)
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

func TestOpenRefusesNewerSchema(t *testing.T) {
	_, dbURL := pgtest.Database(t)
	mustOpen(t, dbURL).Close()
	conn := raw(t, dbURL)
	var future int
	if err := conn.QueryRow(t.Context(), `INSERT INTO schema_migrations (version, name)
		SELECT max(version) + 1, 'from_the_future.sql' FROM schema_migrations RETURNING version`).Scan(&future); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(t.Context(), dbURL)
	if err == nil {
		db.Close()
		t.Fatalf("Open of a schema version %d database: no error", future)
	}
	if msg := err.Error(); !strings.Contains(msg, "newer caredesk") || !strings.Contains(msg, fmt.Sprint(future)) {
		t.Errorf("Open error %q: want it to name version %d and say a newer caredesk wrote it", msg, future)
	}
}

// TestOpenExplains: a start that cannot work says what to do, and never
// shows the password.
func TestOpenExplains(t *testing.T) {
	u, err := url.Parse(pgtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	missing := *u
	missing.Path = "/caredesk_test_missing_" + strings.ToLower(rand.Text())
	missing.User = url.UserPassword(u.User.Username(), "s3cret-pw")
	unreachable := missing
	unreachable.Host = "127.0.0.1:1" // nothing listens on port 1
	readOnly, readOnlyURL := pgtest.Database(t)
	pgtest.Admin(t, "ALTER DATABASE "+readOnly+" SET default_transaction_read_only = on")

	tests := []struct {
		name, url, want string
	}{
		{"no such database", missing.String(), "does not exist"},
		{"no server", unreachable.String(), "cannot reach PostgreSQL"},
		{"read-only", readOnlyURL, "takes no writes"},
		{"not a URL", "postgres://host:port-is-not-a-number/db", "write the PostgreSQL URL as"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			db, err := postgres.Open(ctx, tt.url)
			if err == nil {
				db.Close()
				t.Fatal("Open: no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error %q, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("Open error %q shows the password", err)
			}
		})
	}
}

// TestWritable: a database that stops taking writes (a failover to a
// standby, here a database made read-only) is not ready, and is again once
// it takes writes.
func TestWritable(t *testing.T) {
	name, dbURL := pgtest.Database(t)
	db := mustOpen(t, dbURL)
	if err := db.Writable(t.Context()); err != nil {
		t.Fatalf("Writable of a new database: %v", err)
	}
	// Settings of a database apply to sessions that start later: end the
	// pool's.
	reconnect := func(setting string) {
		pgtest.Admin(t, "ALTER DATABASE "+name+" SET default_transaction_read_only = "+setting)
		pgtest.Admin(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+name+"'")
	}
	until := func(what string, ok func(error) bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			err := db.Writable(t.Context())
			if ok(err) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Writable = %v, still not %s", err, what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	reconnect("on")
	// 25006 is read_only_sql_transaction: the first probe may meet a
	// connection that was ended instead, which is not ready either.
	until("read-only", func(err error) bool { return err != nil && strings.Contains(err.Error(), "25006") })
	// An Update fails too, and says why.
	err := db.Update(t.Context(), func(tx bot.Tx) error { _, err := tx.FirstSight("k", t0); return err })
	if err == nil {
		t.Error("Update of a read-only database: no error")
	}
	reconnect("off")
	until("writable", func(err error) bool { return err == nil })
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

// TestMissingTicketKeepsTransaction: in PostgreSQL a statement that fails
// aborts its transaction. A message for a ticket that does not exist is a
// "not found" the core may go on after, so it must not be one.
func TestMissingTicketKeepsTransaction(t *testing.T) {
	db := MustOpenDB(t)
	err := db.Update(t.Context(), func(tx bot.Tx) error {
		m := bot.Message{TicketID: 99, Kind: bot.FromCustomer, Text: "hi", At: t0}
		if err := tx.AddMessage(&m); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("AddMessage to a missing ticket: %v, want ENOTFOUND", err)
		}
		if err := tx.AddEvent(bot.Event{TicketID: 99, Kind: "opened", At: t0}); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("AddEvent to a missing ticket: %v, want ENOTFOUND", err)
		}
		if err := tx.AddTimer(&bot.Timer{TicketID: 99, Alarm: bot.BreachFirstReply, DueAt: t0}); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("AddTimer to a missing ticket: %v, want ENOTFOUND", err)
		}
		tk := bot.Ticket{Source: "telegram", Conversation: "1", Customer: bot.Customer{ID: "2"}, State: bot.Open}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		a := bot.Attachment{TicketID: tk.ID, MessageID: 99, Kind: bot.FilePhoto, State: bot.FileWaiting}
		if err := tx.AddAttachment(&a); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("AddAttachment to a missing message: %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the transaction did not survive the misses: %v", err)
	}
}

// TestLongReply: a reply longer than a B-tree entry can hold is stored and
// counted (messages_replies indexes the text's digest).
func TestLongReply(t *testing.T) {
	db := MustOpenDB(t)
	// Random, so that compression does not make it small.
	var b strings.Builder
	for range 400 {
		b.WriteString(rand.Text())
	}
	long := b.String()
	var ids []int64
	err := db.Update(t.Context(), func(tx bot.Tx) error {
		for range 2 {
			tk := bot.Ticket{Source: "telegram", Conversation: "1", Customer: bot.Customer{ID: "2"}, State: bot.Open}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			ids = append(ids, tk.ID)
			if err := tx.AddMessage(&bot.Message{TicketID: tk.ID, Kind: bot.Reply, Text: long, At: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(t.Context(), func(tx bot.Tx) error {
		n, err := tx.SameReplies(long, t0, ids[0])
		if err == nil && n != 1 {
			t.Errorf("SameReplies of a %d-byte reply = %d, want 1", len(long), n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSessionLocks: replicas of different names share a database; a
// second of one name is refused, and so is any caredesk while a tool has
// the database Alone, and the tool while any replica runs. Each starts
// once the one in its way has closed.
func TestSessionLocks(t *testing.T) {
	tests := []struct {
		name          string
		first, second postgres.Option
		refused       string // "" for none
	}{
		{"two replicas", postgres.Replica("a"), postgres.Replica("b"), ""},
		{"one name twice", postgres.Replica("a"), postgres.Replica("a"), "another caredesk runs as replica a on this database"},
		{"a tool while a replica runs", postgres.Replica("a"), postgres.Alone(), "another caredesk is using this database; stop every caredesk on it first"},
		{"a replica while a tool runs", postgres.Alone(), postgres.Replica("a"), "caredesk migrate is moving a desk into this database"},
		{"two tools", postgres.Alone(), postgres.Alone(), "another caredesk is using this database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := pgtest.Database(t)
			first, err := postgres.Open(t.Context(), url, tt.first)
			if err != nil {
				t.Fatal(err)
			}
			second, err := postgres.Open(t.Context(), url, tt.second)
			switch {
			case tt.refused == "" && err != nil:
				t.Fatalf("second: %v, want it open", err)
			case tt.refused == "":
				second.Close()
				first.Close()
				return
			case err == nil:
				second.Close()
				t.Fatalf("second opened, want %q", tt.refused)
			case !strings.Contains(err.Error(), tt.refused):
				t.Fatalf("second: %v, want %q", err, tt.refused)
			}
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			second, err = postgres.Open(t.Context(), url, tt.second)
			if err != nil {
				t.Fatalf("after the first closed: %v", err)
			}
			second.Close()
		})
	}
}
