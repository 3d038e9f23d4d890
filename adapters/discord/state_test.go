package discord_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/sim/discordsim"
)

// state is one OnState report.
type state struct {
	ok     bool
	reason string
}

// states collects OnState reports for a test to wait on.
type states chan state

func (s states) report(ok bool, reason string) { s <- state{ok, reason} }

// next waits for the first report whose ok is want, and returns it.
func (s states) next(t *testing.T, want bool) state {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		select {
		case st := <-s:
			if st.ok == want {
				return st
			}
		case <-ctx.Done():
			t.Fatalf("no report with ok=%v", want)
		}
	}
}

// TestRunReportsTheGatewaysState: a token reset while caredesk runs closes
// the gateway with 4004; Run says what to do, keeps trying, and reports
// the connection open again once the token is good.
func TestRunReportsTheGatewaysState(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	st := make(states, 1000)
	d := newDiscord(t, sim, func(o *discord.Options) { o.OnState = st.report })
	run(t, sim, d, &core{}, &inbox{})
	st.next(t, true)

	sim.RevokeToken(true)
	down := st.next(t, false)
	if down.reason != "caredesk lost its connection to Discord's gateway and is reconnecting." {
		t.Errorf("first report after the close: %q", down.reason)
	}
	refused := st.next(t, false)
	for _, w := range []string{"Discord refuses caredesk's token (4004 Authentication failed)", "Reset Token", "DISCORD_BOT_TOKEN"} {
		if !strings.Contains(refused.reason, w) {
			t.Errorf("reason %q does not say %q", refused.reason, w)
		}
	}
	sim.RevokeToken(false)
	st.next(t, true)
	wait(t, sim, "the session back", func() bool { return sim.Connected() })
}
