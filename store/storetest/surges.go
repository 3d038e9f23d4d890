package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"caredesk/bot"
)

// about is what an alert says a surge is about: caredesk's words around
// the customers', which it quoted.
const about = "“\ufff9fatura\ufffb” (28), “\ufff9iki kez\ufffb” (20)"

// testSurgeRoundTrip: a surge comes back as it was added, still on or
// ended, its times in UTC; each gets an id of its own, in the order added.
func testSurgeRoundTrip(t *testing.T, s bot.Store) {
	surges := []bot.Surge{
		{Source: "telegram", Started: t0, Ended: t0.Add(65 * time.Minute), Peak: 48, Usual: 5, About: about},
		{Source: "webhook:twitter", Started: t0.Add(time.Hour), Peak: 120, Usual: 1.0 / 3},
		{Source: "discord", Started: t0.Add(2 * time.Hour), Peak: 1 << 30, Usual: 2.5, About: "“\ufff9Müşteri 📦\ufffb” (7)"},
	}
	update(t, s, func(tx bot.Tx) error {
		for i := range surges {
			if err := tx.AddSurge(&surges[i]); err != nil {
				return err
			}
		}
		return nil
	})
	for i := 1; i < len(surges); i++ {
		if surges[i].ID <= surges[i-1].ID {
			t.Errorf("surge %d got id %d after %d: want ids rising in the order added", i, surges[i].ID, surges[i-1].ID)
		}
	}
	var got []bot.Surge
	view(t, s, func(tx bot.Tx) (err error) { got, err = tx.Surges(t0, t0.Add(24*time.Hour)); return err })
	if len(got) != len(surges) {
		t.Fatalf("Surges returned %d surges, want %d: %+v", len(got), len(surges), got)
	}
	for i := range surges {
		checkSurge(t, fmt.Sprintf("surge %d", i), got[i], surges[i])
	}
}

// checkSurge reports each field in which got differs from want.
func checkSurge(t *testing.T, what string, got, want bot.Surge) {
	t.Helper()
	if got.ID != want.ID || got.Source != want.Source || got.Peak != want.Peak || got.Usual != want.Usual || got.About != want.About {
		t.Errorf("%s came back as %+v, want %+v", what, got, want)
	}
	checkTime(t, what+" Started", got.Started, want.Started)
	checkTime(t, what+" Ended", got.Ended, want.Ended)
}

// on is the end of a surge still on.
const on = -1

// surgeAt is a surge of source named by about, from start until end
// minutes after base (end on: still on), with its peak.
func surgeAt(base time.Time, source, name string, start, end, peak int) bot.Surge {
	s := bot.Surge{Source: source, Started: base.Add(time.Duration(start) * time.Minute), Peak: peak, Usual: 2.5, About: name}
	if end != on {
		s.Ended = base.Add(time.Duration(end) * time.Minute)
	}
	return s
}

// testEndSurge: EndSurge ends the newest surge of its source that is
// still on, with the end and peak given (each peak here higher than the
// surge's; testSurgePeak has lower ones); surges ended before, and other
// sources' surges, are left as they were; a source with none on is no
// error and changes nothing.
func testEndSurge(t *testing.T, s bot.Store) {
	type surge struct {
		source, name     string
		start, end, peak int // minutes after the case's base; end on: still on
	}
	type end struct {
		source   string
		at, peak int
	}
	// The cases run in order on one store, each a day after the one
	// before and with sources of its own, and each checks every surge:
	// its own as want says, the earlier cases' as they left them.
	tests := []struct {
		name string
		add  []surge // in one update, in order
		ends []end   // each in an update of its own, in order
		want []surge // the case's surges after, oldest first
	}{
		{"the newest still on of its source; one ended before and another source's left as they were",
			[]surge{{"telegram", "ended", 0, 60, 10}, {"telegram", "older", 120, on, 20},
				{"telegram", "newest", 180, on, 30}, {"discord", "other source", 150, on, 40}},
			[]end{{"telegram", 240, 35}},
			[]surge{{"telegram", "ended", 0, 60, 10}, {"telegram", "older", 120, on, 20},
				{"discord", "other source", 150, on, 40}, {"telegram", "newest", 180, 240, 35}}},
		{"ended twice: the one before it next",
			[]surge{{"webhook:twitter", "first", 0, on, 5}, {"webhook:x", "other source", 30, on, 7},
				{"webhook:twitter", "second", 60, on, 6}},
			[]end{{"webhook:twitter", 100, 8}, {"webhook:twitter", 200, 9}},
			[]surge{{"webhook:twitter", "first", 0, 200, 9}, {"webhook:x", "other source", 30, on, 7},
				{"webhook:twitter", "second", 60, 100, 8}}},
		{"newest by its start, not by when it was added",
			[]surge{{"webhook:late", "later start", 60, on, 5}, {"webhook:late", "added after", 0, on, 6}},
			[]end{{"webhook:late", 90, 11}},
			[]surge{{"webhook:late", "added after", 0, on, 6}, {"webhook:late", "later start", 60, 90, 11}}},
		{"the same start: the one added last",
			[]surge{{"webhook:tie", "added first", 0, on, 5}, {"webhook:tie", "added last", 0, on, 6}},
			[]end{{"webhook:tie", 30, 12}},
			[]surge{{"webhook:tie", "added first", 0, on, 5}, {"webhook:tie", "added last", 0, 30, 12}}},
		{"none still on: no error, nothing changes",
			[]surge{{"webhook:calm", "ended", 0, 60, 10}},
			[]end{{"webhook:calm", 120, 99}},
			[]surge{{"webhook:calm", "ended", 0, 60, 10}}},
		{"a source never seen: no error, nothing changes",
			[]surge{{"webhook:seen", "still on", 0, on, 10}},
			[]end{{"webhook:never", 120, 99}},
			[]surge{{"webhook:seen", "still on", 0, on, 10}}},
	}
	var all []bot.Surge // every case's surges as they should be, by case
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t0.Add(time.Duration(i) * 24 * time.Hour)
			ids := map[string]int64{}
			update(t, s, func(tx bot.Tx) error {
				for _, a := range tt.add {
					sg := surgeAt(base, a.source, a.name, a.start, a.end, a.peak)
					if err := tx.AddSurge(&sg); err != nil {
						return err
					}
					ids[a.name] = sg.ID
				}
				return nil
			})
			for _, e := range tt.ends {
				err := s.Update(t.Context(), func(tx bot.Tx) error {
					return tx.EndSurge(e.source, base.Add(time.Duration(e.at)*time.Minute), e.peak)
				})
				if err != nil {
					t.Errorf("EndSurge(%q): %v", e.source, err)
				}
			}
			for _, w := range tt.want {
				sg := surgeAt(base, w.source, w.name, w.start, w.end, w.peak)
				sg.ID = ids[w.name]
				all = append(all, sg)
			}
			var got []bot.Surge
			view(t, s, func(tx bot.Tx) (err error) {
				got, err = tx.Surges(time.Time{}, t0.Add(365*24*time.Hour))
				return err
			})
			if len(got) != len(all) {
				t.Fatalf("%d surges after, want %d: %+v", len(got), len(all), got)
			}
			for j := range all {
				checkSurge(t, fmt.Sprintf("surge %q", all[j].About), got[j], all[j])
			}
			if t.Failed() {
				all = got // the next cases are judged by what they change
			}
		})
	}
}

// testSurgePeak: EndSurge keeps the higher of the surge's peak and the
// one it is given: a lower peak leaves the surge's, a higher replaces it.
// Either way the surge ends.
func testSurgePeak(t *testing.T, s bot.Store) {
	tests := []struct {
		name            string
		peak, end, want int
	}{
		{"a lower peak keeps the higher", 30, 20, 30},
		{"a higher replaces it", 30, 45, 45},
		{"the same peak", 30, 30, 30},
		{"no peak at all keeps the surge's", 30, 0, 30},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case a source and a day of its own.
			base := t0.Add(time.Duration(i) * 24 * time.Hour)
			source := fmt.Sprintf("webhook:peak%d", i)
			sg := surgeAt(base, source, tt.name, 0, on, tt.peak)
			update(t, s, func(tx bot.Tx) error { return tx.AddSurge(&sg) })
			ended := base.Add(time.Hour)
			update(t, s, func(tx bot.Tx) error { return tx.EndSurge(source, ended, tt.end) })
			var got []bot.Surge
			view(t, s, func(tx bot.Tx) (err error) { got, err = tx.Surges(base, base.Add(time.Minute)); return err })
			j := slices.IndexFunc(got, func(g bot.Surge) bool { return g.ID == sg.ID })
			if j < 0 {
				t.Fatalf("surge #%d is not listed: %+v", sg.ID, got)
			}
			want := sg
			want.Ended, want.Peak = ended, tt.want
			checkSurge(t, fmt.Sprintf("surge %q ended with peak %d", tt.name, tt.end), got[j], want)
		})
	}
}

// testSurgesOfAPeriod: Surges lists the surges that overlap a period:
// that started before it ends and had not ended before it began, those
// still on included; oldest first, and of the same start in the order
// added.
func testSurgesOfAPeriod(t *testing.T, s bot.Store) {
	from, until := t0.Add(24*time.Hour), t0.Add(48*time.Hour)
	h := func(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }
	// Each is named by its About, in the order added.
	type surge struct {
		name       string
		start, end time.Time // end zero: still on
	}
	surges := []surge{
		{"before", from.Add(-h(10)), from.Add(-h(9))},
		{"ended a moment before", from.Add(-h(1)), from.Add(-time.Microsecond)},
		{"ended as it began", from.Add(-h(1)), from},
		{"across the start", from.Add(-h(2)), from.Add(h(1))},
		{"inside", from.Add(h(2)), from.Add(h(3))},
		{"inside, the same start", from.Add(h(2)), from.Add(h(4))},
		{"across the whole", from.Add(-h(3)), until.Add(h(1))},
		{"across the end", until.Add(-h(1)), until.Add(h(1))},
		{"on, from before", from.Add(-h(5)), time.Time{}},
		{"on, from inside", until.Add(-h(0.5)), time.Time{}},
		{"starts as it ends", until, until.Add(h(1))},
		{"after", until.Add(h(1)), until.Add(h(2))},
		{"on, from after", until.Add(h(3)), time.Time{}},
	}
	update(t, s, func(tx bot.Tx) error {
		for i, sg := range surges {
			// Sources apart, as the watch keeps one surge on a source at
			// a time; the listing is of every source.
			err := tx.AddSurge(&bot.Surge{Source: fmt.Sprintf("webhook:%d", i), Started: sg.start, Ended: sg.end,
				Peak: 10 + i, Usual: 2, About: sg.name})
			if err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name        string
		from, until time.Time
		want        []string
	}{
		{"the period", from, until, []string{"on, from before", "across the whole", "across the start",
			"ended as it began", "inside", "inside, the same start", "across the end", "on, from inside"}},
		{"its first moment", from, from.Add(time.Microsecond), []string{"on, from before", "across the whole",
			"across the start", "ended as it began"}},
		{"before any", t0.Add(-h(48)), t0, nil},
		{"after every end: those still on", until.Add(h(10)), until.Add(h(20)), []string{"on, from before",
			"on, from inside", "on, from after"}},
		{"since ever", time.Time{}, until.Add(h(100)), []string{"before", "on, from before", "across the whole",
			"across the start", "ended a moment before", "ended as it began", "inside", "inside, the same start",
			"across the end", "on, from inside", "starts as it ends", "after", "on, from after"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bot.Surge
			view(t, s, func(tx bot.Tx) (err error) { got, err = tx.Surges(tt.from, tt.until); return err })
			var names []string
			for _, sg := range got {
				names = append(names, sg.About)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("Surges(%s, %s) = %q\nwant %q", tt.from.Sub(from), tt.until.Sub(from), names, tt.want)
			}
		})
	}
	// A surge listed comes back whole: one ended and one still on.
	var got []bot.Surge
	view(t, s, func(tx bot.Tx) (err error) { got, err = tx.Surges(from, until); return err })
	for _, sg := range got {
		i := slices.IndexFunc(surges, func(x surge) bool { return x.name == sg.About })
		if sg.About != "across the start" && sg.About != "on, from inside" {
			continue
		}
		want := bot.Surge{ID: sg.ID, Source: fmt.Sprintf("webhook:%d", i), Started: surges[i].start, Ended: surges[i].end,
			Peak: 10 + i, Usual: 2, About: surges[i].name}
		checkSurge(t, fmt.Sprintf("surge %q", sg.About), sg, want)
	}
}
