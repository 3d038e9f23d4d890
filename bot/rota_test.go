package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// rotaWeekday is a weekly rotation of three handing over on Mondays at
// 09:00, with alice's week starting on Monday 2 November 2026.
func rotaWeekday(loc *time.Location) Rotation {
	return Rotation{
		Name: "weekday", Layer: Primary, Members: []string{"alice", "bob", "carol"},
		Length: Weekly, HandoverDay: time.Monday, HandoverTime: 9 * 60,
		Start: calAt(loc, "2026-11-02 09:00"),
	}
}

// rotaWeekend covers Friday 18:00 to Monday 09:00, dave first.
func rotaWeekend(loc *time.Location) Rotation {
	return Rotation{
		Name: "weekend", Layer: Primary, Members: []string{"dave", "erin"},
		Length: Weekend, HandoverDay: time.Friday, HandoverTime: 18 * 60, EndDay: time.Monday, EndTime: 9 * 60,
		Start: calAt(loc, "2026-11-02 09:00"), // before the first weekend: that one is dave's
	}
}

// rotaLines writes shifts one a line as the team would read them in loc.
func rotaLines(shifts []Shift, loc *time.Location) []string {
	var out []string
	for _, s := range shifts {
		out = append(out, rotaLine(s, loc))
	}
	return out
}

func rotaLine(s Shift, loc *time.Location) string {
	if s.Agent == "" {
		return "nobody"
	}
	why := s.Rotation
	if s.Override {
		why = "override"
	}
	const layout = "Mon 01-02 15:04"
	return fmt.Sprintf("%s %s → %s (%s)", s.Agent, s.From.In(loc).Format(layout), s.Until.In(loc).Format(layout), why)
}

func rotaCompare(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", what, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// rotaContiguous fails unless shifts cover [from, to) without gaps or
// overlaps.
func rotaContiguous(t *testing.T, shifts []Shift, from, to time.Time) {
	t.Helper()
	end := from
	for _, s := range shifts {
		if !s.From.Equal(end) || !s.From.Before(s.Until) {
			t.Errorf("shift %+v does not follow on from %s", s, end)
		}
		end = s.Until
	}
	if !end.Equal(to) {
		t.Errorf("coverage ends at %s, want %s", end, to)
	}
}

func TestRotaWeeklyOverFourWeeks(t *testing.T) {
	loc := calIstanbul
	r := Rota{Location: loc, Rotations: []Rotation{rotaWeekday(loc)}}
	from, to := calAt(loc, "2026-11-02 09:00"), calAt(loc, "2026-11-30 09:00")
	got := r.Shifts(Primary, from, to)
	rotaCompare(t, "four weeks", rotaLines(got, loc), []string{
		"alice Mon 11-02 09:00 → Mon 11-09 09:00 (weekday)",
		"bob Mon 11-09 09:00 → Mon 11-16 09:00 (weekday)",
		"carol Mon 11-16 09:00 → Mon 11-23 09:00 (weekday)",
		"alice Mon 11-23 09:00 → Mon 11-30 09:00 (weekday)",
	})
	rotaContiguous(t, got, from, to)

	// Before the anchor the turns run backwards: carol had the week before.
	if got := rotaLine(r.At(calAt(loc, "2026-11-02 08:59")).Primary, loc); got != "carol Mon 10-26 09:00 → Mon 11-02 09:00 (weekday)" {
		t.Errorf("the minute before the anchor: %s", got)
	}
	// An anchor in the middle of a week makes that week Members[0]'s.
	mid := rotaWeekday(loc)
	mid.Start = calAt(loc, "2026-11-05 12:00")
	r.Rotations = []Rotation{mid}
	if got := r.At(calAt(loc, "2026-11-02 09:00")).Primary.Agent; got != "alice" {
		t.Errorf("an anchor on Thursday gives that Monday to %s, want alice", got)
	}
}

func TestRotaDaily(t *testing.T) {
	loc := calIstanbul
	r := Rota{Location: loc, Rotations: []Rotation{{
		Name: "nights", Layer: Primary, Members: []string{"alice", "bob"}, Length: Daily,
		HandoverDay:  time.Sunday, // ignored
		HandoverTime: 8 * 60, Start: calAt(loc, "2026-11-02 08:00"),
	}}}
	got := r.Shifts(Primary, calAt(loc, "2026-11-02 00:00"), calAt(loc, "2026-11-05 00:00"))
	rotaCompare(t, "three days", rotaLines(got, loc), []string{
		"bob Mon 11-02 00:00 → Mon 11-02 08:00 (nights)", // clipped
		"alice Mon 11-02 08:00 → Tue 11-03 08:00 (nights)",
		"bob Tue 11-03 08:00 → Wed 11-04 08:00 (nights)",
		"alice Wed 11-04 08:00 → Thu 11-05 00:00 (nights)", // clipped
	})

	// A hand-over at 02:30 in Warsaw, a time the night of 29 March skips:
	// the shifts still follow on, and the turn order does not slip.
	r = Rota{Location: calWarsaw, Rotations: []Rotation{{
		Name: "small hours", Layer: Primary, Members: []string{"alice", "bob"}, Length: Daily,
		HandoverTime: 2*60 + 30, Start: calAt(calWarsaw, "2026-03-27 02:30"),
	}}}
	from, to := calAt(calWarsaw, "2026-03-27 02:30"), calAt(calWarsaw, "2026-03-31 02:30")
	got = r.Shifts(Primary, from, to)
	rotaContiguous(t, got, from, to)
	var agents []string
	for _, s := range got {
		agents = append(agents, s.Agent)
	}
	if want := []string{"alice", "bob", "alice", "bob"}; !slices.Equal(agents, want) {
		t.Errorf("turns %v, want %v", agents, want)
	}
}

func TestRotaWeekendOverWeekdays(t *testing.T) {
	loc := calIstanbul
	r := Rota{Location: loc, Rotations: []Rotation{rotaWeekday(loc), rotaWeekend(loc)}}
	from, to := calAt(loc, "2026-11-02 09:00"), calAt(loc, "2026-11-16 09:00")
	got := r.Shifts(Primary, from, to)
	rotaCompare(t, "two weeks", rotaLines(got, loc), []string{
		"alice Mon 11-02 09:00 → Fri 11-06 18:00 (weekday)",
		"dave Fri 11-06 18:00 → Mon 11-09 09:00 (weekend)",
		"bob Mon 11-09 09:00 → Fri 11-13 18:00 (weekday)",
		"erin Fri 11-13 18:00 → Mon 11-16 09:00 (weekend)",
	})
	rotaContiguous(t, got, from, to)

	// The weekend-only rotation wins wherever it is listed.
	slices.Reverse(r.Rotations)
	rotaCompare(t, "listed the other way round", rotaLines(r.Shifts(Primary, from, to), loc), rotaLines(got, loc))

	// Alone, it covers weekends and nothing else.
	alone := Rota{Location: loc, Rotations: []Rotation{rotaWeekend(loc)}}
	if got := alone.At(calAt(loc, "2026-11-04 12:00")); got.Primary.Agent != "" || got.Backup.Agent != "" {
		t.Errorf("a weekend rotation covers Wednesday: %+v", got)
	}
	rotaCompare(t, "weekends only", rotaLines(alone.Shifts(Primary, from, to), loc), []string{
		"dave Fri 11-06 18:00 → Mon 11-09 09:00 (weekend)",
		"erin Fri 11-13 18:00 → Mon 11-16 09:00 (weekend)",
	})
}

func TestRotaBackup(t *testing.T) {
	loc := calIstanbul
	wed := calAt(loc, "2026-11-04 12:00")
	sat := calAt(loc, "2026-11-07 12:00")
	backups := Rotation{
		Name: "seniors", Layer: Backup, Members: []string{"frank", "grace"}, Length: Weekly,
		HandoverDay: time.Monday, HandoverTime: 9 * 60, Start: calAt(loc, "2026-11-02 09:00"),
	}
	solo := rotaWeekday(loc)
	solo.Members = []string{"alice"}
	tests := []struct {
		name      string
		rota      Rota
		at        time.Time
		primary   string
		backup    string
		overrides []Override
	}{
		{"the next member", Rota{Rotations: []Rotation{rotaWeekday(loc)}}, wed,
			"alice Mon 11-02 09:00 → Mon 11-09 09:00 (weekday)", "bob Mon 11-02 09:00 → Mon 11-09 09:00 (weekday)", nil},
		{"the next member wraps round", Rota{Rotations: []Rotation{rotaWeekday(loc)}}, wed.AddDate(0, 0, 14),
			"carol Mon 11-16 09:00 → Mon 11-23 09:00 (weekday)", "alice Mon 11-16 09:00 → Mon 11-23 09:00 (weekday)", nil},
		{"the next member of the weekend rotation", Rota{Rotations: []Rotation{rotaWeekday(loc), rotaWeekend(loc)}}, sat,
			"dave Fri 11-06 18:00 → Mon 11-09 09:00 (weekend)", "erin Fri 11-06 18:00 → Mon 11-09 09:00 (weekend)", nil},
		{"a rotation of one has no backup", Rota{Rotations: []Rotation{solo}}, wed,
			"alice Mon 11-02 09:00 → Mon 11-09 09:00 (weekday)", "nobody", nil},
		{"a backup rotation", Rota{Rotations: []Rotation{rotaWeekday(loc), backups}}, wed.AddDate(0, 0, 7),
			"bob Mon 11-09 09:00 → Mon 11-16 09:00 (weekday)", "grace Mon 11-09 09:00 → Mon 11-16 09:00 (seniors)", nil},
		{"a backup override", Rota{Rotations: []Rotation{rotaWeekday(loc), backups}}, wed,
			"alice Mon 11-02 09:00 → Mon 11-09 09:00 (weekday)", "carol Wed 11-04 09:00 → Thu 11-05 09:00 (override)",
			[]Override{{Layer: Backup, Agent: "carol", From: calAt(loc, "2026-11-04 09:00"), Until: calAt(loc, "2026-11-05 09:00")}}},
		{"the next member covering the primary is not also the backup", Rota{Rotations: []Rotation{rotaWeekday(loc)}}, wed,
			"bob Wed 11-04 09:00 → Thu 11-05 09:00 (override)", "carol Wed 11-04 09:00 → Thu 11-05 09:00 (weekday)",
			[]Override{{Layer: Primary, Agent: "bob", From: calAt(loc, "2026-11-04 09:00"), Until: calAt(loc, "2026-11-05 09:00")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rota
			r.Location, r.Overrides = loc, tt.overrides
			now := r.At(tt.at)
			if got := rotaLine(now.Primary, loc); got != tt.primary {
				t.Errorf("primary %s, want %s", got, tt.primary)
			}
			if got := rotaLine(now.Backup, loc); got != tt.backup {
				t.Errorf("backup %s, want %s", got, tt.backup)
			}
			if now.Primary.Layer != Primary || now.Backup.Agent != "" && now.Backup.Layer != Backup {
				t.Errorf("layers %q and %q", now.Primary.Layer, now.Backup.Layer)
			}
		})
	}
}

func TestRotaOverrides(t *testing.T) {
	loc := calIstanbul
	at := func(s string) time.Time { return calAt(loc, s) }
	over := func(agent, from, until string) Override {
		return Override{Layer: Primary, Agent: agent, From: at(from), Until: at(until)}
	}
	tests := []struct {
		name      string
		overrides []Override
		want      []string
	}{
		{"splitting a shift", []Override{over("bob", "2026-11-04 18:00", "2026-11-05 09:00")}, []string{
			"alice Mon 11-02 09:00 → Wed 11-04 18:00 (weekday)",
			"bob Wed 11-04 18:00 → Thu 11-05 09:00 (override)",
			"alice Thu 11-05 09:00 → Mon 11-09 09:00 (weekday)",
		}},
		{"at the start of a shift", []Override{over("bob", "2026-11-02 09:00", "2026-11-03 09:00")}, []string{
			"bob Mon 11-02 09:00 → Tue 11-03 09:00 (override)",
			"alice Tue 11-03 09:00 → Mon 11-09 09:00 (weekday)",
		}},
		{"at the end of a shift", []Override{over("carol", "2026-11-08 09:00", "2026-11-09 09:00")}, []string{
			"alice Mon 11-02 09:00 → Sun 11-08 09:00 (weekday)",
			"carol Sun 11-08 09:00 → Mon 11-09 09:00 (override)",
		}},
		{"over a hand-over, and past the window", []Override{over("dave", "2026-11-08 18:00", "2026-11-10 09:00")}, []string{
			"alice Mon 11-02 09:00 → Sun 11-08 18:00 (weekday)",
			"dave Sun 11-08 18:00 → Mon 11-09 09:00 (override)",
		}},
		{"overlapping, the later wins", []Override{
			over("bob", "2026-11-04 09:00", "2026-11-06 09:00"),
			over("carol", "2026-11-05 09:00", "2026-11-05 18:00"),
		}, []string{
			"alice Mon 11-02 09:00 → Wed 11-04 09:00 (weekday)",
			"bob Wed 11-04 09:00 → Thu 11-05 09:00 (override)",
			"carol Thu 11-05 09:00 → Thu 11-05 18:00 (override)",
			"bob Thu 11-05 18:00 → Fri 11-06 09:00 (override)",
			"alice Fri 11-06 09:00 → Mon 11-09 09:00 (weekday)",
		}},
		{"overlapping the other way, the later hides the earlier", []Override{
			over("carol", "2026-11-05 09:00", "2026-11-05 18:00"),
			over("bob", "2026-11-04 09:00", "2026-11-06 09:00"),
		}, []string{
			"alice Mon 11-02 09:00 → Wed 11-04 09:00 (weekday)",
			"bob Wed 11-04 09:00 → Fri 11-06 09:00 (override)",
			"alice Fri 11-06 09:00 → Mon 11-09 09:00 (weekday)",
		}},
		{"the same person, by override", []Override{over("alice", "2026-11-04 09:00", "2026-11-05 09:00")}, []string{
			"alice Mon 11-02 09:00 → Wed 11-04 09:00 (weekday)",
			"alice Wed 11-04 09:00 → Thu 11-05 09:00 (override)",
			"alice Thu 11-05 09:00 → Mon 11-09 09:00 (weekday)",
		}},
		{"empty and backwards overrides change nothing", []Override{
			over("bob", "2026-11-04 09:00", "2026-11-04 09:00"),
			over("bob", "2026-11-05 09:00", "2026-11-04 09:00"),
			over("", "2026-11-04 09:00", "2026-11-05 09:00"),
			{Layer: Backup, Agent: "erin", From: at("2026-11-04 09:00"), Until: at("2026-11-05 09:00")},
		}, []string{
			"alice Mon 11-02 09:00 → Mon 11-09 09:00 (weekday)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Rota{Location: loc, Rotations: []Rotation{rotaWeekday(loc)}, Overrides: tt.overrides}
			from, to := at("2026-11-02 09:00"), at("2026-11-09 09:00")
			got := r.Shifts(Primary, from, to)
			rotaCompare(t, "the week", rotaLines(got, loc), tt.want)
			rotaContiguous(t, got, from, to)
		})
	}
	// An override of someone outside every rotation covers time nobody else
	// does, too.
	r := Rota{Location: loc, Rotations: []Rotation{rotaWeekend(loc)}, Overrides: []Override{over("zed", "2026-11-04 18:00", "2026-11-05 09:00")}}
	if got := rotaLine(r.At(at("2026-11-04 20:00")).Primary, loc); got != "zed Wed 11-04 18:00 → Thu 11-05 09:00 (override)" {
		t.Errorf("an override outside the rotation: %s", got)
	}
}

func TestRotaShiftsClipping(t *testing.T) {
	loc := calIstanbul
	r := Rota{Location: loc, Rotations: []Rotation{rotaWeekday(loc), rotaWeekend(loc)}}
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"inside one shift", "2026-11-04 12:00", "2026-11-05 12:00", []string{"alice Wed 11-04 12:00 → Thu 11-05 12:00 (weekday)"}},
		{"across a hand-over", "2026-11-06 12:00", "2026-11-07 12:00", []string{
			"alice Fri 11-06 12:00 → Fri 11-06 18:00 (weekday)",
			"dave Fri 11-06 18:00 → Sat 11-07 12:00 (weekend)",
		}},
		{"ending at a hand-over", "2026-11-06 12:00", "2026-11-06 18:00", []string{"alice Fri 11-06 12:00 → Fri 11-06 18:00 (weekday)"}},
		{"empty", "2026-11-06 12:00", "2026-11-06 12:00", nil},
		{"backwards", "2026-11-06 12:00", "2026-11-05 12:00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rotaCompare(t, "shifts", rotaLines(r.Shifts(Primary, calAt(loc, tt.from), calAt(loc, tt.to)), loc), tt.want)
		})
	}
	// At gives the whole shift, not a clipped one.
	if got := rotaLine(r.At(calAt(loc, "2026-11-07 12:00")).Primary, loc); got != "dave Fri 11-06 18:00 → Mon 11-09 09:00 (weekend)" {
		t.Errorf("At Saturday: %s", got)
	}
}

func TestRotaNextHandover(t *testing.T) {
	loc := calIstanbul
	at := func(s string) time.Time { return calAt(loc, s) }
	solo := rotaWeekday(loc)
	solo.Members = []string{"alice"}
	tests := []struct {
		name string
		rota Rota
		from string
		want string // "" for none
	}{
		{"the weekly hand-over", Rota{Rotations: []Rotation{rotaWeekday(loc)}}, "2026-11-04 12:00", "2026-11-09 09:00"},
		{"not at the moment itself", Rota{Rotations: []Rotation{rotaWeekday(loc)}}, "2026-11-09 09:00", "2026-11-16 09:00"},
		{"the weekend begins", Rota{Rotations: []Rotation{rotaWeekday(loc), rotaWeekend(loc)}}, "2026-11-04 12:00", "2026-11-06 18:00"},
		{"an override begins", Rota{Rotations: []Rotation{rotaWeekday(loc)}, Overrides: []Override{
			{Layer: Primary, Agent: "bob", From: at("2026-11-04 18:00"), Until: at("2026-11-05 09:00")},
		}}, "2026-11-04 12:00", "2026-11-04 18:00"},
		{"a backup override ends", Rota{Rotations: []Rotation{rotaWeekday(loc)}, Overrides: []Override{
			{Layer: Backup, Agent: "erin", From: at("2026-11-04 09:00"), Until: at("2026-11-05 09:00")},
		}}, "2026-11-04 12:00", "2026-11-05 09:00"},
		{"the only member hands over to herself", Rota{Rotations: []Rotation{solo}}, "2026-11-04 12:00", ""},
		{"nobody on duty after a weekend", Rota{Rotations: []Rotation{rotaWeekend(loc)}}, "2026-11-07 12:00", "2026-11-09 09:00"},
		{"nobody on duty before one", Rota{Rotations: []Rotation{rotaWeekend(loc)}}, "2026-11-09 12:00", "2026-11-13 18:00"},
		{"no rota", Rota{}, "2026-11-09 12:00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rota
			r.Location = loc
			got, ok := r.NextHandover(at(tt.from))
			if tt.want == "" {
				if ok {
					t.Errorf("NextHandover = %s, want none", calShow(got, loc))
				}
				return
			}
			if want := at(tt.want); !ok || !got.Equal(want) {
				t.Errorf("NextHandover = %s (%v), want %s", calShow(got, loc), ok, calShow(want, loc))
			}
		})
	}
}

func TestRotaSwap(t *testing.T) {
	loc := calIstanbul
	at := func(s string) time.Time { return calAt(loc, s) }
	base := Rota{Location: loc, Rotations: []Rotation{rotaWeekday(loc)}}
	tests := []struct {
		name      string
		overrides []Override
		a, b, now string
		want      []string // the swapped primary shifts from now for three weeks
	}{
		{"the current shift with the next", nil, "alice", "bob", "2026-11-04 12:00", []string{
			"bob Wed 11-04 12:00 → Mon 11-09 09:00 (override)",
			"alice Mon 11-09 09:00 → Mon 11-16 09:00 (override)",
			"carol Mon 11-16 09:00 → Mon 11-23 09:00 (weekday)",
		}},
		{"two coming shifts", nil, "carol", "bob", "2026-11-04 12:00", []string{
			"alice Wed 11-04 12:00 → Mon 11-09 09:00 (weekday)",
			"carol Mon 11-09 09:00 → Mon 11-16 09:00 (override)",
			"bob Mon 11-16 09:00 → Mon 11-23 09:00 (override)",
		}},
		{"a shift split by an override keeps the override", []Override{
			{Layer: Primary, Agent: "dave", From: at("2026-11-07 09:00"), Until: at("2026-11-08 09:00")},
		}, "alice", "bob", "2026-11-04 12:00", []string{
			"bob Wed 11-04 12:00 → Sat 11-07 09:00 (override)",
			"dave Sat 11-07 09:00 → Sun 11-08 09:00 (override)",
			"bob Sun 11-08 09:00 → Mon 11-09 09:00 (override)",
			"alice Mon 11-09 09:00 → Mon 11-16 09:00 (override)",
			"carol Mon 11-16 09:00 → Mon 11-23 09:00 (weekday)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			r.Overrides = slices.Clone(tt.overrides)
			now := at(tt.now)
			swap, err := r.Swap(tt.a, tt.b, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range swap {
				if o.Layer != Primary || o.ID != 0 || o.Note == "" {
					t.Errorf("override %+v: want an unstored primary override with a note", o)
				}
			}
			r.Overrides = append(r.Overrides, swap...)
			got := r.Shifts(Primary, now, now.Add(18*24*time.Hour+21*time.Hour))
			rotaCompare(t, "after the swap", rotaLines(got, loc), tt.want)
		})
	}

	// A turn that starts within the 60 days is exchanged whole, even where
	// it ends after them.
	long := rotaWeekday(loc)
	long.Members = []string{"alice", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "last"}
	swap, err := Rota{Location: loc, Rotations: []Rotation{long}}.Swap("alice", "last", at("2026-11-04 12:00"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, o := range swap {
		lines = append(lines, rotaLine(Shift{Agent: o.Agent, From: o.From, Until: o.Until, Override: true}, loc))
	}
	rotaCompare(t, "a swap with a turn 8 weeks away", lines, []string{
		"last Wed 11-04 12:00 → Mon 11-09 09:00 (override)",
		"alice Mon 12-28 09:00 → Mon 01-04 09:00 (override)",
	})

	errs := []struct {
		name, a, b, mention string
		rota                Rota
	}{
		{"the same person", "alice", "alice", "", base},
		{"someone not in the rota", "alice", "zed", "<@zed>", base},
		{"no shift within 60 days", "alice", "bob", "<@bob>", Rota{Location: loc, Rotations: []Rotation{rotaWeekday(loc)}, Overrides: []Override{
			{Layer: Primary, Agent: "carol", From: at("2026-11-09 09:00"), Until: at("2027-02-01 09:00")},
		}}},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			swap, err := tt.rota.Swap(tt.a, tt.b, at("2026-11-04 12:00"))
			if ErrorCode(err) != EINVALID || swap != nil {
				t.Fatalf("Swap = %v, %v; want an EINVALID error", swap, err)
			}
			if !strings.Contains(ErrorMessage(err), tt.mention) || !strings.HasSuffix(ErrorMessage(err), ".") {
				t.Errorf("the agent reads %q, want a sentence naming %q", ErrorMessage(err), tt.mention)
			}
		})
	}
}

// rotaAudience is who a complaint at t reaches: the whole desk in business
// hours, the primary on duty outside them.
func rotaAudience(c Calendar, r Rota, t time.Time) string {
	if c.Open(t) {
		return "desk"
	}
	if p := r.At(t).Primary.Agent; p != "" {
		return p
	}
	return "nobody"
}

// rotaWalk steps through [from, to) and returns, in loc, each moment the
// audience of a complaint changes, with who it becomes.
func rotaWalk(c Calendar, r Rota, from, to time.Time, loc *time.Location) []string {
	var out []string
	last := ""
	for t := from; t.Before(to); t = t.Add(15 * time.Minute) {
		if who := rotaAudience(c, r, t); who != last {
			out = append(out, t.In(loc).Format("Mon 01-02 15:04 ")+who)
			last = who
		}
	}
	return out
}

// rotaHandovers follows NextHandover through [from, to).
func rotaHandovers(r Rota, from, to time.Time, loc *time.Location) []string {
	var out []string
	for t := from; ; {
		next, ok := r.NextHandover(t)
		if !ok || !next.Before(to) {
			return out
		}
		now := r.At(next)
		out = append(out, fmt.Sprintf("%s %s+%s", next.In(loc).Format("Mon 01-02 15:04"), now.Primary.Agent, now.Backup.Agent))
		t = next
	}
}

// TestRotaWeekInIstanbul simulates a week of complaints in Istanbul: a
// holiday Thursday (Republic Day), an evening override, a swap of weekends
// agreed on Wednesday, and a colleague in Warsaw reading the rota in her
// own time across the clocks going back there.
func TestRotaWeekInIstanbul(t *testing.T) {
	loc := calIstanbul
	at := func(s string) time.Time { return calAt(loc, s) }
	c := DefaultCalendar(loc)
	c.Holidays["2026-10-29"] = true
	weekday, weekend := rotaWeekday(loc), rotaWeekend(loc)
	weekday.Start, weekend.Start = at("2026-10-26 09:00"), at("2026-10-26 09:00")
	r := Rota{Location: loc, Rotations: []Rotation{weekday, weekend}, Overrides: []Override{
		{ID: 1, Layer: Primary, Agent: "bob", From: at("2026-10-27 18:00"), Until: at("2026-10-28 09:00"), Note: "alice at the cinema"},
	}}
	swap, err := r.Swap("dave", "erin", at("2026-10-28 12:00"))
	if err != nil {
		t.Fatal(err)
	}
	r.Overrides = append(r.Overrides, swap...)

	from, to := at("2026-10-26 00:00"), at("2026-11-02 00:00")
	rotaCompare(t, "who a complaint reaches", rotaWalk(c, r, from, to, loc), []string{
		"Mon 10-26 00:00 erin", // the weekend before: erin, dave's being the first after the anchor
		"Mon 10-26 09:00 desk",
		"Mon 10-26 18:00 alice",
		"Tue 10-27 09:00 desk",
		"Tue 10-27 18:00 bob", // the override
		"Wed 10-28 09:00 desk",
		"Wed 10-28 18:00 alice", // and through the holiday Thursday
		"Fri 10-30 09:00 desk",
		"Fri 10-30 18:00 erin", // the swap: dave's weekend
	})
	rotaCompare(t, "hand-overs, primary+backup", rotaHandovers(r, from, to.Add(10*time.Hour), loc), []string{
		"Mon 10-26 09:00 alice+bob",
		"Tue 10-27 18:00 bob+carol",
		"Wed 10-28 09:00 alice+bob",
		"Fri 10-30 18:00 erin+dave",
		"Mon 11-02 09:00 bob+carol",
	})
	for _, layer := range []Layer{Primary, Backup} {
		rotaContiguous(t, r.Shifts(layer, from, to), from, to)
	}
	if got := c.OpenBetween(from, to); got != 36*time.Hour {
		t.Errorf("business hours in the week: %s, want 36h (a holiday)", got)
	}

	// Istanbul keeps +03; Warsaw goes from +02 to +01 on Sunday 25 October,
	// so the Monday 09:00 hand-over moves on a Warsaw clock, not in Istanbul.
	for _, tt := range []struct{ monday, istanbul, warsaw string }{
		{"2026-10-19 09:00", "09:00", "08:00"},
		{"2026-10-26 09:00", "09:00", "07:00"},
	} {
		s := r.At(at(tt.monday)).Primary
		if got := s.From.In(loc).Format("15:04"); got != tt.istanbul {
			t.Errorf("hand-over on %s in Istanbul at %s", tt.monday, got)
		}
		if got := s.From.In(calWarsaw).Format("15:04"); got != tt.warsaw {
			t.Errorf("hand-over on %s in Warsaw at %s, want %s", tt.monday, got, tt.warsaw)
		}
	}
}

// TestRotaWeekInWarsaw simulates the week the clocks go back in Warsaw, and
// the one they go forward: hand-overs stay at the same time on the clock,
// so a shift over the change is an hour longer or shorter.
func TestRotaWeekInWarsaw(t *testing.T) {
	loc := calWarsaw
	at := func(s string) time.Time { return calAt(loc, s) }
	c := DefaultCalendar(loc)
	weekday, weekend := rotaWeekday(loc), rotaWeekend(loc)
	weekday.Start, weekend.Start = at("2026-03-23 09:00"), at("2026-03-23 09:00")
	nights := Rotation{
		Name: "nights", Layer: Backup, Members: []string{"frank", "grace"}, Length: Daily,
		HandoverTime: 20 * 60, Start: at("2026-03-23 20:00"),
	}
	r := Rota{Location: loc, Rotations: []Rotation{weekday, weekend, nights}}

	for _, tt := range []struct {
		name, from, to string
		walk           []string
		primary        []string
		hours          []float64 // of the primary shifts
	}{
		{"clocks go back", "2026-10-19 00:00", "2026-10-26 12:00", []string{
			"Mon 10-19 00:00 erin",
			"Mon 10-19 09:00 desk",
			"Mon 10-19 18:00 alice",
			"Tue 10-20 09:00 desk",
			"Tue 10-20 18:00 alice",
			"Wed 10-21 09:00 desk",
			"Wed 10-21 18:00 alice",
			"Thu 10-22 09:00 desk",
			"Thu 10-22 18:00 alice",
			"Fri 10-23 09:00 desk",
			"Fri 10-23 18:00 dave",
			"Mon 10-26 09:00 desk",
		}, []string{
			"erin Fri 10-16 18:00 → Mon 10-19 09:00 (weekend)",
			"alice Mon 10-19 09:00 → Fri 10-23 18:00 (weekday)",
			"dave Fri 10-23 18:00 → Mon 10-26 09:00 (weekend)",
			"bob Mon 10-26 09:00 → Fri 10-30 18:00 (weekday)",
		}, []float64{63, 105, 64, 105}},
		{"clocks go forward", "2026-03-23 00:00", "2026-03-30 12:00", []string{
			"Mon 03-23 00:00 erin",
			"Mon 03-23 09:00 desk",
			"Mon 03-23 18:00 alice",
			"Tue 03-24 09:00 desk",
			"Tue 03-24 18:00 alice",
			"Wed 03-25 09:00 desk",
			"Wed 03-25 18:00 alice",
			"Thu 03-26 09:00 desk",
			"Thu 03-26 18:00 alice",
			"Fri 03-27 09:00 desk",
			"Fri 03-27 18:00 dave",
			"Mon 03-30 09:00 desk",
		}, []string{
			"erin Fri 03-20 18:00 → Mon 03-23 09:00 (weekend)",
			"alice Mon 03-23 09:00 → Fri 03-27 18:00 (weekday)",
			"dave Fri 03-27 18:00 → Mon 03-30 09:00 (weekend)",
			"bob Mon 03-30 09:00 → Fri 04-03 18:00 (weekday)",
		}, []float64{63, 105, 62, 105}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			from, to := at(tt.from), at(tt.to)
			rotaCompare(t, "who a complaint reaches", rotaWalk(c, r, from, to, loc), tt.walk)
			var shifts []Shift
			for _, day := range []string{tt.from, tt.to} {
				shifts = append(shifts, r.At(at(day)).Primary)
			}
			shifts = slices.Insert(shifts, 1, r.Shifts(Primary, shifts[0].Until, shifts[1].From)...)
			rotaCompare(t, "primary shifts", rotaLines(shifts, loc), tt.primary)
			var hours []float64
			for _, s := range shifts {
				hours = append(hours, s.Until.Sub(s.From).Hours())
			}
			if !slices.Equal(hours, tt.hours) {
				t.Errorf("shift lengths %v h, want %v h", hours, tt.hours)
			}
			// The nightly backup hands over at 20:00 on the clock every day.
			backups := r.Shifts(Backup, from, to)
			rotaContiguous(t, backups, from, to)
			for _, s := range backups[1:] {
				if got := s.From.In(loc).Format("15:04"); got != "20:00" || s.Rotation != "nights" {
					t.Errorf("backup shift %s", rotaLine(s, loc))
				}
			}
			for i := 1; i < len(backups); i++ {
				if backups[i].Agent == backups[i-1].Agent {
					t.Errorf("%s twice in a row: the turn order slipped", backups[i].Agent)
				}
			}
			rotaContiguous(t, r.Shifts(Primary, from, to), from, to)
		})
	}
}
