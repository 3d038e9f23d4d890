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
type queueModel map[string][]bot.Delivery

func (q queueModel) due(now time.Time, limit int) []string {
	var heads []bot.Delivery
	for _, items := range q {
		if len(items) > 0 && !items[0].NextAt.After(now) {
			heads = append(heads, items[0])
		}
	}
	slices.SortFunc(heads, func(a, b bot.Delivery) int { return int(a.ID - b.ID) })
	var dests []string
	for _, h := range heads[:min(limit, len(heads))] {
		dests = append(dests, h.Destination)
	}
	return dests
}

// pick returns a random item: usually a head, as the workers do, sometimes
// one behind it.
func (q queueModel) pick(rng *rand.Rand, dests []string) (dest string, i int, ok bool) {
	dest = dests[rng.IntN(len(dests))]
	if len(q[dest]) == 0 {
		return "", 0, false
	}
	if rng.IntN(3) > 0 {
		return dest, 0, true
	}
	return dest, rng.IntN(len(q[dest])), true
}

// testOutboxModel runs random enqueues, postpones and finishes, with a fixed
// seed, and compares the store with the model after each.
func testOutboxModel(t *testing.T, s bot.Store) {
	rng := rand.New(rand.NewPCG(2025, 3))
	dests := []string{"desk", "desk:aside", "telegram:1", "telegram:2", "webhook:twitter:9"}
	when := func() time.Time {
		if rng.IntN(4) == 0 {
			return time.Time{}
		}
		return t0.Add(time.Duration(rng.IntN(9)-4) * time.Minute)
	}
	model := queueModel{}
	var log []string
	for step := range 400 {
		switch dest, i, ok := model.pick(rng, dests); {
		case rng.IntN(5) < 2 || !ok:
			d := bot.Delivery{Destination: dests[rng.IntN(len(dests))], Job: bot.PostMessage, NextAt: when()}
			enqueue(t, s, &d)
			model[d.Destination] = append(model[d.Destination], d)
			log = append(log, fmt.Sprintf("enqueue %d to %s, next %s", d.ID, d.Destination, offset(d.NextAt)))
		case rng.IntN(2) == 0:
			d := &model[dest][i]
			d.Attempts, d.NextAt, d.LastError = d.Attempts+1, when(), fmt.Sprintf("error %d", step)
			update(t, s, func(tx bot.Tx) error { return tx.PostponeDelivery(d.ID, d.Attempts, d.NextAt, d.LastError) })
			log = append(log, fmt.Sprintf("postpone %d (#%d of %s), next %s", d.ID, i, dest, offset(d.NextAt)))
		default:
			finish(t, s, model[dest][i].ID)
			log = append(log, fmt.Sprintf("finish %d (#%d of %s)", model[dest][i].ID, i, dest))
			model[dest] = slices.Delete(model[dest], i, i+1)
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
			return nil
		})
	}
	for _, dest := range dests {
		want := bot.Delivery{}
		if len(model[dest]) > 0 {
			want = model[dest][0]
		}
		checkNext(t, s, dest, want)
	}
}

// offset shows a time in the log as its distance from t0.
func offset(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.Sub(t0).String()
}
