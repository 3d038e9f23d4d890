package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"caredesk/bot"
)

// testUpdatesTogether: Updates asked for at the same time (a store may
// share their commits) each keep or lose their own changes: one whose fn
// returns an error, whose statement the database refuses (a second ticket
// on one desk thread), or whose fn panics undoes only its own; the panic
// reaches its caller; the others are stored.
func testUpdatesTogether(t *testing.T, s bot.Store) {
	taken := fullTicket()
	update(t, s, func(tx bot.Tx) error { return tx.CreateTicket(&taken) })
	const n = 120
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.Update(t.Context(), func(tx bot.Tx) error {
				if _, err := tx.FirstSight(fmt.Sprintf("key:%d", i), t0); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errors.New("refused")
				case 5:
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
		update(t, s, func(tx bot.Tx) (err error) {
			fresh, err = tx.FirstSight(fmt.Sprintf("key:%d", i), t0)
			return err
		})
		if stored := !fresh; stored != (!wantErr && !wantPanic) {
			t.Errorf("update %d: stored %v; want only the updates that succeeded", i, stored)
		}
	}
}
