package spike_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"caredesk/spike"
)

// now is a Thursday evening, when the readings are taken.
var now = time.Date(2026, 3, 5, 21, 0, 0, 0, time.UTC)

// history is a Counter over known counts: now's window holds current, and
// the same window k weeks before holds past[k-1]; any other window is an
// error, so a test notices a reading that asks for the wrong one.
func history(t *testing.T, current int, past ...int) spike.Counter {
	t.Helper()
	window := spike.DefaultPolicy().Window
	return func(source string, from, until time.Time) (int, error) {
		if source != "telegram" {
			t.Errorf("counted source %q, want telegram", source)
		}
		if until.Sub(from) != window {
			t.Errorf("counted %v–%v, not one window", from, until)
		}
		for k := 0; k <= len(past); k++ {
			if !until.Equal(now.AddDate(0, 0, -7*k)) {
				continue
			}
			if k == 0 {
				return current, nil
			}
			return past[k-1], nil
		}
		t.Errorf("counted %v–%v, which is no week's window", from, until)
		return 0, nil
	}
}

func TestRead(t *testing.T) {
	long := now.AddDate(-1, 0, 0)
	tests := []struct {
		name    string
		count   spike.Counter
		since   time.Time
		usual   float64
		history int
		over    bool
	}{
		{"three times the median", history(t, 20, 4, 6, 5, 7), long, 5.5, 4, true},
		{"busy, but under three times", history(t, 15, 4, 6, 5, 7), long, 5.5, 4, false},
		{"exactly three times", history(t, 18, 6, 6, 6, 6), long, 6, 4, true},
		{"the median ignores a past surge", history(t, 20, 4, 90, 5, 7), long, 6, 4, true},
		{"a brand-new desk assumes the floor", history(t, 10), now.AddDate(0, 0, -1), 3, 0, true},
		{"a new desk still needs Min", history(t, 9), now.AddDate(0, 0, -1), 3, 0, false},
		{"one week is history, over the floor", history(t, 12, 4), now.AddDate(0, 0, -8), 4, 1, true},
		{"one week is history, under the floor", history(t, 10, 1), now.AddDate(0, 0, -8), 3, 1, true},
		{"a week that started before the desk is not history", history(t, 12, 4), now.AddDate(0, 0, -7).Add(-10 * time.Minute), 3, 0, true},
		{"a week that started with the desk is", history(t, 12, 4), now.AddDate(0, 0, -7).Add(-30 * time.Minute), 4, 1, true},
		{"a quiet hour's median 0 is the floor", history(t, 8, 0, 0, 1, 0), long, 3, 4, false},
		{"a quiet hour still takes Min and 3×floor", history(t, 10, 0, 0, 1, 0), long, 3, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := spike.Read(tt.count, spike.DefaultPolicy(), "telegram", tt.since, now)
			if err != nil {
				t.Fatal(err)
			}
			if r.Usual != tt.usual || r.History != tt.history || r.Over != tt.over {
				t.Errorf("Read = usual %v of %d weeks, over %v; want usual %v of %d weeks, over %v",
					r.Usual, r.History, r.Over, tt.usual, tt.history, tt.over)
			}
			if r.Source != "telegram" || !r.From.Equal(now.Add(-30*time.Minute)) || !r.Until.Equal(now) {
				t.Errorf("Read = %s %v–%v, want telegram's last 30 minutes", r.Source, r.From, r.Until)
			}
		})
	}
}

// A week is a calendar week where the desk is: Poland went to summer time
// on 29 March 2026, so 21:00 on 2 April is compared with 21:00 on 26 March,
// 167 hours before, not 20:00.
func TestReadAcrossSummerTime(t *testing.T) {
	warsaw, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	at := time.Date(2026, 4, 2, 21, 0, 0, 0, warsaw)
	var ends []string
	count := func(source string, from, until time.Time) (int, error) {
		ends = append(ends, until.Format("Jan 2 15:04"))
		return 0, nil
	}
	p := spike.DefaultPolicy()
	p.Weeks = 1
	if _, err := spike.Read(count, p, "", time.Time{}, at); err != nil {
		t.Fatal(err)
	}
	if want := "Apr 2 21:00, Mar 26 21:00"; strings.Join(ends, ", ") != want {
		t.Errorf("counted windows ending %s, want %s", strings.Join(ends, ", "), want)
	}
}

func TestReadErrors(t *testing.T) {
	down := errors.New("store is down")
	tests := []struct {
		name  string
		fails int // which call fails, from 0 for now's window
		p     spike.Policy
		want  string
	}{
		{"now's count", 0, spike.DefaultPolicy(), "count all complaints 2026-03-05 20:30–2026-03-05 21:00: store is down"},
		{"a past week's count", 2, spike.DefaultPolicy(), "count all complaints 2026-02-19 20:30–2026-02-19 21:00: store is down"},
		{"no window", -1, spike.Policy{Factor: 3}, "spike policy: a window of 0s counts nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			count := func(string, time.Time, time.Time) (int, error) {
				defer func() { calls++ }()
				if calls == tt.fails {
					return 0, down
				}
				return 5, nil
			}
			_, err := spike.Read(count, tt.p, "", time.Time{}, now)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Read error = %v, want %q", err, tt.want)
			}
			if tt.fails >= 0 && !errors.Is(err, down) {
				t.Errorf("Read error %v does not wrap the store's", err)
			}
		})
	}
}

// TestStep follows one source through an evening: each step is a reading
// of the count at a minute after now, against a usual 5.5, so the spike
// threshold is 16.5 and a spike ends under 13.2 or under 10.
func TestStep(t *testing.T) {
	p := spike.DefaultPolicy()
	at := func(min int) time.Time { return now.Add(time.Duration(min) * time.Minute) }
	steps := []struct {
		name   string
		min    int
		count  int
		event  spike.Event
		since  int // minute of State.Since; -1 for zero
		alert  int // minute of State.Alerted; -1 for zero
		peak   int
		reason string
	}{
		{"calm", 0, 5, spike.None, -1, -1, 0, "under the threshold"},
		{"surge", 10, 20, spike.Spike, 10, 10, 20, "the first reading over it"},
		{"still over", 20, 30, spike.None, 10, 10, 30, "already alerted; the peak rises"},
		{"dipping", 30, 15, spike.None, 10, 10, 30, "under the threshold, not under 0.8 of it"},
		{"calming", 40, 13, spike.Calm, -1, 10, 30, "under 0.8 of the threshold; the peak is kept for the message"},
		{"calm again", 50, 12, spike.None, -1, 10, 30, "calm stays calm"},
		{"back within the cool-down, no bigger", 60, 25, spike.None, -1, 10, 30, "no bigger than the peak the desk heard of: not news"},
		{"back within the cool-down, bigger", 70, 40, spike.Spike, 70, 70, 40, "bigger than the announced peak: a new alert"},
		{"calming after it", 80, 5, spike.Calm, -1, 70, 40, "every announced spike ends with its calm"},
		{"hovering under the threshold", 90, 16, spike.None, -1, 70, 40, "hysteresis does not start a spike"},
		{"after the cool-down", 200, 17, spike.Spike, 200, 200, 17, "two hours after the last alert: a new one, a new peak"},
		{"dipping after the new alert", 210, 14, spike.None, 200, 200, 17, "14 ≥ 13.2 and ≥ 10"},
	}
	var s spike.State
	for _, st := range steps {
		r := spike.Reading{Source: "telegram", Count: st.count, Usual: 5.5, History: 4,
			Over: st.count >= p.Min && float64(st.count) >= p.Factor*5.5, From: at(st.min).Add(-p.Window), Until: at(st.min)}
		var ev spike.Event
		s, ev = spike.Step(s, r, p)
		want := spike.State{Peak: st.peak}
		if st.since >= 0 {
			want.Since = at(st.since)
		}
		if st.alert >= 0 {
			want.Alerted = at(st.alert)
		}
		if ev != st.event || s != want {
			t.Fatalf("%s (%d at +%dm, %s): Step = %v, %+v; want %v, %+v", st.name, st.count, st.min, st.reason, ev, s, st.event, want)
		}
	}
}

// Min has its hysteresis too: with the floor 3 the threshold is 9, and a
// quiet hour's spike of 12 goes on at 9 or 8 and ends under 0.8 of Min.
func TestStepCalmUnderMin(t *testing.T) {
	p := spike.DefaultPolicy()
	for _, tt := range []struct {
		count int
		event spike.Event
	}{{9, spike.None}, {8, spike.None}, {7, spike.Calm}} {
		s := spike.State{Since: now, Alerted: now, Peak: 12}
		s, ev := spike.Step(s, spike.Reading{Count: tt.count, Usual: 3, Until: now.Add(10 * time.Minute)}, p)
		if ev != tt.event || s.Peak != 12 || (ev == spike.Calm) != s.Since.IsZero() {
			t.Errorf("Step(%d of usual 3) = %v, %+v; want %v, peak 12", tt.count, ev, s, tt.event)
		}
	}
}

func TestStateJSON(t *testing.T) {
	tests := []struct {
		name string
		s    spike.State
		want string
	}{
		{"calm, never alerted", spike.State{}, `{}`},
		{"calm after a spike", spike.State{Alerted: now, Peak: 40}, `{"alerted":"2026-03-05T21:00:00Z","peak":40}`},
		{"in a spike", spike.State{Since: now, Alerted: now, Peak: 20}, `{"since":"2026-03-05T21:00:00Z","alerted":"2026-03-05T21:00:00Z","peak":20}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("json = %s, want %s", b, tt.want)
			}
			var back spike.State
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back != tt.s {
				t.Errorf("round trip = %+v, want %+v", back, tt.s)
			}
		})
	}
}

func TestEventString(t *testing.T) {
	for ev, want := range map[spike.Event]string{spike.None: "none", spike.Spike: "spike", spike.Calm: "calm", 7: "event(?)"} {
		if got := ev.String(); got != want {
			t.Errorf("Event(%d).String() = %q, want %q", int(ev), got, want)
		}
	}
}
