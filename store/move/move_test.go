package move_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
	"caredesk/store/move"
	"caredesk/store/postgres"
	"caredesk/store/postgres/pgtest"
	"caredesk/store/sqlite"
)

// t0 has microseconds and a zone other than UTC, as the store contract's.
var t0 = time.Date(2025, 3, 8, 3, 0, 0, 123456000, time.FixedZone("+03", 3*60*60))

func update(t *testing.T, s bot.Store, fn func(bot.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func openSQLite(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func openPostgres(t *testing.T, dbURL string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The destinations of the desk built by fillDesk.
var destinations = []string{"desk", "desk:aside", "telegram:42", "telegram:7", "slack:idle", "nowhere"}

// fillDesk writes a desk with every kind of row and every field set into
// s: tickets open, claimed and resolved; messages edited and deleted;
// events; files kept, waiting and refused; deliveries in several lanes of
// several destinations, one backing off, one destination paused, some done
// (so that the outbox's last id is above its largest); timers, one fired;
// threads that moved tickets left; rota changes, one undone; surges, one
// ended, one still on; a storm with a digest, one complaint listed and
// let go, one parked; de-duplication keys.
func fillDesk(t *testing.T, s bot.Store) {
	t.Helper()
	update(t, s, func(tx bot.Tx) error {
		tickets := []bot.Ticket{{
			Source: "webhook:twitter", Network: "X (Twitter)", PostURL: "https://x.example/jane/1", Language: "tr",
			Conversation: "jane-thread", Customer: bot.Customer{ID: "c1", Name: "Jane Doğan", Handle: "jane",
				ProfileURL: "https://x.example/jane", Followers: 120000},
			Text: "Kargom gelmedi 📦\nnerede?", State: bot.Resolved, Owner: bot.Agent{ID: "UALICE", Name: "Alice"},
			Handovers: 1, Reopens: 2, DeskThread: "1700000000.000100", LastInbound: "m-3",
			OpenedAt: t0, Deadline: t0.Add(time.Hour), FirstReplyAt: t0.Add(10 * time.Minute),
			FirstReplyBy: bot.Agent{ID: "UALICE", Name: "Alice"}, ResolvedAt: t0.Add(2 * time.Hour), UpdatedAt: t0.Add(3 * time.Hour),
			RatingAskedAt: t0.Add(4 * time.Hour), Rating: 4, RatedAt: t0.Add(5 * time.Hour),
			Private: true, TimeZone: "Europe/Istanbul", Phone: "+90 555 000 0000", Blocked: true,
			Team: "Müşteri İlişkileri", Routed: "language:tr", Channel: "C0TR", Moves: 2,
		}, {
			Source: "telegram", Conversation: "42", Customer: bot.Customer{ID: "42", Name: "Bob"},
			Text: "Where is my refund?", State: bot.Open, OpenedAt: t0.Add(time.Minute), Deadline: t0.Add(61 * time.Minute),
			UpdatedAt: t0.Add(time.Minute), Private: true,
		}, {
			Source: "telegram", Conversation: "-100", Customer: bot.Customer{ID: "7", Name: "Carol", Handle: "carol"},
			Text: "App crashes", State: bot.Claimed, Owner: bot.Agent{ID: "UBOB", Name: "Bob"}, DeskThread: "1700000000.000300",
			Team: "apps", Routed: "words:crash",
			OpenedAt: t0.Add(2 * time.Minute), Deadline: t0.Add(62 * time.Minute), UpdatedAt: t0.Add(3 * time.Minute),
		}, {
			Source: "telegram", Conversation: "42", Customer: bot.Customer{ID: "42", Name: "Bob"},
			Text: "Also: wrong size", State: bot.Open, OpenedAt: t0.Add(2 * time.Minute), Deadline: t0.Add(62 * time.Minute),
		}, {
			Source: "discord", Conversation: "dm-9", Customer: bot.Customer{ID: "9", Name: "Dan"},
			Text: "hi", State: bot.Open, // no times at all: the zero time everywhere
		}}
		for i := range tickets {
			if err := tx.CreateTicket(&tickets[i]); err != nil {
				return err
			}
		}
		long := strings.Repeat("We are sorry for the trouble. ", 200) // longer than a B-tree entry
		messages := []bot.Message{
			{TicketID: 1, Kind: bot.FromCustomer, Author: "c1", AuthorName: "Jane Doğan", Text: "Kargom gelmedi 📦\nnerede?",
				SourceRef: "m-1", DeskRef: "1700000000.000101", At: t0},
			{TicketID: 1, Kind: bot.Reply, Author: "UALICE", AuthorName: "Alice", Text: long, SourceRef: "m-2",
				DeskRef: "1700000000.000102", Status: bot.Delivered, At: t0.Add(10 * time.Minute),
				Original: "Sorry!", EditedAt: t0.Add(11 * time.Minute)},
			{TicketID: 1, Kind: bot.Reply, Author: "UALICE", AuthorName: "Alice", Text: "Oops, wrong ticket",
				DeskRef: "1700000000.000103", Status: bot.Failed, Reason: "blocked by the user", At: t0.Add(12 * time.Minute),
				DeletedAt: t0.Add(13 * time.Minute)},
			{TicketID: 1, Kind: bot.Note, Author: "UBOB", AuthorName: "Bob", Text: "VIP, be nice", At: t0.Add(14 * time.Minute)},
			{TicketID: 2, Kind: bot.FromCustomer, Author: "42", AuthorName: "Bob", Text: "Where is my refund?", SourceRef: "77", At: t0.Add(time.Minute)},
			{TicketID: 3, Kind: bot.Notice, Text: "Claimed by <@UBOB>", DeskRef: "1700000000.000301", At: t0.Add(3 * time.Minute)},
			{TicketID: 3, Kind: bot.Reply, Author: "UBOB", AuthorName: "Bob", Text: long, Status: bot.Pending, At: t0.Add(4 * time.Minute)},
		}
		for i := range messages {
			if err := tx.AddMessage(&messages[i]); err != nil {
				return err
			}
		}
		for _, e := range []bot.Event{
			{TicketID: 1, Kind: "opened", At: t0},
			{TicketID: 1, Kind: "claimed", Actor: "UALICE", At: t0.Add(time.Minute)},
			{TicketID: 1, Kind: "transferred", Actor: "UBOB", Detail: "to <@UALICE>", At: t0.Add(2 * time.Minute)},
			{TicketID: 1, Kind: "resolved", Actor: "UALICE", At: t0.Add(2 * time.Hour)},
			{TicketID: 1, Kind: "rated", Detail: "4"},
			{TicketID: 3, Kind: "claimed", Actor: "UBOB", At: t0.Add(3 * time.Minute)},
		} {
			if err := tx.AddEvent(e); err != nil {
				return err
			}
		}
		files := []bot.Attachment{
			{MessageID: 1, TicketID: 1, Kind: bot.FilePhoto, Name: "box.jpg", MIME: "image/jpeg", Size: 123456, From: "webhook:twitter",
				Origin: "https://x.example/box.jpg", Stored: true, Ref: "1700000000.000104", State: bot.FileDone, DoneAt: t0.Add(time.Minute)},
			{MessageID: 5, TicketID: 2, Kind: bot.FileDocument, Name: "receipt.pdf", From: "telegram", Origin: "file-id-1", State: bot.FileWaiting},
			{MessageID: 5, TicketID: 2, Kind: bot.FileVideo, Name: "unboxing.mp4", MIME: "video/mp4", Size: 1 << 40, From: "telegram",
				Origin: "file-id-2", State: bot.FileRefused, Reason: "larger than 20 MB", DoneAt: t0.Add(2 * time.Minute)},
		}
		for i := range files {
			if err := tx.AddAttachment(&files[i]); err != nil {
				return err
			}
		}
		for _, tm := range []bot.Timer{
			{TicketID: 2, Alarm: bot.RemindFirstReply, Share: 50, DueAt: t0.Add(31 * time.Minute)},
			{TicketID: 2, Alarm: bot.BreachFirstReply, DueAt: t0.Add(61 * time.Minute)},
			{TicketID: 4, Alarm: bot.EscalatePrimary, DueAt: t0.Add(5 * time.Minute)},
			{TicketID: 1, Alarm: bot.AskForRating, DueAt: t0.Add(90 * time.Minute)},
		} {
			if err := tx.AddTimer(&tm); err != nil {
				return err
			}
		}
		// Ticket 1 moved twice, leaving a thread each time; in key order
		// the thread ticket 3 left comes between them.
		for _, f := range []struct {
			thread string
			ticket int64
		}{{"1699999000.000100", 1}, {"1699999500.000100", 1}, {"1699999200.000300", 3}} {
			if err := tx.AddFormerThread(f.thread, f.ticket); err != nil {
				return err
			}
		}
		for _, c := range []bot.RotaChange{
			{Kind: "override", By: "UALICE", At: t0, Summary: "Bob covers Saturday", Overrides: []bot.Override{
				{Layer: bot.Primary, Agent: "UBOB", From: t0, Until: t0.Add(24 * time.Hour), Note: "Alice's day off <&>"}}},
			{Kind: "swap", By: "UBOB", At: t0.Add(time.Hour), Summary: "Swap", Team: "apps", Overrides: []bot.Override{
				{Layer: bot.Primary, Agent: "UCAROL", From: t0.Add(48 * time.Hour), Until: t0.Add(72 * time.Hour)},
				{Layer: bot.Backup, Agent: "UBOB", From: t0.Add(48 * time.Hour), Until: t0.Add(72 * time.Hour)}}},
			{Kind: "override", By: "UCAROL", At: t0.Add(2 * time.Hour), Summary: "Undone later"},
		} {
			if err := tx.AddRotaChange(&c); err != nil {
				return err
			}
		}
		// Surges: one ended by EndSurge, one still on whose usual is no
		// whole number, and a later one added ended.
		for _, sg := range []bot.Surge{
			{Source: "telegram", Started: t0, Peak: 48, Usual: 5, About: "“\ufff9fatura\ufffb” (28), “\ufff9iki kez\ufffb” (20)"},
			{Source: "webhook:twitter", Started: t0.Add(time.Hour), Peak: 120, Usual: 7.0 / 3},
			{Source: "telegram", Started: t0.Add(2 * time.Hour), Ended: t0.Add(3 * time.Hour), Peak: 9, Usual: 0.5},
		} {
			if err := tx.AddSurge(&sg); err != nil {
				return err
			}
		}
		if err := tx.EndSurge("telegram", t0.Add(70*time.Minute), 52); err != nil {
			return err
		}
		// A storm still on: one digest posted, with one of its two
		// complaints on a line and let go, the other still parked.
		st := bot.Storm{Started: t0.Add(4 * time.Hour)}
		if err := tx.StartStorm(&st); err != nil {
			return err
		}
		g := bot.Digest{Storm: st.ID, Channel: "C0TEAM", Created: t0.Add(4 * time.Hour)}
		if err := tx.AddDigest(&g); err != nil {
			return err
		}
		g.Ref, g.Shown, g.Tried = "1700000000.000100", "2 open  /  false 0;", true
		if err := tx.SaveDigest(g); err != nil {
			return err
		}
		for i, l := range []bot.Listing{
			{Ticket: 4, Storm: st.ID, Message: 4, Channel: "C0TEAM", First: true, FirstRef: "m4", ParkedAt: t0.Add(4 * time.Hour)},
			{Ticket: 5, Storm: st.ID, Message: 5, FirstRef: "m5", ParkedAt: t0.Add(4 * time.Hour)},
		} {
			if err := tx.AddListing(l); err != nil {
				return err
			}
			if i == 0 {
				if err := tx.PlaceListing(l.Ticket, g.ID, 1); err != nil {
					return err
				}
				if err := tx.ReleaseListing(l.Ticket, t0.Add(5*time.Hour)); err != nil {
					return err
				}
			}
		}
		for _, k := range []string{"telegram:update:1", "telegram:update:2", "slack:Ev01", "told:ticket:1:blocked", "zero-time"} {
			when := t0
			if k == "zero-time" {
				when = time.Time{}
			}
			if _, err := tx.FirstSight(k, when); err != nil {
				return err
			}
		}
		return nil
	})
	// Deliveries in several lanes; the first two leave, the last one too,
	// so the outbox's last id is above its largest.
	ds := []*bot.Delivery{
		{Destination: "desk", Job: bot.PostTicket, TicketID: 1, CreatedAt: t0},
		{Destination: "telegram:42", Job: bot.SendReply, TicketID: 2, MessageID: 5, CreatedAt: t0},
		{Destination: "desk", Job: bot.PostTicket, TicketID: 2, NextAt: t0.Add(time.Minute), Attempts: 3,
			LastError: "slack: rate limited", CreatedAt: t0},
		{Destination: "desk", Job: bot.PostMessage, TicketID: 2, MessageID: 5, CreatedAt: t0},
		{Destination: "desk", Job: bot.PostTicket, TicketID: 3, CreatedAt: t0.Add(time.Second)},
		{Destination: "desk", Job: bot.Announce, Text: "Shift change: <@UBOB>", CreatedAt: t0.Add(time.Second)},
		{Destination: "desk", Job: bot.UpdateTicket, TicketID: 3, CreatedAt: t0.Add(2 * time.Second)},
		{Destination: "desk:aside", Job: bot.Whisper, TicketID: 3, Agent: "UBOB", Text: "Only you see this",
			NextAt: t0.Add(24 * time.Hour), CreatedAt: t0},
		{Destination: "telegram:42", Job: bot.SendReply, TicketID: 2, MessageID: 5, CreatedAt: t0},
		{Destination: "telegram:42", Job: bot.SendNotice, TicketID: 4, Text: "ack", CreatedAt: t0},
		{Destination: "telegram:7", Job: bot.SendGreeting, Source: "telegram", Conversation: "7", Text: "Hello!",
			NextAt: t0.Add(-time.Hour), CreatedAt: t0},
		{Destination: "desk", Job: bot.FetchFiles, TicketID: 2, MessageID: 5, NextAt: t0.Add(10 * time.Minute), CreatedAt: t0},
		{Destination: "telegram:7", Job: bot.SendGreeting, Source: "telegram", Conversation: "7", Text: "gone"},
	}
	update(t, s, func(tx bot.Tx) error {
		for _, d := range ds {
			if err := tx.Enqueue(d); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx bot.Tx) error {
		for _, id := range []int64{ds[0].ID, ds[1].ID, ds[len(ds)-1].ID} {
			if err := tx.FinishDelivery(id); err != nil {
				return err
			}
		}
		if err := tx.PostponeDelivery(ds[4].ID, 1, t0.Add(30*time.Second), "503"); err != nil {
			return err
		}
		if err := tx.PauseDestination("telegram:42", t0.Add(time.Hour)); err != nil {
			return err
		}
		if err := tx.PauseDestination("slack:idle", t0.Add(time.Hour)); err != nil {
			return err
		}
		// A timer fired, the newest rota change undone.
		due, err := tx.DueTimers(t0.Add(100*time.Minute), 10)
		if err != nil {
			return err
		}
		if err := tx.DeleteTimer(due[len(due)-1].ID); err != nil {
			return err
		}
		_, err = tx.UndoRotaChange(t0.Add(3 * time.Hour))
		return err
	})
}

// snapshot is everything the core can read of a store through bot.Tx, at
// several moments, and the counts it keeps for /metrics.
func snapshot(t *testing.T, s bot.Store) map[string]any {
	t.Helper()
	got := map[string]any{}
	keep := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			// The stores word their errors apart; the code is the contract.
			got[name] = "error " + bot.ErrorCode(err)
			return
		}
		got[name] = v
	}
	err := s.View(t.Context(), func(tx bot.Tx) error {
		for id := int64(1); id <= 6; id++ {
			tk, err := tx.Ticket(id)
			keep(fmt.Sprintf("Ticket(%d)", id), tk, err)
			ms, err := tx.Messages(id, 100)
			keep(fmt.Sprintf("Messages(%d)", id), ms, err)
			as, err := tx.Attachments(id)
			keep(fmt.Sprintf("Attachments(%d)", id), as, err)
		}
		for id := int64(1); id <= 8; id++ {
			m, err := tx.Message(id)
			keep(fmt.Sprintf("Message(%d)", id), m, err)
			a, err := tx.Attachment(id)
			keep(fmt.Sprintf("Attachment(%d)", id), a, err)
		}
		for _, thread := range []string{"1700000000.000100", "1700000000.000300", ""} {
			tk, err := tx.TicketByThread(thread)
			keep("TicketByThread "+thread, tk, err)
		}
		for _, thread := range []string{"1699999000.000100", "1699999500.000100", "1699999200.000300",
			"1700000000.000100", "never", ""} {
			id, err := tx.FormerThread(thread)
			keep("FormerThread "+thread, id, err)
		}
		tk, err := tx.LatestTicket("telegram", "42", "42")
		keep("LatestTicket", tk, err)
		tk, err = tx.CustomerTicket("telegram", "42")
		keep("CustomerTicket", tk, err)
		ts, err := tx.OpenTickets(100)
		keep("OpenTickets", ts, err)
		ts, err = tx.TicketsOpened(t0.Add(-time.Hour), t0.Add(time.Hour), 0, 100)
		keep("TicketsOpened", ts, err)
		ts, err = tx.UnansweredTickets(100)
		keep("UnansweredTickets", ts, err)
		oc, err := tx.OpenCounts()
		keep("OpenCounts", oc, err)
		m, err := tx.MessageBySource("telegram", "42", "77")
		keep("MessageBySource", m, err)
		m, err = tx.MessageByDeskRef("1700000000.000102")
		keep("MessageByDeskRef", m, err)
		as, err := tx.KeptAttachments(t0.Add(time.Hour), 100)
		keep("KeptAttachments", as, err)
		msgs, err := tx.Messages(1, 100)
		if err != nil {
			return err
		}
		n, err := tx.SameReplies(msgs[1].Text, t0.Add(-time.Hour), 1)
		keep("SameReplies", n, err)
		tms, err := tx.DueTimers(t0.Add(24*time.Hour), 100)
		keep("DueTimers", tms, err)
		rcs, err := tx.RotaChanges()
		keep("RotaChanges", rcs, err)
		for _, p := range [][2]time.Time{{t0, t0.Add(time.Hour)}, {t0.Add(2 * time.Hour), t0.Add(48 * time.Hour)}, {{}, t0.Add(48 * time.Hour)}} {
			sgs, err := tx.Surges(p[0], p[1])
			keep(fmt.Sprintf("Surges %s %s", p[0], p[1]), sgs, err)
		}
		for _, at := range []time.Time{t0.Add(-2 * time.Hour), t0, t0.Add(45 * time.Second), t0.Add(30 * time.Minute),
			t0.Add(2 * time.Hour), t0.Add(48 * time.Hour)} {
			dests, err := tx.DueDestinations(at, 100)
			keep("DueDestinations "+at.String(), dests, err)
			for _, dest := range destinations {
				d, ok, err := tx.NextDelivery(dest, at)
				keep(fmt.Sprintf("NextDelivery %s %s", dest, at), fmt.Sprint(ok, d), err)
				d, ok, err = tx.FreshDelivery(dest, at)
				keep(fmt.Sprintf("FreshDelivery %s %s", dest, at), fmt.Sprint(ok, d), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return got
}

// compare reports every entry of the snapshots that differs.
func compare(t *testing.T, what string, want, got map[string]any) {
	t.Helper()
	for k, w := range want {
		if g := got[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s\n got %+v\nwant %+v", what, k, g, w)
		}
	}
}

// drain delivers everything in s as a courier far in the future would, and
// returns the ids in the order they left.
func drain(t *testing.T, s bot.Store) []int64 {
	t.Helper()
	later := t0.Add(72 * time.Hour)
	var order []int64
	for range 100 {
		var d bot.Delivery
		var ok bool
		update(t, s, func(tx bot.Tx) error {
			dests, err := tx.DueDestinations(later, 1)
			if err != nil || len(dests) == 0 {
				return err
			}
			if d, ok, err = tx.NextDelivery(dests[0], later); err != nil || !ok {
				return err
			}
			return tx.FinishDelivery(d.ID)
		})
		if !ok {
			return order
		}
		order = append(order, d.ID)
	}
	t.Fatal("the outbox does not drain")
	return nil
}

// nextIDs adds one row of every kind and returns the ids it got.
func nextIDs(t *testing.T, s bot.Store) []int64 {
	t.Helper()
	var ids []int64
	update(t, s, func(tx bot.Tx) error {
		tk := bot.Ticket{Source: "telegram", Conversation: "1", Customer: bot.Customer{ID: "1"}, State: bot.Open, OpenedAt: t0}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		m := bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, At: t0}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		a := bot.Attachment{TicketID: tk.ID, MessageID: m.ID, State: bot.FileWaiting}
		if err := tx.AddAttachment(&a); err != nil {
			return err
		}
		d := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: tk.ID}
		if err := tx.Enqueue(&d); err != nil {
			return err
		}
		tm := bot.Timer{TicketID: tk.ID, Alarm: bot.BreachFirstReply, DueAt: t0}
		if err := tx.AddTimer(&tm); err != nil {
			return err
		}
		c := bot.RotaChange{Kind: "override", At: t0}
		if err := tx.AddRotaChange(&c); err != nil {
			return err
		}
		sg := bot.Surge{Source: "discord", Started: t0, Peak: 10, Usual: 1}
		if err := tx.AddSurge(&sg); err != nil {
			return err
		}
		ids = []int64{tk.ID, m.ID, a.ID, d.ID, tm.ID, c.ID, sg.ID}
		return nil
	})
	return ids
}

// events reads the events table, which bot.Tx only writes.
func sqliteEvents(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT id, ticket_id, kind, actor, detail, at FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, ticket int64
		var kind, actor, detail string
		var at sql.NullInt64
		if err := rows.Scan(&id, &ticket, &kind, &actor, &detail, &at); err != nil {
			t.Fatal(err)
		}
		when := time.Time{}
		if at.Valid {
			when = time.UnixMicro(at.Int64).UTC()
		}
		got = append(got, fmt.Sprint(id, ticket, kind, actor, detail, when))
	}
	return got
}

func postgresEvents(t *testing.T, dbURL string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT id, ticket_id, kind, actor, detail, at FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id, ticket int64
		var kind, actor, detail string
		var at *time.Time
		if err := rows.Scan(&id, &ticket, &kind, &actor, &detail, &at); err != nil {
			t.Fatal(err)
		}
		when := time.Time{}
		if at != nil {
			when = at.UTC()
		}
		got = append(got, fmt.Sprint(id, ticket, kind, actor, detail, when))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// fingerprint is everything in the target's tables and sequences, to tell
// whether a run changed it.
func fingerprint(t *testing.T, dbURL string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var b strings.Builder
	for _, table := range []string{"tickets", "messages", "events", "attachments", "timers", "former_threads",
		"rota_changes", "surges", "storms", "digests", "listings", "seen", "outbox", "outbox_pauses", "outbox_lanes", "outbox_heads"} {
		var sum string
		if err := conn.QueryRow(t.Context(), `SELECT count(*) || ':' || COALESCE(md5(string_agg(r::text, ',' ORDER BY r::text)), '')
			FROM `+table+` r`).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s\n", table, sum)
	}
	for _, table := range []string{"tickets", "messages", "events", "attachments", "timers", "rota_changes", "surges", "storms", "digests", "outbox"} {
		var last int64
		if err := conn.QueryRow(t.Context(), `SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass), 0)`,
			table).Scan(&last); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s sequence %d\n", table, last)
	}
	return b.String()
}

// TestMove moves a desk with every kind of row and checks that the
// PostgreSQL store answers every question as the SQLite store did, that
// the numbering goes on, that the outbox drains in the same order, and
// that a second run is refused and changes nothing.
func TestMove(t *testing.T) {
	_, dbURL := pgtest.Database(t)
	path := filepath.Join(t.TempDir(), "caredesk.db")
	src := openSQLite(t, path)
	fillDesk(t, src)
	want := snapshot(t, src)
	wantEvents := sqliteEvents(t, path)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	// The bytes of box.jpg, the one file kept, in the folder caredesk
	// uses by default.
	box := content(1, 123456)
	writeFiles(t, filepath.Join(filepath.Dir(path), "caredesk-files"), map[string][]byte{"1": box})

	var progress strings.Builder
	report, err := move.SQLiteToPostgres(t.Context(), move.Options{From: path, To: dbURL, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	wantCopied := []move.Count{{"tickets", 5}, {"messages", 7}, {"events", 6}, {"attachments", 3}, {"timers", 3},
		{"former_threads", 3}, {"rota_changes", 3}, {"surges", 3}, {"storms", 1}, {"digests", 1}, {"listings", 2},
		{"seen", 5}, {"outbox", 10}, {"outbox_pauses", 2}}
	if !reflect.DeepEqual(report.Copied, wantCopied) {
		t.Errorf("copied %v, want %v", report.Copied, wantCopied)
	}
	// Lanes: desk's tickets 2 and 3 and its announcements, desk:aside's
	// ticket 3, telegram:42's tickets 2 and 4, telegram:7's greetings.
	wantDerived := []move.Count{{"outbox_lanes", 7}, {"outbox_heads", 4}}
	if !reflect.DeepEqual(report.Derived, wantDerived) {
		t.Errorf("derived %v, want %v", report.Derived, wantDerived)
	}
	if report.NextTicket != 6 || report.Emptied != nil {
		t.Errorf("next ticket #%d, emptied %v; want #6, none", report.NextTicket, report.Emptied)
	}
	if report.Files != 1 || report.FileBytes != 123456 || report.MissingFiles != nil ||
		report.FilesDir != filepath.Join(filepath.Dir(path), "caredesk-files") {
		t.Errorf("files: %d, %d bytes, missing %v, from %s; want box.jpg's 123456 bytes from caredesk-files",
			report.Files, report.FileBytes, report.MissingFiles, report.FilesDir)
	}
	if report.From != path || strings.Contains(report.To, "postgres://") || !strings.HasPrefix(report.To, "postgres@") {
		t.Errorf("report from %q to %q", report.From, report.To)
	}
	if !strings.Contains(progress.String(), "copied outbox: 10 rows") {
		t.Errorf("progress:\n%s", progress.String())
	}

	dst := openPostgres(t, dbURL)
	compare(t, "PostgreSQL after the move", want, snapshot(t, dst))
	if got := readBlob(t, dst.Blobs(0), "1"); !bytes.Equal(got, box) {
		t.Errorf("box.jpg in PostgreSQL: %d bytes, not the folder's %d", len(got), len(box))
	}
	if got := postgresEvents(t, dbURL); !reflect.DeepEqual(got, wantEvents) {
		t.Errorf("events:\n got %q\nwant %q", got, wantEvents)
	}
	dst.Close()

	before := fingerprint(t, dbURL)
	_, err = move.SQLiteToPostgres(t.Context(), move.Options{From: path, To: dbURL, EmptyTarget: true})
	if !errors.Is(err, move.ErrNotEmpty) || !strings.Contains(err.Error(), "holds 5 rows of tickets") {
		t.Errorf("second run: %v, want a refusal for the 5 tickets there", err)
	}
	if after := fingerprint(t, dbURL); after != before {
		t.Errorf("the second run changed the target:\n%s\nwas\n%s", after, before)
	}

	// Both stores go on alike: the couriers deliver in the same order, and
	// new rows get the same numbers (the outbox's and timers' past the ids
	// of rows that left).
	src = openSQLite(t, path)
	defer src.Close()
	dst = openPostgres(t, dbURL)
	if got, want := drain(t, dst), drain(t, src); !reflect.DeepEqual(got, want) || len(want) != 10 {
		t.Errorf("PostgreSQL delivers %v, SQLite %v", got, want)
	}
	// The de-duplication keys came along: each is known, none is new.
	keys := []string{"telegram:update:1", "telegram:update:2", "slack:Ev01", "told:ticket:1:blocked", "zero-time"}
	update(t, dst, func(tx bot.Tx) error {
		for _, k := range keys {
			if fresh, err := tx.FirstSight(k, t0.Add(time.Hour)); err != nil || fresh {
				t.Errorf("key %q on PostgreSQL: new %v, %v; want it known", k, fresh, err)
			}
		}
		return nil
	})
	forgotSrc, err1 := src.ForgetSeen(t.Context(), t0.Add(time.Second))
	forgotDst, err2 := dst.ForgetSeen(t.Context(), t0.Add(time.Second))
	if forgotSrc != 5 || forgotDst != forgotSrc || err1 != nil || err2 != nil {
		t.Errorf("ForgetSeen: SQLite %d (%v), PostgreSQL %d (%v); want 5 on both", forgotSrc, err1, forgotDst, err2)
	}
	wantIDs := nextIDs(t, src)
	if got := nextIDs(t, dst); !reflect.DeepEqual(got, wantIDs) || wantIDs[0] != 6 || wantIDs[3] != 14 || wantIDs[6] != 4 {
		t.Errorf("new ids on PostgreSQL %v, on SQLite %v; want ticket #6, delivery 14 and surge 4 on both", got, wantIDs)
	}
}

// TestMoveRefused: each way a move is refused or fails leaves the target
// as it was and says what to do.
func TestMoveRefused(t *testing.T) {
	pgtest.Server(t)
	tests := []struct {
		name string
		// prepare sets the scene; the file has a small desk already.
		prepare     func(t *testing.T, path, dbURL string) (from string)
		emptyTarget bool
		want        string // in the error
		wantTarget  string // the target's tickets and seen keys after, as "tickets seen"
	}{{
		name: "no such file",
		prepare: func(t *testing.T, path, dbURL string) string {
			return filepath.Join(filepath.Dir(path), "typo.db")
		},
		want:       "there is no SQLite file at",
		wantTarget: "absent",
	}, {
		name: "caredesk running on the file",
		prepare: func(t *testing.T, path, dbURL string) string {
			db := openSQLite(t, path)
			t.Cleanup(func() { db.Close() })
			return path
		},
		want:       "another caredesk is using this database: pid",
		wantTarget: "absent",
	}, {
		name: "caredesk running on the database",
		prepare: func(t *testing.T, path, dbURL string) string {
			db, err := postgres.Open(t.Context(), dbURL, postgres.Replica("caredesk-1"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return path
		},
		want:       "another caredesk is using this database; stop every caredesk on it first",
		wantTarget: "0 0",
	}, {
		name: "tickets in the database",
		prepare: func(t *testing.T, path, dbURL string) string {
			update(t, openPostgres(t, dbURL), func(tx bot.Tx) error {
				return tx.CreateTicket(&bot.Ticket{Source: "telegram", Conversation: "1", State: bot.Open})
			})
			return path
		},
		emptyTarget: true, // refused even so
		want:        "holds 1 row of tickets. caredesk migrate moves a desk into an empty database only, and changed nothing",
		wantTarget:  "1 0",
	}, {
		name: "rows but no ticket in the database",
		prepare: func(t *testing.T, path, dbURL string) string {
			update(t, openPostgres(t, dbURL), func(tx bot.Tx) error {
				_, err := tx.FirstSight("telegram:update:1", t0)
				if err != nil {
					return err
				}
				return tx.Enqueue(&bot.Delivery{Destination: "telegram:7", Job: bot.SendGreeting, Text: "Hello!"})
			})
			return path
		},
		want:       "holds no ticket but 1 row of seen and 1 of outbox, as a caredesk started on it for a while leaves. Nothing was changed. If none of that needs keeping, run caredesk migrate again with --empty-target",
		wantTarget: "0 1",
	}, {
		name: "text PostgreSQL cannot keep",
		prepare: func(t *testing.T, path, dbURL string) string {
			db := openSQLite(t, path)
			defer db.Close()
			update(t, db, func(tx bot.Tx) error {
				return tx.AddMessage(&bot.Message{TicketID: 1, Kind: bot.FromCustomer, Text: "caf\xe9"})
			})
			return path
		},
		want:       "messages 2: the column text holds bytes that are not UTF-8 text (or a NUL byte), which PostgreSQL cannot keep; mend that row in the SQLite file and run again. Nothing was written to postgres@",
		wantTarget: "0 0",
	}, {
		name: "a column this caredesk does not know",
		prepare: func(t *testing.T, path, dbURL string) string {
			openPostgres(t, dbURL).Close()
			conn, err := pgx.Connect(t.Context(), dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(t.Context(), `ALTER TABLE tickets ADD COLUMN mood text`); err != nil {
				t.Fatal(err)
			}
			return path
		},
		want:       "the table tickets has the columns ",
		wantTarget: "0 0",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dbURL := pgtest.Database(t)
			path := filepath.Join(t.TempDir(), "caredesk.db")
			db := openSQLite(t, path)
			update(t, db, func(tx bot.Tx) error {
				if err := tx.CreateTicket(&bot.Ticket{Source: "telegram", Conversation: "42", State: bot.Open, OpenedAt: t0}); err != nil {
					return err
				}
				if err := tx.AddMessage(&bot.Message{TicketID: 1, Kind: bot.FromCustomer, Text: "hi", At: t0}); err != nil {
					return err
				}
				_, err := tx.FirstSight("telegram:update:9", t0)
				return err
			})
			db.Close()
			from := tt.prepare(t, path, dbURL)
			_, err := move.SQLiteToPostgres(t.Context(), move.Options{From: from, To: dbURL, EmptyTarget: tt.emptyTarget})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant one with %q", err, tt.want)
			}
			if strings.Contains(fmt.Sprint(err), "postgres://") {
				t.Errorf("the error shows the URL: %v", err)
			}
			if got := targetRows(t, dbURL); got != tt.wantTarget {
				t.Errorf("the target holds %s tickets and seen keys after, want %s", got, tt.wantTarget)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), "typo.db")); err == nil {
				t.Error("the move created the SQLite file it was given")
			}
		})
	}
}

// targetRows counts the target's tickets and seen keys, "absent" when it
// has no schema yet.
func targetRows(t *testing.T, dbURL string) string {
	t.Helper()
	return inTarget(t, dbURL, "tickets", `SELECT (SELECT count(*) FROM tickets) || ' ' || (SELECT count(*) FROM seen)`)
}

// inTarget is query's one text answer in the target, "absent" when the
// target has no table yet (no schema).
func inTarget(t *testing.T, dbURL, table, query string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(t.Context(), `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		return "absent"
	}
	var answer string
	if err := conn.QueryRow(t.Context(), query).Scan(&answer); err != nil {
		t.Fatal(err)
	}
	return answer
}

// TestMoveEmptyTarget: with EmptyTarget, what a caredesk started on the
// database left (a key, a greeting, a pause, a surge it saw) is deleted
// and the desk moved in, numbers not going back.
func TestMoveEmptyTarget(t *testing.T) {
	_, dbURL := pgtest.Database(t)
	dst := openPostgres(t, dbURL)
	var greeting bot.Delivery
	update(t, dst, func(tx bot.Tx) error {
		if _, err := tx.FirstSight("telegram:update:1", t0); err != nil {
			return err
		}
		for range 20 { // delivered greetings: their ids were keys the network saw
			greeting = bot.Delivery{Destination: "telegram:7", Job: bot.SendGreeting, Text: "Hello!"}
			if err := tx.Enqueue(&greeting); err != nil {
				return err
			}
			if err := tx.FinishDelivery(greeting.ID); err != nil {
				return err
			}
		}
		if err := tx.Enqueue(&greeting); err != nil {
			return err
		}
		if err := tx.AddSurge(&bot.Surge{Source: "telegram", Started: t0, Peak: 30, Usual: 2}); err != nil {
			return err
		}
		return tx.PauseDestination("slack:idle", t0)
	})
	dst.Close()

	path := filepath.Join(t.TempDir(), "caredesk.db")
	src := openSQLite(t, path)
	update(t, src, func(tx bot.Tx) error {
		if err := tx.CreateTicket(&bot.Ticket{Source: "telegram", Conversation: "42", State: bot.Open, OpenedAt: t0}); err != nil {
			return err
		}
		if _, err := tx.FirstSight("telegram:update:2", t0); err != nil {
			return err
		}
		return tx.Enqueue(&bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 1})
	})
	src.Close()

	report, err := move.SQLiteToPostgres(t.Context(), move.Options{From: path, To: dbURL, EmptyTarget: true})
	if err != nil {
		t.Fatal(err)
	}
	wantEmptied := []move.Count{{"surges", 1}, {"seen", 1}, {"outbox", 1}, {"outbox_pauses", 1}}
	if !reflect.DeepEqual(report.Emptied, wantEmptied) {
		t.Errorf("emptied %v, want %v", report.Emptied, wantEmptied)
	}
	dst = openPostgres(t, dbURL)
	update(t, dst, func(tx bot.Tx) error {
		if fresh, err := tx.FirstSight("telegram:update:1", t0); err != nil || !fresh {
			t.Errorf("the target's own key: fresh %v, %v; want it gone", fresh, err)
		}
		if fresh, err := tx.FirstSight("telegram:update:2", t0); err != nil || fresh {
			t.Errorf("the file's key: fresh %v, %v; want it moved", fresh, err)
		}
		d, ok, err := tx.NextDelivery("desk", t0)
		if err != nil || !ok || d.ID != 1 || d.TicketID != 1 {
			t.Errorf("the file's delivery: %+v, %v, %v", d, ok, err)
		}
		if sgs, err := tx.Surges(time.Time{}, t0.Add(time.Hour)); err != nil || len(sgs) != 0 {
			t.Errorf("surges after the move: %+v, %v; want the target's gone", sgs, err)
		}
		next := bot.Delivery{Destination: "desk", Job: bot.Announce}
		if err := tx.Enqueue(&next); err != nil {
			return err
		}
		if next.ID != greeting.ID+1 {
			t.Errorf("a new delivery got id %d, want %d: past every id the target handed out", next.ID, greeting.ID+1)
		}
		return nil
	})
}

// TestMoveEmptyDesk: a desk with nothing in it moves, and the numbering
// starts at #1.
func TestMoveEmptyDesk(t *testing.T) {
	_, dbURL := pgtest.Database(t)
	path := filepath.Join(t.TempDir(), "caredesk.db")
	openSQLite(t, path).Close()
	report, err := move.SQLiteToPostgres(t.Context(), move.Options{From: path, To: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	if report.NextTicket != 1 {
		t.Errorf("next ticket #%d, want #1", report.NextTicket)
	}
	for _, c := range append(report.Copied, report.Derived...) {
		if c.Rows != 0 {
			t.Errorf("%s: %d rows", c.Table, c.Rows)
		}
	}
	// Twice is fine too: nothing there.
	if _, err := move.SQLiteToPostgres(t.Context(), move.Options{From: path, To: dbURL}); err != nil {
		t.Errorf("second move of an empty desk: %v", err)
	}
	var id int64
	update(t, openPostgres(t, dbURL), func(tx bot.Tx) error {
		tk := bot.Ticket{Source: "telegram", State: bot.Open}
		err := tx.CreateTicket(&tk)
		id = tk.ID
		return err
	})
	if id != 1 {
		t.Errorf("first ticket #%d, want #1", id)
	}
}

// content is the bytes of file id, n of them, different for each file.
func content(id int64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((int64(i)*31 + id*7) % 251)
	}
	return b
}

// writeFiles puts the bytes of files in dir, as caredesk's folder of
// files keeps them: one file per key.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for key, b := range files {
		if err := os.WriteFile(filepath.Join(dir, key), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// readBlob reads key's bytes from blobs whole.
func readBlob(t *testing.T, blobs bot.Blobs, key string) []byte {
	t.Helper()
	r, err := blobs.Open(key)
	if err != nil {
		t.Fatalf("open file %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read file %s: %v", key, err)
	}
	return b
}

// blobKeys lists the keys the target keeps bytes under, "absent" when it
// has no schema yet.
func blobKeys(t *testing.T, dbURL string) string {
	t.Helper()
	return inTarget(t, dbURL, "blobs", `SELECT COALESCE(string_agg(key, ',' ORDER BY key), '') FROM blobs`)
}

// deskFile is a file of the desk fileDesk writes.
type deskFile struct {
	size   int  // as the desk recorded it
	stored bool // the desk keeps its bytes
	onDisk int  // the bytes the folder holds under its key; -1: none
}

// fileDesk writes into the SQLite file at path a ticket whose message
// carries files, ids 1, 2, … in order, and their bytes (content) into dir.
func fileDesk(t *testing.T, path, dir string, files []deskFile) {
	t.Helper()
	db := openSQLite(t, path)
	defer db.Close()
	onDisk := map[string][]byte{}
	update(t, db, func(tx bot.Tx) error {
		tk := bot.Ticket{Source: "telegram", Conversation: "42", State: bot.Open, OpenedAt: t0}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		m := bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Text: "photos", At: t0}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		for _, f := range files {
			a := bot.Attachment{TicketID: tk.ID, MessageID: m.ID, Kind: bot.FilePhoto, Name: "photo.jpg",
				Size: int64(f.size), From: "telegram", Stored: f.stored, State: bot.FileDone, DoneAt: t0}
			if err := tx.AddAttachment(&a); err != nil {
				return err
			}
			if f.onDisk >= 0 {
				onDisk[a.BlobKey()] = content(a.ID, f.onDisk)
			}
		}
		return nil
	})
	if dir != "" {
		writeFiles(t, dir, onDisk)
	}
}

// TestMoveFiles: the bytes of the files the desk keeps go from their
// folder into the database, read back equal; a file whose bytes are gone
// is reported and the move goes on; a folder that is not there, or not
// this desk's, stops it before a byte is written.
func TestMoveFiles(t *testing.T) {
	pgtest.Server(t)
	const (
		nextToFile = "next to the file" // the default, Options.Files ""
		elsewhere  = "elsewhere"        // Options.Files names it
		nowhere    = "nowhere"          // no folder at all
	)
	tests := []struct {
		name    string
		files   []deskFile
		folder  string
		badText bool // a message PostgreSQL refuses, so the move fails after the bytes went in
		// live sets the target up as a desk in use, whose bytes of file 1
		// are "live".
		live bool

		want        string // in the error; "" for none
		wantFiles   int64
		wantBytes   int64
		wantMissing []int64
		wantKeys    string // the keys the target keeps bytes under after
	}{{
		name: "every file there",
		// Several chunks of the database's, an empty file, and a file not
		// kept (swept), whose bytes left in the folder stay behind.
		files: []deskFile{{size: 600 << 10, stored: true, onDisk: 600 << 10}, {size: 0, stored: true, onDisk: 0},
			{size: 10, stored: false, onDisk: 10}, {size: 5000, stored: true, onDisk: 5000}},
		folder:    nextToFile,
		wantFiles: 3, wantBytes: 600<<10 + 5000,
		wantKeys: "1,2,4",
	}, {
		name:      "folder given",
		files:     []deskFile{{size: 42, stored: true, onDisk: 42}},
		folder:    elsewhere,
		wantFiles: 1, wantBytes: 42,
		wantKeys: "1",
	}, {
		name: "bytes missing",
		files: []deskFile{{size: 100, stored: true, onDisk: -1}, {size: 200, stored: true, onDisk: 200},
			{size: 300, stored: true, onDisk: -1}},
		folder:    nextToFile,
		wantFiles: 1, wantBytes: 200, wantMissing: []int64{1, 3},
		wantKeys: "2",
	}, {
		name:     "every file's bytes missing",
		files:    []deskFile{{size: 100, stored: true, onDisk: -1}},
		folder:   nextToFile,
		wantKeys: "", wantMissing: []int64{1},
	}, {
		name:     "no folder",
		files:    []deskFile{{size: 100, stored: true, onDisk: 100}, {size: 5, stored: true, onDisk: 5}},
		folder:   nowhere,
		want:     "the desk keeps the bytes of 2 files in a folder, but there is no folder ",
		wantKeys: "",
	}, {
		name:     "no folder and no file kept",
		files:    []deskFile{{size: 100, stored: false, onDisk: -1}},
		folder:   nowhere,
		wantKeys: "",
	}, {
		name:     "another desk's folder",
		files:    []deskFile{{size: 100, stored: true, onDisk: 100}, {size: 200, stored: true, onDisk: 150}},
		folder:   nextToFile,
		want:     "does not hold this desk's files as the desk recorded them: file 2 has 150 bytes there, but the desk recorded 200. If it is another folder",
		wantKeys: "",
	}, {
		name:     "move fails after the bytes went in",
		files:    []deskFile{{size: 100, stored: true, onDisk: 100}},
		folder:   nextToFile,
		badText:  true,
		want:     "No row was written to postgres@",
		wantKeys: "1", // no file's: caredesk's Prune removes them
	}, {
		name:     "a desk in the target",
		files:    []deskFile{{size: 100, stored: true, onDisk: 100}},
		folder:   nextToFile,
		live:     true,
		want:     "holds 1 row of tickets",
		wantKeys: "1", // the live desk's, untouched
	}, {
		// A second run once the folder was cleared away: the desk is
		// there, which matters more than where its files were.
		name:     "a desk in the target, no folder",
		files:    []deskFile{{size: 100, stored: true, onDisk: 100}},
		folder:   nowhere,
		live:     true,
		want:     "holds 1 row of tickets",
		wantKeys: "1",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dbURL := pgtest.Database(t)
			path := filepath.Join(t.TempDir(), "caredesk.db")
			dir, opt := "", ""
			switch tt.folder {
			case nextToFile:
				dir = filepath.Join(filepath.Dir(path), "caredesk-files")
			case elsewhere:
				dir = filepath.Join(t.TempDir(), "kept")
				opt = dir
			}
			fileDesk(t, path, dir, tt.files)
			if tt.badText {
				db := openSQLite(t, path)
				update(t, db, func(tx bot.Tx) error {
					return tx.AddMessage(&bot.Message{TicketID: 1, Kind: bot.FromCustomer, Text: "caf\xe9"})
				})
				db.Close()
			}
			if tt.live {
				live := openPostgres(t, dbURL)
				update(t, live, func(tx bot.Tx) error {
					return tx.CreateTicket(&bot.Ticket{Source: "telegram", Conversation: "1", State: bot.Open})
				})
				if _, err := live.Blobs(0).Put("1", strings.NewReader("live"), 0); err != nil {
					t.Fatal(err)
				}
				live.Close()
			}

			var progress strings.Builder
			report, err := move.SQLiteToPostgres(t.Context(), move.Options{From: path, To: dbURL, Files: opt, Progress: &progress})
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v\nwant one with %q", err, tt.want)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := blobKeys(t, dbURL); got != tt.wantKeys {
				t.Errorf("the target keeps bytes under %q, want %q", got, tt.wantKeys)
			}
			if tt.live {
				if got := readBlob(t, openPostgres(t, dbURL).Blobs(0), "1"); string(got) != "live" {
					t.Errorf("the target's own file 1 holds %q after the refused move, want %q", got, "live")
				}
			}
			if err != nil {
				if got := targetRows(t, dbURL); !tt.live && got != "0 0" {
					t.Errorf("the target holds %s tickets and seen keys after the failed move, want none", got)
				}
				return
			}
			if report.Files != tt.wantFiles || report.FileBytes != tt.wantBytes || !reflect.DeepEqual(report.MissingFiles, tt.wantMissing) {
				t.Errorf("report: %d files, %d bytes, missing %v; want %d, %d, %v",
					report.Files, report.FileBytes, report.MissingFiles, tt.wantFiles, tt.wantBytes, tt.wantMissing)
			}
			if dir != "" && report.FilesDir != dir {
				t.Errorf("report: files from %s, want %s", report.FilesDir, dir)
			}
			if len(tt.wantMissing) > 0 && !strings.Contains(progress.String(), "missing from "+dir+": the bytes of ") {
				t.Errorf("the progress does not tell of the missing files:\n%s", progress.String())
			}
			dst := openPostgres(t, dbURL)
			blobs := dst.Blobs(0)
			for i, f := range tt.files {
				id := int64(i + 1)
				key := fmt.Sprint(id)
				if !f.stored || f.onDisk < 0 {
					if _, err := blobs.Open(key); bot.ErrorCode(err) != bot.ENOTFOUND {
						t.Errorf("file %d, not kept or missing: Open gives %v, want it no longer kept", id, err)
					}
					continue
				}
				if got := readBlob(t, blobs, key); !bytes.Equal(got, content(id, f.onDisk)) {
					t.Errorf("file %d: %d bytes read back, not the folder's %d", id, len(got), f.onDisk)
				}
			}
		})
	}
}

// TestIDList: ids for a sentence, ten at most.
func TestIDList(t *testing.T) {
	tests := []struct {
		ids  []int64
		want string
	}{
		{[]int64{4}, "4"},
		{[]int64{4, 9}, "4 and 9"},
		{[]int64{4, 9, 12}, "4, 9 and 12"},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, "1, 2, 3, 4, 5, 6, 7, 8, 9 and 10"},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"},
	}
	for _, tt := range tests {
		if got := move.IDList(tt.ids); got != tt.want {
			t.Errorf("IDList(%v) = %q, want %q", tt.ids, got, tt.want)
		}
	}
}
