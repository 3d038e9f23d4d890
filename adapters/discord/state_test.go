package discord_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/health/healthtest"
	"caredesk/sim/discordsim"
)

// within10s is how long a test waits for a report.
func within10s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestRunReportsTheGatewaysState: a token reset while caredesk runs closes
// the gateway with 4004; Run says what to do, keeps trying, and reports
// the connection open again once the token is good.
func TestRunReportsTheGatewaysState(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	st := make(healthtest.Reports, 1000)
	d := newDiscord(t, sim, func(o *discord.Options) { o.OnState = st.Report })
	run(t, sim, d, &core{}, &inbox{})
	st.Next(within10s(t), t, true)

	sim.RevokeToken(true)
	down := st.Next(within10s(t), t, false)
	if down.Reason != "caredesk lost its connection to Discord's gateway and is reconnecting." {
		t.Errorf("first report after the close: %q", down.Reason)
	}
	// A heartbeat that fails as the connection closes may report the
	// loss once more before the refusal.
	refused := st.Next(within10s(t), t, false)
	for i := 0; i < 3 && refused.Reason == down.Reason; i++ {
		refused = st.Next(within10s(t), t, false)
	}
	for _, w := range []string{"Discord refuses caredesk's token (4004 Authentication failed)", "Reset Token", "DISCORD_BOT_TOKEN"} {
		if !strings.Contains(refused.Reason, w) {
			t.Errorf("reason %q does not say %q", refused.Reason, w)
		}
	}
	sim.RevokeToken(false)
	st.Next(within10s(t), t, true)
	wait(t, sim, "the session back", func() bool { return sim.Connected() })
}
