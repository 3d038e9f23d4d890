// Package budgettest helps the tests of endpoints that read bodies within
// a bodybudget.Budget: a test holds a body open and must know when the
// budget counts it before it sends the next request.
package budgettest

import (
	"testing"
	"time"

	"caredesk/bodybudget"
)

// WaitInFlight waits up to 10 s until b counts reads bodies being read,
// and fails the test otherwise.
func WaitInFlight(t testing.TB, b *bodybudget.Budget, reads int) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		if n, _ := b.InFlight(); n == reads {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited 10 s for %d bodies in flight", reads)
		}
	}
}
