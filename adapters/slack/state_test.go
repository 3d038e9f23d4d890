package slack_test

import (
	"context"
	"testing"
	"time"

	slackdesk "caredesk/adapters/slack"
	"caredesk/health/healthtest"
	"caredesk/sim/slacksim"
)

// TestSocketModeReportsItsState: readiness hears that the desk is
// connected, that it is reconnecting when Slack asks, and connected again.
func TestSocketModeReportsItsState(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	states := make(healthtest.Reports, 100)
	o := deskOptions(sim)
	o.OnState = states.Report
	d, err := slackdesk.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	runSocket(t, sim, d, &core{})
	next := func(want bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		states.Next(ctx, t, want)
	}
	next(true)
	sim.Disconnect()
	next(false)
	next(true)
}
