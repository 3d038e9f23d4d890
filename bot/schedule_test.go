package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
)

var istanbul = mustZone("Europe/Istanbul")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Agents of the weekend team.
var (
	ayse  = bot.Agent{ID: "UAYSE"}
	bora  = bot.Agent{ID: "UBORA"}
	cem   = bot.Agent{ID: "UCEM"}
	deniz = bot.Agent{ID: "UDENIZ"}
	lead  = bot.Agent{ID: "ULEAD"}
)

// teamPolicy is a team in Istanbul, open Mon–Fri 09:00–18:00, with a
// weekly rotation for weeknights and a weekend rotation, Telegram promised
// a first answer within the hour.
func teamPolicy(holidays ...string) bot.Policy {
	p := bot.DefaultPolicy()
	p.Calendar = bot.DefaultCalendar(istanbul)
	p.Calendar.Holidays = map[string]bool{}
	for _, h := range holidays {
		p.Calendar.Holidays[h] = true
	}
	p.Rota = bot.Rota{Location: istanbul, Rotations: []bot.Rotation{
		{Name: "weeknights", Layer: bot.Primary, Length: "weekly", HandoverDay: time.Monday, HandoverTime: 9 * 60,
			Members: []string{ayse.ID, bora.ID, cem.ID}, Start: time.Date(2026, 11, 2, 9, 0, 0, 0, istanbul)},
		{Name: "weekends", Layer: bot.Primary, Length: "weekend", HandoverDay: time.Friday, HandoverTime: 18 * 60,
			EndDay: time.Monday, EndTime: 9 * 60, Members: []string{bora.ID, cem.ID}, Start: time.Date(2026, 11, 6, 18, 0, 0, 0, istanbul)},
	}}
	p.Escalation.Lead = lead.ID
	return p
}

// run moves the clock to until in steps, ticking the scheduler and
// delivering after each, as the running bot does.
func (w *world) run(until time.Time, step time.Duration) {
	w.t.Helper()
	for w.clock.Now().Before(until) {
		w.clock.Add(min(step, until.Sub(w.clock.Now())))
		if _, err := w.bot.Tick(context.Background()); err != nil {
			w.t.Fatalf("tick at %s: %v", w.clock.Now(), err)
		}
		w.flush()
	}
}

func (w *world) transcript() string {
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	return strings.Join(w.desk.log, "\n")
}

// TestWeekend plays a weekend, Friday 17:00 to Monday 09:30 in Istanbul.
func TestWeekend(t *testing.T) {
	w := newWorldWith(t, teamPolicy(), time.Date(2026, 11, 20, 17, 0, 0, 0, istanbul))
	w.run(time.Date(2026, 11, 20, 17, 5, 0, 0, istanbul), 5*time.Minute)

	// Saturday 03:00: a complaint while bora is on duty.
	w.run(time.Date(2026, 11, 21, 3, 0, 0, 0, istanbul), 5*time.Minute)
	w.writes(jane, 1, "My card was charged twice")
	w.run(time.Date(2026, 11, 21, 3, 40, 0, 0, istanbul), 5*time.Minute)
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: bora})
	w.run(time.Date(2026, 11, 21, 4, 5, 0, 0, istanbul), 5*time.Minute)
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: bora, Text: "Refunded, sorry!"})

	// Sunday 11:00: deniz covers the afternoon; a complaint reaches him.
	w.run(time.Date(2026, 11, 22, 11, 0, 0, 0, istanbul), 15*time.Minute)
	mustAct(t, w, bot.Action{Verb: bot.DoOverride, Agent: lead, To: deniz,
		From: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)})
	w.run(time.Date(2026, 11, 22, 14, 0, 0, 0, istanbul), 15*time.Minute)
	w.writes(bot.Customer{ID: "2002", Name: "Mehmet"}, 2, "Kargom nerede?")
	w.run(time.Date(2026, 11, 22, 14, 10, 0, 0, istanbul), 5*time.Minute)
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 2, Agent: deniz, Text: "Yarın geliyor."})

	w.run(time.Date(2026, 11, 23, 9, 30, 0, 0, istanbul), 15*time.Minute)
	got := w.transcript()
	t.Logf("transcript:\n%s", got)
	for _, want := range []string{
		"Fri 17:05  channel: 📅 This weekend (<t:1795186800:f> → <t:1795413600:f>): <@UBORA> (primary); <@UCEM> (backup) — no tickets open.",
		"Fri 18:00  channel: 🔁 Hand-over: <@UBORA> takes the out-of-hours duty (primary)",
		"Fri 18:00    DM to UBORA: 🔁 You have the out-of-hours duty",
		"Sat 03:00    #1 thread: 🌙 Out of hours: <@UBORA>, you are on duty.",
		"Sat 03:00    DM to UBORA: 🌙 New complaint #1 from " + bot.Quote("Jane Doe") + " on Telegram",
		"Sat 03:15    #1 thread: 📟 <@UBORA>, #1 has waited 15 min unclaimed",
		"Sat 03:30    #1 thread: ⏰ 50% of the time for a first answer to #1 is gone",
		"Sat 03:30    #1 thread: 📟 <@UCEM> (backup), #1 has waited 30 min and <@UBORA> has not claimed it.",
		"Sat 03:30    DM to UCEM: 📟 You are the backup on duty",
		"Sat 03:50    #1 thread: ⏰ 80% of the time for a first answer to #1 is gone: due <t:1795222800:t> (<t:1795222800:R>). <@UBORA>, it is yours.",
		"Sat 04:00    #1 thread: 🚨 <!here> #1 missed its first-response target (due <t:1795222800:t>). Pinged: <@UBORA> (owner), <@ULEAD> (lead), the channel.",
		"Sat 04:00    DM to ULEAD: 🚨 #1 from " + bot.Quote("Jane Doe") + " on Telegram missed its first-response target",
		"Sun 11:00  channel: 🗓️ Rota change: <@UDENIZ> covers",
		"Sun 12:00  channel: 🔁 Hand-over: <@UDENIZ> takes the out-of-hours duty",
		"Sun 14:00    #2 thread: 🌙 Out of hours: <@UDENIZ>, you are on duty.",
		"Sun 20:10  channel: 🔁 Hand-over: <@UBORA> takes the out-of-hours duty",
		"Mon 09:10  channel: 🔁 Hand-over: <@UAYSE> takes the out-of-hours duty",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the desk never showed:\n%s", want)
		}
	}
	for _, once := range []string{"missed its first-response target (due", "📅 This weekend", "80% of the time"} {
		if n := shown(got, once); n != 1 {
			t.Errorf("%q shown %d times, want once", once, n)
		}
	}
	// Bora claimed at 03:40, so the escalation stopped there; the answer at
	// 04:05 stopped the first-response clock.
	if strings.Contains(got, "Sat 03:45    #1 thread: 📟") || strings.Contains(got, "#2 thread: ⏰") {
		t.Errorf("an alarm fired for a ticket it no longer applied to")
	}
}

// TestRestartMidEscalation: caredesk dies right after an escalation fired
// and before its ping left; after the restart the ping is sent once, and a
// second scheduler on the same store fires nothing again.
func TestRestartMidEscalation(t *testing.T) {
	w := newWorldWith(t, teamPolicy(), time.Date(2026, 11, 21, 2, 0, 0, 0, istanbul))
	w.writes(jane, 1, "Help")
	w.clock.Add(15 * time.Minute)
	if n, err := w.bot.Tick(context.Background()); err != nil || n != 1 {
		t.Fatalf("tick fired %d timers, %v; want the escalation", n, err)
	}
	// The process dies here: nothing was delivered. A new one starts on the
	// same database, and ticks again at the same moment.
	w.bot = bot.New(w.db, bot.WithClock(w.clock), bot.WithPolicy(teamPolicy()))
	if n, err := w.bot.Tick(context.Background()); err != nil || n != 0 {
		t.Fatalf("the restarted scheduler fired %d timers again, %v", n, err)
	}
	w.flush()
	if n := strings.Count(w.transcript(), "📟 <@UBORA>, #1 has waited 15 min unclaimed"); n != 1 {
		t.Errorf("the escalation ping was shown %d times, want exactly once:\n%s", n, w.transcript())
	}
	if n := strings.Count(w.transcript(), "DM to UBORA: 📟"); n != 1 {
		t.Errorf("bora was messaged %d times, want once", n)
	}
}

// TestSwapAndUndo: two people swap, the rota shows it, and undo restores it.
func TestSwapAndUndo(t *testing.T) {
	w := newWorldWith(t, teamPolicy(), time.Date(2026, 11, 20, 10, 0, 0, 0, istanbul))
	rota := func() string { return mustAct(t, w, bot.Action{Verb: bot.DoRota, Agent: lead}) }
	answer := mustAct(t, w, bot.Action{Verb: bot.DoSwap, Agent: bora, To: bora, Other: ayse})
	if !strings.HasPrefix(answer, "Done: <@UBORA> and <@UAYSE> swap shifts") {
		t.Fatalf("swap answered %q", answer)
	}
	w.run(time.Date(2026, 11, 21, 3, 0, 0, 0, istanbul), time.Hour)
	if got := rota(); !strings.Contains(got, "On duty now: <@UAYSE> (primary)") {
		t.Errorf("after the swap, Saturday night:\n%s", got)
	}
	if got := mustAct(t, w, bot.Action{Verb: bot.DoUndo, Agent: lead}); !strings.HasPrefix(got, "Taken back: <@UBORA> and <@UAYSE> swap shifts") {
		t.Errorf("undo answered %q", got)
	}
	if got := rota(); !strings.Contains(got, "On duty now: <@UBORA> (primary)") {
		t.Errorf("after undo, Saturday night:\n%s", got)
	}
	if _, err := w.act(bot.Action{Verb: bot.DoUndo, Agent: lead}); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("a second undo: %v, want a refusal", err)
	}
	if !strings.Contains(w.transcript(), "channel: ↩️ <@ULEAD> took back a rota change: <@UBORA> and <@UAYSE> swap shifts") {
		t.Errorf("the channel was not told of the undo:\n%s", w.transcript())
	}
}

// TestHolidayMonday: with Monday a holiday, the weekend notice runs to
// Tuesday, and a business-hours promise waits for Tuesday morning.
func TestHolidayMonday(t *testing.T) {
	p := teamPolicy("2026-11-23")
	p.SLA = func(string) bot.SLA { return bot.SLA{FirstResponse: time.Hour, BusinessHours: true} }
	w := newWorldWith(t, p, time.Date(2026, 11, 20, 16, 55, 0, 0, istanbul))
	w.run(time.Date(2026, 11, 20, 17, 30, 0, 0, istanbul), 5*time.Minute)
	tuesday := time.Date(2026, 11, 24, 9, 0, 0, 0, istanbul)
	if want := "📅 This weekend (<t:1795186800:f> → " + bot.At(tuesday, "f") + ")"; !strings.Contains(w.transcript(), want) {
		t.Errorf("no notice %q in:\n%s", want, w.transcript())
	}
	w.writes(jane, 1, "Friday evening complaint")
	if got, want := w.ticket(1).Deadline, tuesday.Add(30*time.Minute); !got.Equal(want) {
		t.Errorf("business-hours deadline %s, want Tuesday 09:30 (%s)", got.In(istanbul), want)
	}
}

// TestDaylightSavingChange: in Warsaw the clocks go back on Sunday 25
// October 2026; Monday's 09:00 is still 09:00 on the team's clock.
func TestDaylightSavingChange(t *testing.T) {
	warsaw := mustZone("Europe/Warsaw")
	p := bot.DefaultPolicy()
	p.Calendar = bot.DefaultCalendar(warsaw)
	p.SLA = func(string) bot.SLA { return bot.SLA{FirstResponse: time.Hour, BusinessHours: true} }
	p.Rota = bot.Rota{Location: warsaw, Rotations: []bot.Rotation{{Name: "weekly", Layer: bot.Primary, Length: "weekly",
		HandoverDay: time.Monday, HandoverTime: 9 * 60, Members: []string{ayse.ID, bora.ID}, Start: time.Date(2026, 10, 19, 9, 0, 0, 0, warsaw)}}}
	w := newWorldWith(t, p, time.Date(2026, 10, 23, 17, 30, 0, 0, warsaw))
	w.writes(jane, 1, "before the change")
	monday := time.Date(2026, 10, 26, 9, 30, 0, 0, warsaw)
	if got := w.ticket(1).Deadline; !got.Equal(monday) || monday.UTC().Hour() != 8 {
		t.Errorf("deadline %s (%s UTC), want Monday 09:30 Warsaw, 08:30 UTC after the change", got.In(warsaw), got.UTC())
	}
	w.run(time.Date(2026, 10, 26, 9, 5, 0, 0, warsaw), 10*time.Minute)
	if want := "Mon 09:00  channel: 🔁 Hand-over: <@UBORA>"; !strings.Contains(w.transcript(), want) {
		t.Errorf("no hand-over at 09:00 Warsaw time:\n%s", w.transcript())
	}
}

// shown counts the desk's lines, private messages aside, that contain s.
func shown(transcript, s string) int {
	n := 0
	for line := range strings.SplitSeq(transcript, "\n") {
		if strings.Contains(line, s) && !strings.Contains(line, "DM to") {
			n++
		}
	}
	return n
}

// TestNoRotaNoPages: a team that set up no rota is not paged at night nor
// told who covers the weekend: its channel is the audience.
func TestNoRotaNoPages(t *testing.T) {
	p := bot.DefaultPolicy()
	p.Calendar = bot.DefaultCalendar(istanbul)
	w := newWorldWith(t, p, time.Date(2026, 11, 20, 17, 30, 0, 0, istanbul))
	w.run(time.Date(2026, 11, 20, 18, 30, 0, 0, istanbul), 5*time.Minute)
	w.writes(jane, 1, "Friday night")
	got := w.transcript()
	if strings.Contains(got, "Out of hours") || strings.Contains(got, "This weekend") || strings.Contains(got, "DM to") {
		t.Errorf("a team without a rota was paged:\n%s", got)
	}
}
