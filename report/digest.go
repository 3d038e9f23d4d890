package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"caredesk/chart"
)

// Digest is the text of a digest the desk posts by itself: the period's
// figures and surges (Summary), and what changed since the period before,
// in three plain lines.
func Digest(f, before Figures, loc *time.Location, now time.Time) string {
	title, period := "📰 Weekly digest", "week"
	if f.Until.Sub(f.From) > 8*24*time.Hour {
		title, period = "📰 Monthly digest", "month"
	}
	text := strings.Replace(Summary(f, loc, now), "📊 ", title+": ", 1)
	if f.Empty() {
		return text
	}
	lines := Changes(f, before)
	if len(lines) == 0 {
		return text
	}
	return text + "\nSince the " + period + " before:\n• " + strings.Join(lines, "\n• ")
}

// change is one thing that moved between two periods, and how much it
// matters: the relative change of a count or a time, or the points of a
// rate.
type change struct {
	line   string
	weight float64
}

// Changes says in at most three sentences what moved most since before:
// "Weekend first answers took 3 h 10 min, up from 45 min."
func Changes(f, before Figures) []string {
	if before.Empty() {
		return []string{"There were no complaints in the period before to compare with."}
	}
	var cs []change
	cs = append(cs, change{
		line:   fmt.Sprintf("%s arrived, %s %d.", capitalize(plural(f.All.Complaints, "complaint")), direction(float64(f.All.Complaints), float64(before.All.Complaints)), before.All.Complaints),
		weight: relative(float64(f.All.Complaints), float64(before.All.Complaints)),
	}, change{
		line: fmt.Sprintf("A person answered %s of them, %s %s.", percent(f.All.Answered, f.All.Complaints),
			direction(f.All.Rate(), before.All.Rate()), percent(before.All.Answered, before.All.Complaints)),
		weight: 5 * math.Abs(f.All.Rate()-before.All.Rate()),
	})
	for _, p := range []struct {
		what      string
		now, then Group
	}{
		{"weekend", f.ByPart[Weekends], before.ByPart[Weekends]},
		{"night", f.ByPart[Nights], before.ByPart[Nights]},
	} {
		if p.now.Complaints == 0 || p.then.Complaints == 0 {
			continue
		}
		cs = append(cs, change{
			line: fmt.Sprintf("A person answered %s of %s complaints, %s %s.", percent(p.now.Answered, p.now.Complaints), p.what,
				direction(p.now.Rate(), p.then.Rate()), percent(p.then.Answered, p.then.Complaints)),
			weight: 5 * math.Abs(p.now.Rate()-p.then.Rate()),
		})
	}
	firsts := []struct {
		what      string
		now, then Group
	}{
		{"First answers", f.All, before.All},
		{"Weekend first answers", f.ByPart[Weekends], before.ByPart[Weekends]},
		{"Night first answers", f.ByPart[Nights], before.ByPart[Nights]},
		{"First answers in business hours", f.ByPart[BusinessHours], before.ByPart[BusinessHours]},
		{"First answers on holidays", f.ByPart[Holidays], before.ByPart[Holidays]},
	}
	for _, c := range firsts {
		if c.now.First.N == 0 || c.then.First.N == 0 {
			continue
		}
		a, b := c.now.First.Median, c.then.First.Median
		cs = append(cs, change{
			line:   fmt.Sprintf("%s took %s, %s %s.", c.what, chart.Span(a), direction(float64(a), float64(b)), chart.Span(b)),
			weight: relative(float64(a), float64(b)),
		})
	}
	if f.All.Ratings > 0 && before.All.Ratings > 0 {
		cs = append(cs, change{
			line:   fmt.Sprintf("Customers rated us %.1f of 5, %s %.1f.", f.All.CSAT(), direction(f.All.CSAT(), before.All.CSAT()), before.All.CSAT()),
			weight: math.Abs(f.All.CSAT()-before.All.CSAT()) / 2,
		})
	}
	// The biggest moves first; among equals, the order written above.
	slices.SortStableFunc(cs, func(a, b change) int {
		switch {
		case a.weight > b.weight:
			return -1
		case a.weight < b.weight:
			return 1
		}
		return 0
	})
	lines := make([]string, 0, 3)
	for _, c := range cs {
		if len(lines) == 3 || c.weight == 0 {
			break // what did not move is not news
		}
		lines = append(lines, c.line)
	}
	if len(lines) == 0 {
		return []string{"Nothing moved much: the figures are as they were."}
	}
	return lines
}

func direction(now, then float64) string {
	switch {
	case now > then:
		return "up from"
	case now < then:
		return "down from"
	}
	return "the same as"
}

// relative is how far now moved from then, as a factor's logarithm, so
// that doubling and halving weigh the same.
func relative(now, then float64) float64 {
	if now <= 0 || then <= 0 {
		return 0
	}
	return math.Abs(math.Log(now / then))
}
