package report_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/report"
	"caredesk/store/sqlite"
)

var (
	bucharest = mustZone("Europe/Bucharest")
	// deskTeams are the teams of the seeded desk; ro-care, the default,
	// owns what no route matches.
	deskTeams = report.Teams{Names: []string{"tr-care", "ro-care"}, Default: "ro-care"}
	alice     = bot.Agent{ID: "UALICE", Name: "alice"}
	bob       = bot.Agent{ID: "UBOB", Name: "bob"}
	carol     = bot.Agent{ID: "UCAROL", Name: "carol"}
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a moment on the team's clock in Bucharest, October 2026 unless
// the month is given: the clocks go back from 04:00 EEST to 03:00 EET on
// Sunday 25 October.
func at(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, bucharest)
}

// seed is a month of a desk whose figures are worked out by hand in the
// tests below. Every ticket's first-answer target is an hour by the clock.
type seeded struct {
	opened   time.Time
	source   string
	network  string
	answered time.Duration // 0: no answer
	by       bot.Agent
	owner    bot.Agent
	state    bot.State
	resolved time.Duration // after opening; for resolved tickets
	reopens  int
	handover int
	asked    bool
	rating   int
	team     string // "": filed before the desk had teams
}

// month's tickets are of deskTeams' teams: tr-care has #1, #4, #6, #8,
// #10 and #12; ro-care, the default, has #2, #7 and #11, and owns as well
// #3 and #9, filed before the desk had teams, and #5, of pl-care, a team
// no longer in the file.
var month = []seeded{
	// 1 Thu 1 Oct 10:00, in hours: 20 min, resolved after 2 h, rated 5.
	{opened: at(10, 1, 10, 0), source: "telegram", answered: 20 * time.Minute, by: alice, owner: alice, state: bot.Resolved, resolved: 2 * time.Hour, asked: true, rating: 5, team: "tr-care"},
	// 2 Thu 22:00, a night: answered Fri 09:30, 11 h 30 min (30 min of business hours).
	{opened: at(10, 1, 22, 0), source: "telegram", answered: 11*time.Hour + 30*time.Minute, by: bob, owner: bob, state: bot.Claimed, team: "ro-care"},
	// 3 Sat 3 Oct 14:00, a weekend: 3 h 10 min.
	{opened: at(10, 3, 14, 0), source: "webhook:twitter", network: "X (Twitter)", answered: 3*time.Hour + 10*time.Minute, by: bob, owner: bob, state: bot.Claimed},
	// 4 Sun 4 Oct 11:00: nobody answered, still open.
	{opened: at(10, 4, 11, 0), source: "telegram", state: bot.Open, team: "tr-care"},
	// 5 Wed 14 Oct 10:00, a holiday: 45 min.
	{opened: at(10, 14, 10, 0), source: "discord", answered: 45 * time.Minute, by: alice, owner: alice, state: bot.Claimed, team: "pl-care"},
	// 6 Tue 6 Oct 09:00: 5 min, reopened once, resolved after 1 h; asked, no answer.
	{opened: at(10, 6, 9, 0), source: "webhook:twitter", network: "X (Twitter)", answered: 5 * time.Minute, by: alice, owner: alice, state: bot.Resolved, resolved: time.Hour, reopens: 1, asked: true, team: "tr-care"},
	// 7 Mon 12 Oct 15:00: alice answered in 30 min, handed over to carol, who resolved it after 2 h; rated 2.
	{opened: at(10, 12, 15, 0), source: "telegram", answered: 30 * time.Minute, by: alice, owner: carol, state: bot.Resolved, resolved: 2 * time.Hour, handover: 1, asked: true, rating: 2, team: "ro-care"},
	// 8 Sat 24 Oct 23:30 EEST, answered Sun 03:30 EET: 5 h, though the wall clock moved 4 h.
	{opened: at(10, 24, 23, 30), source: "webhook:twitter", network: "X (Twitter)", answered: 5 * time.Hour, by: bob, owner: bob, state: bot.Claimed, team: "tr-care"},
	// 9 Wed 28 Oct 18:30, a night: 30 min.
	{opened: at(10, 28, 18, 30), source: "telegram", answered: 30 * time.Minute, by: alice, owner: alice, state: bot.Claimed},
	// Before the period: Wed 30 Sep 23:50.
	{opened: at(9, 30, 23, 50), source: "telegram", answered: time.Minute, by: alice, owner: alice, state: bot.Resolved, resolved: time.Hour, team: "tr-care"},
	// After it: Sun 1 Nov 00:10, open and unanswered.
	{opened: at(11, 1, 0, 10), source: "telegram", state: bot.Open, team: "ro-care"},
	// 12 Sat 31 Oct 23:59, the period's last minute: resolved after 31 min with no answer.
	{opened: at(10, 31, 23, 59), source: "telegram", owner: alice, state: bot.Resolved, resolved: 31 * time.Minute, team: "tr-care"},
}

// now is when the reports are asked for: Monday 2 November, 10:00.
var now = at(11, 2, 10, 0)

func calendar() bot.Calendar {
	c := bot.DefaultCalendar(bucharest)
	c.Holidays["2026-10-14"] = true
	return c
}

func seed(t *testing.T, tickets []seeded) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.TempDir() + "/caredesk.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(t.Context(), func(tx bot.Tx) error {
		for i, s := range tickets {
			tk := bot.Ticket{Source: s.source, Network: s.network, Conversation: "c", State: s.state,
				Customer: bot.Customer{ID: "cust", Handle: "customer" + string(rune('a'+i))},
				Owner:    s.owner, OpenedAt: s.opened.UTC(), Deadline: s.opened.Add(time.Hour).UTC(),
				Reopens: s.reopens, Handovers: s.handover, Rating: s.rating, Team: s.team}
			if s.answered > 0 {
				tk.FirstReplyAt, tk.FirstReplyBy = s.opened.Add(s.answered).UTC(), s.by
			}
			if s.state == bot.Resolved {
				tk.ResolvedAt = s.opened.Add(s.resolved).UTC()
			}
			if s.asked {
				tk.RatingAskedAt = tk.ResolvedAt.Add(10 * time.Minute)
			}
			if s.rating > 0 {
				tk.RatedAt = tk.RatingAskedAt.Add(time.Minute)
			}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func october(t *testing.T, args string) report.Query {
	t.Helper()
	q, err := report.Parse("2026-10-01..2026-10-31 "+args, now, bucharest, []string{"telegram", "discord", "webhook:twitter"}, deskTeams)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func compute(t *testing.T, db *sqlite.DB, q report.Query) report.Figures {
	t.Helper()
	var f report.Figures
	err := db.View(t.Context(), func(tx bot.Tx) (err error) {
		f, err = report.Compute(context.Background(), tx, q, calendar(), now.UTC())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func min(n int) time.Duration { return time.Duration(n) * time.Minute }

type group struct {
	label                           string
	complaints, answered, withinSLA int
	median                          time.Duration
	ratings, ratingSum              int
}

func groups(gs []report.Group) []group {
	var out []group
	for _, g := range gs {
		out = append(out, group{g.Label, g.Complaints, g.Answered, g.WithinSLA, g.First.Median, g.Ratings, g.RatingSum})
	}
	return out
}

func TestFiguresOfASeededMonth(t *testing.T) {
	db := seed(t, month)
	f := compute(t, db, october(t, ""))

	// Tickets 1–9 and 12; answered 1, 2, 3, 5, 6, 7, 8, 9; within the hour 1, 5, 6, 7, 9.
	want := group{"", 10, 8, 5, min(30), 2, 7}
	if got := (groups([]report.Group{f.All})[0]); got != want {
		t.Errorf("all: %+v, want %+v", got, want)
	}
	// First answers, sorted: 5, 20, 30, 30, 45 min, 3 h 10, 5 h, 11 h 30.
	// Nearest rank: the median is the 4th, p90 the 8th.
	if f.All.First != (report.Durations{N: 8, Median: min(30), P90: 11*time.Hour + min(30)}) {
		t.Errorf("first answer %+v", f.All.First)
	}
	// In business hours: #2 30 min (Fri 09:00–09:30), #1 20, #6 5, #7 30,
	// the weekend, the holiday and the evening none: 0, 0, 0, 0, 5, 20, 30, 30.
	if f.FirstBusiness != (report.Durations{N: 8, Median: 0, P90: min(30)}) {
		t.Errorf("first answer in business hours %+v", f.FirstBusiness)
	}
	// Resolved #1 (2 h), #6 (1 h), #7 (2 h), #12 (31 min).
	if f.Resolved != 4 || f.Resolve != (report.Durations{N: 4, Median: time.Hour, P90: 2 * time.Hour}) {
		t.Errorf("resolved %d, %+v", f.Resolved, f.Resolve)
	}
	// Late: #2, #3, #8; unanswered past the hour and open: #4. #12 was closed.
	if f.Reopened != 1 || f.HandedOver != 1 || f.Breached != 4 {
		t.Errorf("reopened %d, handed over %d, breached %d; want 1, 1, 4", f.Reopened, f.HandedOver, f.Breached)
	}
	if f.RatingsAsked != 3 || f.Scores != [5]int{0, 1, 0, 0, 1} {
		t.Errorf("ratings asked %d, scores %v", f.RatingsAsked, f.Scores)
	}
	// Unanswered now, whatever the period: #4 and the one of 1 November.
	if f.Unanswered != 2 || len(f.Oldest) != 2 || f.Oldest[0].ID != 4 || f.Oldest[1].ID != 11 {
		t.Errorf("unanswered now %d, oldest %v", f.Unanswered, f.Oldest)
	}

	wantParts := []group{
		{"business hours", 3, 3, 3, min(20), 2, 7},         // #1, #6, #7: 5, 20, 30
		{"nights", 2, 2, 1, min(30), 0, 0},                 // #2, #9: 30 min, 11 h 30
		{"weekends", 4, 2, 0, 3*time.Hour + min(10), 0, 0}, // #3, #4, #8, #12: 3 h 10, 5 h
		{"holidays", 1, 1, 1, min(45), 0, 0},               // #5
	}
	if got := groups(f.ByPart[:]); !slices.Equal(got, wantParts) {
		t.Errorf("by part of the week\n got %+v\nwant %+v", got, wantParts)
	}
	wantSources := []group{
		{"Telegram", 6, 4, 3, min(30), 2, 7},                  // #1, 2, 4, 7, 9, 12: 20, 30, 30, 11 h 30
		{"X (Twitter)", 3, 3, 1, 3*time.Hour + min(10), 0, 0}, // #3, 6, 8: 5, 3 h 10, 5 h
		{"Discord", 1, 1, 1, min(45), 0, 0},                   // #5
	}
	if got := groups(f.BySource); !slices.Equal(got, wantSources) {
		t.Errorf("by source\n got %+v\nwant %+v", got, wantSources)
	}
	wantAgents := []group{
		{"alice", 5, 5, 5, min(30), 2, 7},     // answered #1, 5, 6, 7, 9: 5, 20, 30, 30, 45; rated 5 and 2
		{"bob", 3, 3, 0, 5 * time.Hour, 0, 0}, // #2, 3, 8: 3 h 10, 5 h, 11 h 30
		{"carol", 0, 0, 0, 0, 1, 2},           // owned #7, rated 2; answered none
	}
	if got := groups(f.ByAgent); !slices.Equal(got, wantAgents) {
		t.Errorf("by agent\n got %+v\nwant %+v", got, wantAgents)
	}

	// #8 arrived Saturday 23:30 and waited 5 h across the change of the
	// clocks; #12 arrived in that hour a week later, unanswered.
	if c := f.Hours[5][23]; c.Complaints != 2 || c.Answered != 1 || c.Median != 5*time.Hour {
		t.Errorf("Saturday 23:00 %+v", c)
	}
	if c := f.Hours[3][10]; c.Complaints != 1 || c.Median != min(20) {
		t.Errorf("Thursday 10:00 %+v", c)
	}
	if len(f.Days) != 31 || f.Days[0].Complaints != 2 || f.Days[0].Answered != 2 || f.Days[30].Complaints != 1 || f.Days[30].Answered != 0 {
		t.Errorf("days: %d, first %+v, last %+v", len(f.Days), f.Days[0], f.Days[len(f.Days)-1])
	}
	if d := f.Days[24].Date; d != at(10, 25, 0, 0) {
		t.Errorf("the 25th starts at %v", d)
	}
}

func TestFiguresOfOneSourceAndOneAgent(t *testing.T) {
	db := seed(t, month)
	f := compute(t, db, october(t, "twitter <@UBOB|bob>"))
	// Bob's X tickets: #3 and #8.
	if f.All.Complaints != 2 || f.All.First.Median != 3*time.Hour+min(10) || f.Unanswered != 0 {
		t.Errorf("bob on X: %+v, unanswered %d", f.All, f.Unanswered)
	}
}

func TestAPeriodWithoutTickets(t *testing.T) {
	db := seed(t, month)
	q, err := report.Parse("2026-08-01..2026-08-31", now, bucharest, nil, report.Teams{})
	if err != nil {
		t.Fatal(err)
	}
	f := compute(t, db, q)
	if !f.Empty() || f.All.Rate() != 0 || f.All.CSAT() != 0 || f.All.First.N != 0 {
		t.Errorf("an empty August: %+v", f.All)
	}
	text := report.Summary(f, bucharest, now)
	// #4 opened 4 Oct 11:00 EEST, 29 days before now exactly; #11 on
	// 1 Nov 00:10 EET.
	want := "📊 1 Aug 2026 to 31 Aug 2026, all sources\nNo complaints arrived in that period. Try a longer one, like /desk report 30d.\n" +
		"Unanswered now: 2; oldest #4 (" + bot.Quote("Telegram") + ", waiting 29 d), #11 (" + bot.Quote("Telegram") + ", waiting 1 d 10 h)"
	if text != want {
		t.Errorf("summary\n got %q\nwant %q", text, want)
	}
}

func TestMissedTheSLA(t *testing.T) {
	hour := func(h int) time.Duration { return time.Duration(h) * time.Hour }
	tests := []struct {
		name   string
		ticket seeded
		missed int
		sla    string
	}{
		{"answered in time", seeded{answered: min(20), by: alice, owner: alice, state: bot.Claimed}, 0, "yes"},
		{"answered late", seeded{answered: hour(2), by: alice, owner: alice, state: bot.Claimed}, 1, "no"},
		{"open past the deadline", seeded{state: bot.Open}, 1, "no"},
		{"closed unanswered after the deadline", seeded{state: bot.Resolved, owner: alice, resolved: hour(3)}, 1, "no"},
		{"closed unanswered in time (spam)", seeded{state: bot.Resolved, owner: alice, resolved: min(5)}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ticket.opened, tt.ticket.source = at(10, 5, 10, 0), "telegram"
			db := seed(t, []seeded{tt.ticket})
			q := october(t, "")
			if f := compute(t, db, q); f.Breached != tt.missed {
				t.Errorf("missed the SLA %d, want %d", f.Breached, tt.missed)
			}
			var b strings.Builder
			if err := db.View(t.Context(), func(tx bot.Tx) error { return report.Export(t.Context(), tx, q, now, &b) }); err != nil {
				t.Fatal(err)
			}
			if row := strings.Split(strings.Split(b.String(), "\n")[1], ","); row[7] != tt.sla {
				t.Errorf("sla_met %q, want %q", row[7], tt.sla)
			}
		})
	}
}
