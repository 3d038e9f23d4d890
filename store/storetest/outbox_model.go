package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
)

// queueModel is the outbox as the interface describes it, in memory: the
// store must agree with it after any sequence of operations.
type queueModel struct {
	queues map[string][]bot.Delivery // per destination, in the order queued
	paused map[string]time.Time      // destination → not before
}

// heads returns the due head of every lane of dest at now, oldest first;
// none while dest is paused.
func (q queueModel) heads(dest string, now time.Time) []bot.Delivery {
	if q.paused[dest].After(now) {
		return nil
	}
	seen := map[int64]bool{}
	var due []bot.Delivery
	for _, d := range q.queues[dest] {
		if seen[d.TicketID] {
			continue
		}
		seen[d.TicketID] = true
		if !d.NextAt.After(now) {
			due = append(due, d)
		}
	}
	return due
}

func (q queueModel) due(now time.Time, limit int) []string {
	var oldest []bot.Delivery
	for dest, items := range q.queues {
		if len(q.heads(dest, now)) > 0 {
			oldest = append(oldest, items[0])
		}
	}
	slices.SortFunc(oldest, func(a, b bot.Delivery) int { return int(a.ID - b.ID) })
	var dests []string
	for _, d := range oldest[:min(limit, len(oldest))] {
		dests = append(dests, d.Destination)
	}
	return dests
}

// fresh is the oldest due head never tried, as FreshDelivery returns it.
func (q queueModel) fresh(dest string, now time.Time) bot.Delivery {
	heads := q.heads(dest, now)
	if i := slices.IndexFunc(heads, func(d bot.Delivery) bool { return d.Attempts == 0 }); i >= 0 {
		return heads[i]
	}
	return bot.Delivery{}
}

func (q queueModel) next(dest string, now time.Time) bot.Delivery {
	if heads := q.heads(dest, now); len(heads) > 0 {
		return heads[0]
	}
	return bot.Delivery{}
}

// pick returns a random item: usually a lane's head, as the workers do,
// sometimes any.
func (q queueModel) pick(rng *rand.Rand, dests []string) (dest string, i int, ok bool) {
	dest = dests[rng.IntN(len(dests))]
	items := q.queues[dest]
	if len(items) == 0 {
		return "", 0, false
	}
	i = rng.IntN(len(items))
	if rng.IntN(3) > 0 {
		i = slices.IndexFunc(items, func(d bot.Delivery) bool { return d.TicketID == items[i].TicketID })
	}
	return dest, i, true
}

// testOutboxModel runs random enqueues, postpones, pauses and finishes, with
// a fixed seed, and compares the store with the model after each.
func testOutboxModel(t *testing.T, s bot.Store) {
	rng := rand.New(rand.NewPCG(2025, 3))
	dests := []string{"desk", "desk:aside", "telegram:1", "telegram:2", "webhook:twitter:9"}
	when := func() time.Time {
		if rng.IntN(4) == 0 {
			return time.Time{}
		}
		return t0.Add(time.Duration(rng.IntN(9)-4) * time.Minute)
	}
	model := queueModel{queues: map[string][]bot.Delivery{}, paused: map[string]time.Time{}}
	var log []string
	for step := range 600 {
		switch dest, i, ok := model.pick(rng, dests); {
		case rng.IntN(5) < 2 || !ok:
			d := bot.Delivery{Destination: dests[rng.IntN(len(dests))], Job: bot.PostMessage,
				TicketID: int64(rng.IntN(4)), NextAt: when()}
			enqueue(t, s, &d)
			model.queues[d.Destination] = append(model.queues[d.Destination], d)
			log = append(log, fmt.Sprintf("enqueue %d to %s, ticket %d, next %s", d.ID, d.Destination, d.TicketID, offset(d.NextAt)))
		case rng.IntN(10) == 0:
			until := t0.Add(time.Duration(rng.IntN(9)-4) * time.Minute)
			update(t, s, func(tx bot.Tx) error { return tx.PauseDestination(dest, until) })
			model.paused[dest] = until
			log = append(log, fmt.Sprintf("pause %s until %s", dest, offset(until)))
		case rng.IntN(2) == 0:
			d := &model.queues[dest][i]
			d.Attempts, d.NextAt, d.LastError = d.Attempts+1, when(), fmt.Sprintf("error %d", step)
			update(t, s, func(tx bot.Tx) error { return tx.PostponeDelivery(d.ID, d.Attempts, d.NextAt, d.LastError) })
			log = append(log, fmt.Sprintf("postpone %d (#%d of %s), next %s", d.ID, i, dest, offset(d.NextAt)))
		default:
			finish(t, s, model.queues[dest][i].ID)
			log = append(log, fmt.Sprintf("finish %d (#%d of %s)", model.queues[dest][i].ID, i, dest))
			model.queues[dest] = slices.Delete(model.queues[dest], i, i+1)
			if len(model.queues[dest]) == 0 {
				delete(model.paused, dest)
			}
		}

		now, limit := t0.Add(time.Duration(rng.IntN(9)-4)*time.Minute), 1+rng.IntN(len(dests))
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.DueDestinations(now, limit)
			if err != nil {
				return err
			}
			if want := model.due(now, limit); !slices.Equal(got, want) {
				t.Fatalf("after step %d: DueDestinations(now%+v, %d) = %q, want %q\nsteps:\n%s",
					step, now.Sub(t0), limit, got, want, strings.Join(log, "\n"))
			}
			for _, dest := range dests {
				got, _, err := tx.NextDelivery(dest, now)
				if err != nil {
					return err
				}
				if want := model.next(dest, now); got.ID != want.ID {
					t.Fatalf("after step %d: NextDelivery(%s, now%+v) is %d, want %d\nsteps:\n%s",
						step, dest, now.Sub(t0), got.ID, want.ID, strings.Join(log, "\n"))
				}
				fresh, _, err := tx.FreshDelivery(dest, now)
				if err != nil {
					return err
				}
				if want := model.fresh(dest, now); fresh.ID != want.ID {
					t.Fatalf("after step %d: FreshDelivery(%s, now%+v) is %d, want %d\nsteps:\n%s",
						step, dest, now.Sub(t0), fresh.ID, want.ID, strings.Join(log, "\n"))
				}
			}
			return nil
		})
	}
	for _, dest := range dests {
		checkNext(t, s, dest, someday, model.next(dest, someday))
	}
}

// offset shows a time in the log as its distance from t0.
func offset(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.Sub(t0).String()
}
