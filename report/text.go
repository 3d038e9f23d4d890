package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
	"caredesk/chart"
)

// percent writes a share as a whole percentage: "83 %".
func percent(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%d %%", int(math.Round(100*float64(a)/float64(b))))
}

// Scope says what a report is about: "the last 7 days (28 Nov – 4 Dec),
// Telegram, team ro-care, answered or owned by alice".
func (q Query) Scope(loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	s := q.Name
	last := q.Until.Add(-time.Nanosecond).In(loc)
	if from := q.From.In(loc); from.Format(time.DateOnly) == last.Format(time.DateOnly) {
		s += " (" + from.Format("Mon 2 Jan") + ")"
	} else if !strings.Contains(q.Name, " to ") {
		s += fmt.Sprintf(" (%s – %s)", from.Format("2 Jan"), last.Format("2 Jan 2006"))
	}
	if q.Source != "" {
		s += ", " + bot.NetworkOf(bot.Ticket{Source: q.Source})
	} else {
		s += ", all sources"
	}
	if q.Team != "" {
		s += ", team " + q.Team
	}
	if q.Agent.ID != "" {
		s += ", answered or owned by " + agentName(q.Agent)
	}
	return s
}

// agentName names an agent: by the name the desk gave, or else as a
// mention, which the desk shows as the name. A digest posted in the
// channel has its mentions turned into names by the courier (bot.Namer),
// so that it pings nobody.
func agentName(a bot.Agent) string {
	if a.Name != "" {
		return bot.Quote(a.Name)
	}
	return bot.Mention(a)
}

// Empty is the answer for a period without complaints: a sentence, never a
// division by zero or an empty chart.
func (f Figures) Empty() bool { return f.All.Complaints == 0 }

// Summary is the answer of /desk report: the figures in a few lines, and
// the period's surges of complaints when there were any. The digests
// begin with it.
func Summary(f Figures, loc *time.Location, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📊 %s\n", capitalize(f.Scope(loc)))
	if f.Empty() {
		fmt.Fprintf(&b, "No complaints arrived in that period. Try a longer one, like /desk report 30d.\n")
		writeWaiting(&b, f, now)
		writeSurges(&b, f, loc)
		return strings.TrimRight(b.String(), "\n")
	}
	a := f.All
	fmt.Fprintf(&b, "Complaints %d · answered by a person %d (%s) · within the SLA %d (%s)\n",
		a.Complaints, a.Answered, percent(a.Answered, a.Complaints), a.WithinSLA, percent(a.WithinSLA, a.Complaints))
	if a.First.N > 0 {
		fmt.Fprintf(&b, "First answer: median %s, p90 %s by the clock; %s, %s in business hours\n",
			chart.Span(a.First.Median), chart.Span(a.First.P90), chart.Span(f.FirstBusiness.Median), chart.Span(f.FirstBusiness.P90))
	}
	fmt.Fprintf(&b, "Resolved %d", f.Resolved)
	if f.Resolve.N > 0 {
		fmt.Fprintf(&b, " (median %s)", chart.Span(f.Resolve.Median))
	}
	fmt.Fprintf(&b, " · reopened %d (%s) · handed over %d · missed the SLA %d\n",
		f.Reopened, percent(f.Reopened, a.Complaints), f.HandedOver, f.Breached)
	writeWaiting(&b, f, now)
	b.WriteString("By part of the week:\n")
	for _, g := range f.ByPart {
		if g.Complaints > 0 {
			writeGroup(&b, g.Label, g) // caredesk's own words
		}
	}
	if len(f.BySource) > 1 || f.Source == "" {
		b.WriteString("By source:\n")
		for _, g := range f.BySource {
			writeGroup(&b, bot.Quote(g.Label), g) // a bridge may name its network
		}
	}
	if len(f.ByAgent) > 0 {
		b.WriteString("By agent:\n")
		for _, g := range f.ByAgent {
			fmt.Fprintf(&b, "• %s: answered %d", agentName(bot.Agent{ID: g.Key, Name: g.name}), g.Answered)
			if g.First.N > 0 {
				fmt.Fprintf(&b, ", median first answer %s", chart.Span(g.First.Median))
			}
			if g.Ratings > 0 {
				fmt.Fprintf(&b, ", satisfaction %.1f (%d)", g.CSAT(), g.Ratings)
			}
			b.WriteString("\n")
		}
	}
	writeSatisfaction(&b, f)
	writeSurges(&b, f, loc)
	return strings.TrimRight(b.String(), "\n")
}

func writeGroup(b *strings.Builder, label string, g Group) {
	fmt.Fprintf(b, "• %s: %s, %s answered", label, plural(g.Complaints, "complaint"), percent(g.Answered, g.Complaints))
	if g.First.N > 0 {
		fmt.Fprintf(b, ", median first answer %s", chart.Span(g.First.Median))
	}
	b.WriteString("\n")
}

func writeWaiting(b *strings.Builder, f Figures, now time.Time) {
	if f.Unanswered == 0 {
		b.WriteString("Unanswered now: none.\n")
		return
	}
	more := ""
	if f.UnansweredMore {
		more = " or more"
	}
	fmt.Fprintf(b, "Unanswered now: %d%s; oldest", f.Unanswered, more)
	for i, t := range f.Oldest {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(b, "%s #%d (%s, waiting %s)", sep, t.ID, bot.Quote(bot.NetworkOf(t)), chart.Span(now.Sub(t.OpenedAt)))
	}
	b.WriteString("\n")
}

func writeSatisfaction(b *strings.Builder, f Figures) {
	n := 0
	for _, c := range f.Scores {
		n += c
	}
	if n == 0 {
		if f.RatingsAsked > 0 {
			fmt.Fprintf(b, "Satisfaction: no answers yet to %s.\n", plural(f.RatingsAsked, "question"))
		}
		return
	}
	fmt.Fprintf(b, "Satisfaction: %.1f of 5 from %s to %s (", f.All.CSAT(), plural(n, "answer"), plural(f.RatingsAsked, "question"))
	for i := 4; i >= 0; i-- {
		if i < 4 {
			b.WriteString(" · ")
		}
		fmt.Fprintf(b, "%d★ %d", i+1, f.Scores[i])
	}
	b.WriteString(")\n")
}

// maxSurges bounds the surges a report lists; the rest are counted.
const maxSurges = 10

// writeSurges lists the period's surges, oldest first, each as the
// alert and the calming down told of it; nothing when there were none.
func writeSurges(b *strings.Builder, f Figures, loc *time.Location) {
	if len(f.Surges) == 0 {
		return
	}
	if loc == nil {
		loc = time.UTC
	}
	fmt.Fprintf(b, "Surges: %d (times on the team's clock)\n", len(f.Surges))
	for i, s := range f.Surges {
		if i == maxSurges {
			fmt.Fprintf(b, "• and %d more\n", len(f.Surges)-maxSurges)
			break
		}
		// The network as the figures above call it, when the period has
		// its complaints; the alert's name for the source otherwise.
		network := bot.NetworkOf(bot.Ticket{Source: s.Source})
		if g := slices.IndexFunc(f.BySource, func(g Group) bool { return g.Key == s.Source }); g >= 0 {
			network = f.BySource[g].Label
		}
		const day = "Mon 2 Jan 15:04"
		start := s.Started.In(loc)
		fmt.Fprintf(b, "• %s, %s", bot.Quote(network), start.Format(day))
		peak := "peak"
		if s.Ended.IsZero() {
			b.WriteString(", still on")
			peak = "peak so far"
		} else if end := s.Ended.In(loc); end.Format(time.DateOnly) == start.Format(time.DateOnly) {
			b.WriteString(" → " + end.Format("15:04"))
		} else {
			b.WriteString(" → " + end.Format(day))
		}
		fmt.Fprintf(b, ": %s %d in a window, usually %s", peak, s.Peak, strconv.FormatFloat(math.Round(s.Usual*10)/10, 'f', -1, 64))
		if s.About != "" {
			b.WriteString(" — about " + s.About) // quoted by the spike watch already
		}
		b.WriteString("\n")
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
