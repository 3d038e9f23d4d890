package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
)

// spikeFile is a desk whose spike alert is small enough for a test: five
// complaints in five minutes, twice the floor of one.
func spikeFile(t *testing.T, spikes string) string {
	t.Helper()
	yaml := "customers:\n  acknowledge: off\n  signature: false\nescalation:\n  lead: U0LEAD01\n" + spikes
	path := filepath.Join(t.TempDir(), "spike.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSpikeAlert: a double charge brings eight complaints at once; the
// desk channel gets one alert with @here and what it is about, the lead
// and the named person get a direct message, and /desk spike shows the
// rate against the usual.
func TestSpikeAlert(t *testing.T) {
	r := newRig(t, rigOptions{env: map[string]string{
		"CAREDESK_CONFIG": spikeFile(t, "spikes:\n  window: 5m\n  factor: 2\n  min: 5\n  floor: 1\n  cool_down: 1h\n  ping: [lead, U0ONCALL]\n"),
		"CAREDESK_TICK":   "100ms",
	}})
	r.slack.AddUser("U0LEAD01", "leyla")
	r.slack.AddUser("U0ONCALL", "onur")
	r.start()

	texts := []string{"Faturamı iki kez çektiniz", "FATURA iki kez çekildi!", "kartımdan iki kez çekildi, fatura yanlış", "Çift çekim: fatura iki kez"}
	for i := range 8 {
		u := telegramsim.User{ID: int64(8100 + i), FirstName: fmt.Sprintf("Müşteri %d", i), LanguageCode: "tr"}
		r.tg.CustomerWrites(u.ID, u, texts[i%len(texts)])
	}
	alerts := func() []slacksim.Message {
		var out []slacksim.Message
		for _, m := range r.slack.Roots() {
			if strings.Contains(m.Text, "Complaints are surging") {
				out = append(out, m)
			}
		}
		return out
	}
	r.wait("the spike alert in the desk channel", func() bool { return len(alerts()) > 0 })
	alert := alerts()[0].Text
	for _, want := range []string{"🚨 <!here> Complaints are surging on Telegram: ", "About: “", "iki kez", "The last 6 hours, each mark a quarter: "} {
		if !strings.Contains(alert, want) {
			t.Errorf("the alert reads %q, want %q in it", alert, want)
		}
	}
	for _, who := range []string{"U0LEAD01", "U0ONCALL"} {
		r.wait("the alert in "+who+"'s direct messages", func() bool {
			for _, m := range r.slack.DirectMessages(who) {
				if strings.Contains(m.Text, "Complaints are surging on Telegram") {
					return true
				}
			}
			return false
		})
	}
	if got := r.command("UALICE", "alice", "spike"); !strings.Contains(got, "• Telegram: 8, usually 1") || !strings.Contains(got, "surging since") {
		t.Errorf("/desk spike answers %q", got)
	}
	// One spike, one alert, however often the watch looks.
	if n := len(alerts()); n != 1 {
		t.Errorf("%d alerts, want one", n)
	}
	if err := r.stop(); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}

// TestSpikesOff: with spikes: off, nothing is watched and /desk spike says
// so.
func TestSpikesOff(t *testing.T) {
	r := newRig(t, rigOptions{env: map[string]string{"CAREDESK_CONFIG": spikeFile(t, "spikes: off\n")}})
	r.start()
	if got := r.command("UALICE", "alice", "spike"); got != "Spike alerts are off in this caredesk (spikes: off in its YAML file)." {
		t.Errorf("/desk spike answers %q", got)
	}
}
