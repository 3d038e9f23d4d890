package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
)

// Query is what a report is about: a period and, optionally, one source,
// one agent and one team.
type Query struct {
	From, Until time.Time // [From, Until)
	Name        string    // the period as people say it: "the last 7 days"
	Source      string    // the source's name; "" for all
	Agent       bot.Agent // only what this agent answered or owned; zero for all
	Team        string    // only this team's tickets (Teams.Owns); "" for all
	Teams       Teams     // the desk's teams, which say whose a ticket of no team is
}

// selects reports whether t is one of the query's tickets.
func (q Query) selects(t bot.Ticket) bool {
	if q.Source != "" && t.Source != q.Source {
		return false
	}
	if q.Team != "" && !q.Teams.Owns(q.Team, t) {
		return false
	}
	return q.Agent.ID == "" || t.FirstReplyBy.ID == q.Agent.ID || t.Owner.ID == q.Agent.ID
}

// Teams are a desk's teams as a report needs them: to know a team's name
// when it is typed, and whose the tickets of no team are.
type Teams struct {
	Names   []string // in the file's order; none on a desk without teams
	Default string   // the team that owns what no route matches
}

// Owns reports whether ticket t belongs to team: it is filed with that
// team, or team is the default team and t has no team (it was filed
// before the desk had teams) or a team no longer in the file. The bot
// places such tickets the same way (bot.Bot.team).
func (ts Teams) Owns(team string, t bot.Ticket) bool {
	if t.Team == team {
		return true
	}
	return team == ts.Default && !slices.Contains(ts.Names, t.Team)
}

// named finds the team w names, or refuses it with a sentence that lists
// the teams. flag is how the team was asked for: "--team" or "team".
func (ts Teams) named(w, flag string) (string, error) {
	if len(ts.Names) == 0 {
		return "", bot.Errorf(bot.EINVALID, "This desk has no teams: leave %s out.", flag)
	}
	for _, n := range ts.Names {
		if strings.EqualFold(w, n) {
			return n, nil
		}
	}
	return "", bot.Errorf(bot.ENOTFOUND, "There is no team %q. The teams are %s.", w, strings.Join(ts.Names, ", "))
}

// Periods are the words /desk report and /desk export take for a period;
// a range of dates is written FROM..UNTIL, both days included.
var Periods = []string{"today", "yesterday", "week", "last-week", "month", "last-month", "7d", "30d", "90d"}

// DefaultPeriod is the period of a report that names none.
const DefaultPeriod = "7d"

// maxDays bounds a report: a year and a bit of a busy desk still answers
// in under a second; beyond that, use the export.
const maxDays = 400

// Parse reads the words after /desk report: [period] [source] [@agent]
// [--team NAME], in any order; --team=NAME is the same. now and loc place
// "today" and "week" on the team's clock; sources are the configured
// sources' names, teams the desk's teams. Errors are *bot.Error sentences
// that say how to write it.
func Parse(args string, now time.Time, loc *time.Location, sources []string, teams Teams) (Query, error) {
	q := Query{Teams: teams}
	period := ""
	words := strings.Fields(args)
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, isTeam := strings.CutPrefix(w, "--team=")
		if w == "--team" {
			isTeam, name = true, ""
			if i+1 < len(words) {
				i++
				name = words[i]
			}
		}
		switch who, isAgent := bot.ParseMention(w); {
		case isTeam:
			if name == "" && len(teams.Names) > 0 {
				return Query{}, bot.Errorf(bot.EINVALID, "Name the team after --team, like --team %s.", teams.Names[0])
			}
			team, err := teams.named(name, "--team")
			if err != nil {
				return Query{}, err
			}
			if q.Team != "" && q.Team != team {
				return Query{}, bot.Errorf(bot.EINVALID, "A report is about one team at most; you wrote %q and %q.", q.Team, team)
			}
			q.Team = team
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
				team := ""
				if len(teams.Names) > 0 {
					team = fmt.Sprintf(", or a team as --team NAME (%s)", strings.Join(teams.Names, ", "))
				}
				return Query{}, bot.Errorf(bot.EINVALID,
					"I don't know %q. Write a period (%s, or FROM..UNTIL like 2026-11-01..2026-11-30), a source (%s) or an @agent%s.",
					w, strings.Join(Periods, ", "), strings.Join(sources, ", "), team)
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
