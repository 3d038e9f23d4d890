// Package healthtest records what an adapter reports through its OnState
// option (the callback health.Part.Report serves in production), so that a
// test can wait for a connection to go down or come back.
package healthtest

import (
	"context"
	"testing"
)

// Report is one OnState call.
type Report struct {
	OK     bool
	Reason string
}

// Reports collects OnState calls; make it with room for every report the
// test may cause, since a full one blocks the adapter.
type Reports chan Report

// Report records one call; pass it as an adapter's OnState.
func (r Reports) Report(ok bool, reason string) { r <- Report{ok, reason} }

// Next waits until ctx ends for the first report whose OK is want, passing
// over the others, and returns it; it fails the test when none comes.
func (r Reports) Next(ctx context.Context, t testing.TB, want bool) Report {
	t.Helper()
	for {
		select {
		case got := <-r:
			if got.OK == want {
				return got
			}
		case <-ctx.Done():
			t.Fatalf("no report with ok=%v", want)
			return Report{}
		}
	}
}
