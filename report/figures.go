package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"caredesk/bot"
)

// Reader is what a report reads from the store; a bot.Tx is one.
type Reader interface {
	TicketsOpened(from, until time.Time, afterID int64, limit int) ([]bot.Ticket, error)
	UnansweredTickets(limit int) ([]bot.Ticket, error)
	Surges(from, until time.Time) ([]bot.Surge, error)
}

// pageSize is how many tickets are read at once: enough that a year takes
// a hundred reads, few enough that memory stays small.
const pageSize = 1000

// openLimit bounds the tickets read for "unanswered now"; beyond it the
// count is shown as at least that many.
const openLimit = 10_000

// Part is a part of the week, on the team's clock.
type Part int

// The parts of the week. A complaint belongs to the part it arrived in.
const (
	BusinessHours Part = iota
	Nights             // a working day, outside business hours
	Weekends           // Saturday and Sunday
	Holidays           // the calendar's holidays
	parts
)

func (p Part) String() string {
	return [...]string{"business hours", "nights", "weekends", "holidays"}[p]
}

// Durations summarise how long something took over many tickets.
type Durations struct {
	N      int
	Median time.Duration
	P90    time.Duration
}

// sample collects durations for Durations.
type sample []time.Duration

func (s sample) summary() Durations {
	if len(s) == 0 {
		return Durations{}
	}
	slices.Sort(s)
	return Durations{N: len(s), Median: quantile(s, 50), P90: quantile(s, 90)}
}

// quantile is the nearest-rank percentile: the smallest value with at
// least pct % of the sample at or below it. It is a value that happened,
// which a manager can find in the export.
func quantile(sorted []time.Duration, pct int) time.Duration {
	rank := (pct*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

// Group is the figures of some of the tickets: one source, one agent, one
// part of the week.
type Group struct {
	Key        string // the source's name, the agent's id, the part's name
	Label      string // how people call it
	Complaints int
	Answered   int // got a first answer from a person
	WithinSLA  int // got it by the deadline
	First      Durations
	Ratings    int
	RatingSum  int
	firsts     sample
	name       string // the agent's name as the desk gave it; "" when it did not
}

// Rate is the share of complaints answered, 0–1; 0 without complaints.
func (g Group) Rate() float64 { return ratio(g.Answered, g.Complaints) }

// CSAT is the average score, 0 without answers.
func (g Group) CSAT() float64 { return ratio(g.RatingSum, g.Ratings) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (g *Group) add(t bot.Ticket) {
	g.Complaints++
	if !t.FirstReplyAt.IsZero() {
		g.Answered++
		g.firsts = append(g.firsts, t.FirstReplyAt.Sub(t.OpenedAt))
		if !t.FirstReplyAt.After(t.Deadline) {
			g.WithinSLA++
		}
	}
	if t.Rating > 0 {
		g.Ratings++
		g.RatingSum += t.Rating
	}
}

func (g *Group) close() {
	g.First = g.firsts.summary()
	g.firsts = nil
}

// Cell is one hour of the week: complaints that arrived in it.
type Cell struct {
	Complaints int
	Answered   int
	Median     time.Duration // of the first answers
	firsts     sample
}

// Day is one day of the period on the team's clock.
type Day struct {
	Date       time.Time
	Complaints int
	Answered   int
}

// Figures are a report's numbers.
type Figures struct {
	Query
	All           Group
	FirstBusiness Durations // the first answers counting business hours only
	Resolved      int
	Resolve       Durations // from arrival to the (latest) resolution
	Reopened      int       // tickets that reopened at least once
	HandedOver    int       // tickets handed over at least once
	Breached      int       // answered late, or unanswered past their deadline
	RatingsAsked  int
	Scores        [5]int // how many answered 1, 2, … 5

	Unanswered     int          // open tickets still waiting for a first answer, now
	UnansweredMore bool         // there are more than Unanswered (the count was capped)
	Oldest         []bot.Ticket // the oldest of them, at most three

	BySource []Group // most complaints first
	ByAgent  []Group // most answers first; Key is the agent's id
	ByPart   [parts]Group
	Hours    [7][24]Cell // Monday first, on the team's clock
	Days     []Day

	// Surges are the surges of complaints the desk was alerted to that
	// overlap the period, of q's source, oldest first. A surge counts
	// every team's complaints and nobody answers it, so a report of one
	// team or one agent has none.
	Surges []bot.Surge
}

// Compute reads the tickets opened in q's period (and the open ones, for
// what waits now) and returns their figures, with the period's surges.
// cal says where the team's business hours, holidays and clock are.
func Compute(ctx context.Context, r Reader, q Query, cal bot.Calendar, now time.Time) (Figures, error) {
	loc := cal.Location
	if loc == nil {
		loc = time.UTC
	}
	f := Figures{Query: q}
	bySource := map[string]*Group{}
	byAgent := map[string]*Group{}
	var business, resolve sample
	days := map[string]int{} // local date → index in f.Days
	for d := dayOf(q.From, loc); d.Before(q.Until); d = d.AddDate(0, 0, 1) {
		days[d.Format(time.DateOnly)] = len(f.Days)
		f.Days = append(f.Days, Day{Date: d})
	}
	err := each(ctx, r, q, func(t bot.Ticket) {
		f.All.add(t)
		group(bySource, t.Source, bot.NetworkOf(t)).add(t)
		if a := t.FirstReplyBy; a.ID != "" {
			group(byAgent, a.ID, a.Name).add(t)
		}
		if t.Rating > 0 && t.Owner.ID != "" && t.Owner.ID != t.FirstReplyBy.ID {
			// The owner who resolved it gets the score too, not the answer.
			g := group(byAgent, t.Owner.ID, t.Owner.Name)
			g.Ratings++
			g.RatingSum += t.Rating
		}
		local := t.OpenedAt.In(loc)
		f.ByPart[partOf(cal, local)].add(t)
		cell := &f.Hours[(int(local.Weekday())+6)%7][local.Hour()]
		cell.Complaints++
		if i, ok := days[local.Format(time.DateOnly)]; ok {
			d := &f.Days[i]
			d.Complaints++
			if !t.FirstReplyAt.IsZero() {
				d.Answered++
			}
		}
		if !t.FirstReplyAt.IsZero() {
			cell.Answered++
			cell.firsts = append(cell.firsts, t.FirstReplyAt.Sub(t.OpenedAt))
			business = append(business, cal.OpenBetween(t.OpenedAt, t.FirstReplyAt))
		}
		if met, known := slaMet(t, now); known && !met {
			f.Breached++
		}
		if t.State == bot.Resolved {
			f.Resolved++
			resolve = append(resolve, t.ResolvedAt.Sub(t.OpenedAt))
		}
		if t.Reopens > 0 {
			f.Reopened++
		}
		if t.Handovers > 0 {
			f.HandedOver++
		}
		if !t.RatingAskedAt.IsZero() {
			f.RatingsAsked++
		}
		if t.Rating >= 1 && t.Rating <= 5 {
			f.Scores[t.Rating-1]++
		}
	})
	if err != nil {
		return Figures{}, err
	}
	f.All.close()
	f.FirstBusiness, f.Resolve = business.summary(), resolve.summary()
	for p := range f.ByPart {
		f.ByPart[p].Key, f.ByPart[p].Label = Part(p).String(), Part(p).String()
		f.ByPart[p].close()
	}
	for d := range f.Hours {
		for h := range f.Hours[d] {
			c := &f.Hours[d][h]
			c.Median, c.firsts = c.firsts.summary().Median, nil
		}
	}
	f.BySource = sorted(bySource, func(g Group) int { return g.Complaints })
	f.ByAgent = sorted(byAgent, func(g Group) int { return g.Answered })
	if err := surges(r, q, &f); err != nil {
		return Figures{}, err
	}
	return f, unanswered(r, q, &f)
}

// surges fills in the surges of q's period: of q's source, or of every
// source; none for a team's or an agent's report.
func surges(r Reader, q Query, f *Figures) error {
	if q.Team != "" || q.Agent.ID != "" {
		return nil
	}
	all, err := r.Surges(q.From, q.Until)
	if err != nil {
		return fmt.Errorf("read the surges of the report: %w", err)
	}
	for _, s := range all {
		if q.Source == "" || s.Source == q.Source {
			f.Surges = append(f.Surges, s)
		}
	}
	return nil
}

// each calls fn with every ticket of q's period that q's source and agent
// select, reading one page at a time.
func each(ctx context.Context, r Reader, q Query, fn func(bot.Ticket)) error {
	err := bot.EachOpened(ctx, r, q.From, q.Until, pageSize, func(t bot.Ticket) bool {
		if q.selects(t) {
			fn(t)
		}
		return true
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("read the tickets of the report: %w", err)
	}
	return err
}

// unanswered fills in what waits for a first answer now.
func unanswered(r Reader, q Query, f *Figures) error {
	waiting, err := r.UnansweredTickets(openLimit)
	if err != nil {
		return fmt.Errorf("read the unanswered tickets: %w", err)
	}
	f.UnansweredMore = len(waiting) == openLimit
	for _, t := range waiting {
		if !q.selects(t) {
			continue
		}
		f.Unanswered++
		if len(f.Oldest) < 3 {
			f.Oldest = append(f.Oldest, t)
		}
	}
	return nil
}

func group(m map[string]*Group, key, label string) *Group {
	g, ok := m[key]
	if ok && g.name == "" && label != "" {
		g.Label, g.name = label, label // a later ticket knew the name
	}
	if !ok {
		if label == "" {
			label = key
		}
		g = &Group{Key: key, Label: label, name: label}
		if label == key {
			g.name = ""
		}
		m[key] = g
	}
	return g
}

// sorted closes the groups and orders them by size, biggest first, then by
// label, so that a report reads the same every time.
func sorted(m map[string]*Group, size func(Group) int) []Group {
	gs := make([]Group, 0, len(m))
	for _, g := range m {
		g.close()
		gs = append(gs, *g)
	}
	slices.SortFunc(gs, func(a, b Group) int {
		if d := size(b) - size(a); d != 0 {
			return d
		}
		if a.Label != b.Label {
			return cmp.Compare(a.Label, b.Label)
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return gs
}

// slaMet says whether t kept its first-response promise. It is known once
// the answer came, or once the deadline passed without one: by now for an
// open ticket, by its resolution for a closed one. A ticket closed
// unanswered before its deadline (spam) neither kept nor missed it. The
// report, the export and caredesk_sla_breaches_total agree on this.
func slaMet(t bot.Ticket, now time.Time) (met, known bool) {
	switch {
	case !t.FirstReplyAt.IsZero():
		return !t.FirstReplyAt.After(t.Deadline), true
	case t.State == bot.Resolved:
		return false, t.ResolvedAt.After(t.Deadline)
	}
	return false, now.After(t.Deadline)
}

// partOf says which part of the week a moment on the team's clock is in.
func partOf(cal bot.Calendar, local time.Time) Part {
	switch {
	case cal.Holidays[local.Format(time.DateOnly)]:
		return Holidays
	case local.Weekday() == time.Saturday || local.Weekday() == time.Sunday:
		return Weekends
	case cal.Open(local):
		return BusinessHours
	}
	return Nights
}

// dayOf is the midnight that starts t's day in loc.
func dayOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}
