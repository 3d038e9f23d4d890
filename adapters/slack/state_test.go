package slack_test

import (
	"context"
	"testing"
	"time"

	slackdesk "caredesk/adapters/slack"
	"caredesk/sim/slacksim"
)

// TestSocketModeReportsItsState: readiness hears that the desk is
// connected, that it is reconnecting when Slack asks, and connected again.
func TestSocketModeReportsItsState(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	states := make(chan bool, 100)
	o := deskOptions(sim)
	o.OnState = func(ok bool, _ string) { states <- ok }
	d, err := slackdesk.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	runSocket(t, sim, d, &core{})
	next := func(want bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			select {
			case ok := <-states:
				if ok == want {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no report with ok=%v", want)
			}
		}
	}
	next(true)
	sim.Disconnect()
	next(false)
	next(true)
}
