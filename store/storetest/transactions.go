package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"caredesk/bot"
)

var errAbort = errors.New("abort: the customer's message could not be parsed")

// receive does what an inbound complaint does to the store, then returns
// fail.
func receive(tx bot.Tx, key string, fail error) error {
	if _, err := tx.FirstSight(key, t0); err != nil {
		return err
	}
	tk := fullTicket()
	tk.DeskThread = ""
	if err := tx.CreateTicket(&tk); err != nil {
		return err
	}
	m := bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Text: tk.Text, At: t0}
	if err := tx.AddMessage(&m); err != nil {
		return err
	}
	if err := tx.AddEvent(bot.Event{TicketID: tk.ID, Kind: "opened", At: t0}); err != nil {
		return err
	}
	if err := tx.Enqueue(&bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: tk.ID, CreatedAt: t0}); err != nil {
		return err
	}
	return fail
}

// checkEmpty fails unless nothing of receive(…, key, …) is in s.
func checkEmpty(t *testing.T, s bot.Store, key string) {
	t.Helper()
	view(t, s, func(tx bot.Tx) error {
		if tk, err := tx.LatestTicket("telegram", "100200300", "42"); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("after rollback: ticket %+v, error %v; want no ticket", tk, err)
		}
		if open, err := tx.OpenTickets(10); err != nil || len(open) != 0 {
			t.Errorf("after rollback: OpenTickets = %v, %v; want none", ticketIDs(open), err)
		}
		if d, ok, err := tx.NextDelivery("desk", t0); err != nil || ok {
			t.Errorf("after rollback: NextDelivery = %+v, %v, %v; want none", d, ok, err)
		}
		if due, err := tx.DueDestinations(t0, 10); err != nil || len(due) != 0 {
			t.Errorf("after rollback: DueDestinations = %v, %v; want none", due, err)
		}
		return nil
	})
	// A redelivery of the event must not be taken for a duplicate.
	update(t, s, func(tx bot.Tx) error { return checkSight(t, tx, key, t0, true) })
}

func testRollback(t *testing.T, s bot.Store) {
	err := s.Update(t.Context(), func(tx bot.Tx) error { return receive(tx, "telegram:update:1", errAbort) })
	if err != errAbort {
		t.Fatalf("Update returned %v, want fn's error as it is: %v", err, errAbort)
	}
	checkEmpty(t, s, "telegram:update:1")

	// Changes to what was already there roll back too.
	tk := createTicket(t, s, bareTicket())
	err = s.Update(t.Context(), func(tx bot.Tx) error {
		resolved := tk
		resolved.State = bot.Resolved
		if err := tx.SaveTicket(resolved); err != nil {
			return err
		}
		return errAbort
	})
	if err != errAbort {
		t.Fatalf("Update returned %v, want %v", err, errAbort)
	}
	checkTicket(t, loadTicket(t, s, tk.ID), tk)
}

// testPanicRollsBack: a bug in the core that panics inside Update must not
// leave the transaction open, or a store with one writer stops for good.
func testPanicRollsBack(t *testing.T, s bot.Store) {
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Update swallowed fn's panic")
			}
		}()
		_ = s.Update(t.Context(), func(tx bot.Tx) error {
			if err := receive(tx, "telegram:update:1", nil); err != nil {
				return err
			}
			panic("bug in the core")
		})
	}()
	// A transaction left open makes this wait for ever; a minute is far
	// more than a free store needs, and turns a hang into a failure.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := s.Update(ctx, func(bot.Tx) error { return nil }); err != nil {
		t.Fatalf("Update after a panic in Update: %v; was that transaction left open?", err)
	}
	checkEmpty(t, s, "telegram:update:1")
}

func testViewIsReadOnly(t *testing.T, s bot.Store) {
	tests := []struct {
		name  string
		write func(bot.Tx) error
	}{
		{"CreateTicket", func(tx bot.Tx) error { tk := bareTicket(); return tx.CreateTicket(&tk) }},
		{"FirstSight", func(tx bot.Tx) error { _, err := tx.FirstSight("telegram:update:1", t0); return err }},
		{"Enqueue", func(tx bot.Tx) error { return tx.Enqueue(&bot.Delivery{Destination: "desk", Job: bot.PostTicket}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.View(t.Context(), tt.write); err == nil {
				t.Errorf("%s inside View: no error", tt.name)
			}
		})
	}
	checkEmpty(t, s, "telegram:update:1")
}

// testConcurrentUpdates: complaints arrive on several networks at once, and
// agents look at the desk meanwhile. None of it may fail for being at the
// same time (SQLITE_BUSY, serialization failures) or share a number.
func testConcurrentUpdates(t *testing.T, s bot.Store) {
	const n = 50
	ids := make([]int64, n)
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs <- s.Update(t.Context(), func(tx bot.Tx) error {
				if fresh, err := tx.FirstSight(fmt.Sprintf("telegram:update:%d", i), t0); err != nil || !fresh {
					return fmt.Errorf("FirstSight: %v, %w", fresh, err)
				}
				tk := bareTicket()
				if err := tx.CreateTicket(&tk); err != nil {
					return err
				}
				ids[i] = tk.ID
				return tx.Enqueue(&bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: tk.ID})
			})
		})
		wg.Go(func() {
			errs <- s.View(t.Context(), func(tx bot.Tx) error {
				_, err := tx.OpenTickets(100)
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent transaction: %v", err)
		}
	}
	slices.Sort(ids)
	if ids[0] < 1 || len(slices.Compact(slices.Clone(ids))) != n {
		t.Fatalf("ticket numbers %v, want %d different numbers from 1 up", ids, n)
	}
	view(t, s, func(tx bot.Tx) error {
		open, err := tx.OpenTickets(2 * n)
		if err != nil {
			return err
		}
		if len(open) != n {
			t.Errorf("%d open tickets after %d concurrent creates", len(open), n)
		}
		return nil
	})
}
