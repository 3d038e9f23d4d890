package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
)

// Query is what a report is about: a period and, optionally, one source
// and one agent.
type Query struct {
	From, Until time.Time // [From, Until)
	Name        string    // the period as people say it: "the last 7 days"
	Source      string    // the source's name; "" for all
	Agent       bot.Agent // only what this agent answered or owned; zero for all
}

// selects reports whether t is one of the query's tickets.
func (q Query) selects(t bot.Ticket) bool {
	if q.Source != "" && t.Source != q.Source {
		return false
	}
	return q.Agent.ID == "" || t.FirstReplyBy.ID == q.Agent.ID || t.Owner.ID == q.Agent.ID
}

// Periods are the words /desk report and /desk export take for a period;
// a range of dates is written FROM..UNTIL, both days included.
var Periods = []string{"today", "yesterday", "week", "last-week", "month", "last-month", "7d", "30d", "90d"}

// DefaultPeriod is the period of a report that names none.
const DefaultPeriod = "7d"

// maxDays bounds a report: a year and a bit of a busy desk still answers
// in under a second; beyond that, use the export.
const maxDays = 400

// Parse reads the words after /desk report: [period] [source] [@agent], in
// any order. now and loc place "today" and "week" on the team's clock;
// sources are the configured sources' names. Errors are *bot.Error
// sentences that say how to write it.
func Parse(args string, now time.Time, loc *time.Location, sources []string) (Query, error) {
	var q Query
	period := ""
	for _, w := range strings.Fields(args) {
		switch who, isAgent := bot.ParseMention(w); {
		case isAgent:
			if q.Agent.ID != "" {
				return Query{}, bot.Errorf(bot.EINVALID, "A report is about one agent at most; you named two.")
			}
			q.Agent = who
		case isPeriod(w):
			if period != "" {
				return Query{}, bot.Errorf(bot.EINVALID, "A report covers one period; you wrote %q and %q.", period, w)
			}
			period = w
		default:
			src, ok := sourceNamed(w, sources)
			if !ok {
				return Query{}, bot.Errorf(bot.EINVALID,
					"I don't know %q. Write a period (%s, or FROM..UNTIL like 2026-11-01..2026-11-30), a source (%s) or an @agent.",
					w, strings.Join(Periods, ", "), strings.Join(sources, ", "))
			}
			if q.Source != "" {
				return Query{}, bot.Errorf(bot.EINVALID, "A report is about one source at most; you wrote %q and %q.", q.Source, src)
			}
			q.Source = src
		}
	}
	if period == "" {
		period = DefaultPeriod
	}
	var err error
	q.From, q.Until, q.Name, err = Period(period, now, loc)
	return q, err
}

// isPeriod reports whether w is meant as a period, right or wrong: a
// mistyped date range should be explained as one, not as an unknown
// source.
func isPeriod(w string) bool {
	return slices.Contains(Periods, strings.ToLower(w)) || strings.Contains(w, "..") ||
		len(w) > 1 && strings.HasSuffix(strings.ToLower(w), "d") && isDigits(w[:len(w)-1])
}

func isDigits(s string) bool {
	_, err := strconv.ParseUint(s, 10, 16)
	return err == nil
}

// sourceNamed finds the source w names: its name ("telegram",
// "webhook:twitter") or a webhook source's own name ("twitter").
func sourceNamed(w string, sources []string) (string, bool) {
	for _, s := range sources {
		if strings.EqualFold(w, s) || strings.EqualFold("webhook:"+w, s) {
			return s, true
		}
	}
	return "", false
}

// Period turns a period's word into [from, until) on the team's clock.
// "week" and "month" are the calendar week (from Monday) and month so far;
// "7d" is the seven days up to now; FROM..UNTIL are whole days, both
// included.
func Period(w string, now time.Time, loc *time.Location) (from, until time.Time, name string, err error) {
	if loc == nil {
		loc = time.UTC
	}
	today := dayOf(now, loc)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, loc)
	switch strings.ToLower(w) {
	case "today":
		return today, now, "today", nil
	case "yesterday":
		return today.AddDate(0, 0, -1), today, "yesterday", nil
	case "week":
		return monday, now, "this week", nil
	case "last-week":
		return monday.AddDate(0, 0, -7), monday, "last week", nil
	case "month":
		return first, now, "this month", nil
	case "last-month":
		return first.AddDate(0, -1, 0), first, "last month", nil
	}
	if n, ok := strings.CutSuffix(strings.ToLower(w), "d"); ok && isDigits(n) {
		days, _ := strconv.Atoi(n)
		if days < 1 || days > maxDays {
			return from, until, "", bot.Errorf(bot.EINVALID, "A period of days is 1d to %dd, not %s.", maxDays, w)
		}
		return now.Add(-time.Duration(days) * 24 * time.Hour), now, fmt.Sprintf("the last %d days", days), nil
	}
	a, b, ok := strings.Cut(w, "..")
	if !ok {
		return from, until, "", bot.Errorf(bot.EINVALID, "I don't know the period %q. Use %s, or FROM..UNTIL like 2026-11-01..2026-11-30.", w, strings.Join(Periods, ", "))
	}
	fromDay, err1 := time.ParseInLocation(time.DateOnly, a, loc)
	untilDay, err2 := time.ParseInLocation(time.DateOnly, b, loc)
	switch {
	case err1 != nil || err2 != nil:
		return from, until, "", bot.Errorf(bot.EINVALID, "Write a range of days as FROM..UNTIL with dates like 2026-11-01..2026-11-30, not %q.", w)
	case untilDay.Before(fromDay):
		return from, until, "", bot.Errorf(bot.EINVALID, "The range %s ends before it starts: write the earlier day first.", w)
	}
	until = untilDay.AddDate(0, 0, 1)
	// Calendar days, not hours: a range across a change of the clocks is
	// an hour longer or shorter than its days.
	if until.After(fromDay.AddDate(0, 0, maxDays)) {
		return from, until, "", bot.Errorf(bot.EINVALID, "A period covers at most %d days; ask for a shorter one, or fetch a longer export from GET /export.csv (see the README).", maxDays)
	}
	return fromDay, until, fmt.Sprintf("%s to %s", fromDay.Format("2 Jan 2006"), untilDay.Format("2 Jan 2006")), nil
}
