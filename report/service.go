package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"caredesk/bot"
	"caredesk/chart"
)

// Service answers the desk's report and export commands, renders the
// reports the outbox delivers (bot.Reporter) and serves exports over HTTP.
type Service struct {
	Store    bot.Store
	Calendar bot.Calendar // the team's clock, business hours and holidays
	Sources  []string     // the configured sources' names
	// Teams are the desk's teams' names in the file's order, none on a
	// desk without teams; DefaultTeam owns what no route matches, and the
	// tickets of no team or of a team no longer in the file.
	Teams       []string
	DefaultTeam string
	Clock       bot.Clock    // bot.SystemClock when nil
	Wake        func()       // tells the courier there is work; may be nil
	Log         *slog.Logger // slog.Default() when nil
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now().UTC()
}

func (s *Service) teams() Teams { return Teams{Names: s.Teams, Default: s.DefaultTeam} }

func (s *Service) loc() *time.Location {
	if s.Calendar.Location == nil {
		return time.UTC
	}
	return s.Calendar.Location
}

// pages reads the store one short transaction per page, so that a year's
// report or export never holds one read open for long.
type pages struct {
	ctx   context.Context
	store bot.Store
}

func (p pages) TicketsOpened(from, until time.Time, afterID int64, limit int) (ts []bot.Ticket, err error) {
	err = p.store.View(p.ctx, func(tx bot.Tx) error {
		ts, err = tx.TicketsOpened(from, until, afterID, limit)
		return err
	})
	return ts, err
}

func (p pages) UnansweredTickets(limit int) (ts []bot.Ticket, err error) {
	err = p.store.View(p.ctx, func(tx bot.Tx) error {
		ts, err = tx.UnansweredTickets(limit)
		return err
	})
	return ts, err
}

func (p pages) Surges(from, until time.Time) (ss []bot.Surge, err error) {
	err = p.store.View(p.ctx, func(tx bot.Tx) error {
		ss, err = tx.Surges(from, until)
		return err
	})
	return ss, err
}

// Figures computes q's figures now.
func (s *Service) Figures(ctx context.Context, q Query) (Figures, error) {
	f, err := Compute(ctx, pages{ctx, s.Store}, q, s.Calendar, s.now())
	if err != nil {
		return f, err
	}
	if f.Agent.Name == "" {
		for _, g := range f.ByAgent {
			if g.Key == f.Agent.ID {
				f.Agent.Name = g.Label
			}
		}
	}
	return f, nil
}

// Report answers "/desk report ARGS" for agent with the figures, and queues
// the charts for them privately (a chat's private answer cannot carry
// files). eventID de-duplicates a command the desk delivered twice.
func (s *Service) Report(ctx context.Context, agent bot.Agent, args, eventID string) (string, error) {
	now := s.now()
	q, err := Parse(args, now, s.loc(), s.Sources, s.teams())
	if err != nil {
		return "", err
	}
	f, err := s.Figures(ctx, q)
	if err != nil {
		return "", fmt.Errorf("report %q: %w", args, err)
	}
	text := Summary(f, s.loc(), now)
	if f.Empty() {
		return text, nil
	}
	if err := s.queue(ctx, bot.ReportCharts, q, agent, eventID); err != nil {
		return "", err
	}
	return text + "\nThe charts are on their way to your direct messages.", nil
}

// Export answers "/desk export [PERIOD]": the tickets of the period as a
// CSV file in the agent's direct messages.
func (s *Service) Export(ctx context.Context, agent bot.Agent, args, eventID string) (string, error) {
	q, err := Parse(args, s.now(), s.loc(), s.Sources, s.teams())
	if err != nil {
		return "", err
	}
	if err := s.queue(ctx, bot.ReportExport, q, agent, eventID); err != nil {
		return "", err
	}
	return fmt.Sprintf("The export of %s is on its way to your direct messages as a CSV file.", q.Scope(s.loc())), nil
}

func (s *Service) queue(ctx context.Context, kind string, q Query, agent bot.Agent, eventID string) error {
	now := s.now()
	req := bot.ReportRequest{Kind: kind, Period: q.Name, From: q.From.UTC(), Until: q.Until.UTC(), Source: q.Source, Agent: q.Agent.ID, Team: q.Team}
	err := s.Store.Update(ctx, func(tx bot.Tx) error {
		if eventID != "" {
			fresh, err := tx.FirstSight(kind+":"+eventID, now)
			if err != nil || !fresh {
				return err
			}
		}
		return bot.QueueReport(tx, req, agent.ID, now)
	})
	if err != nil {
		return fmt.Errorf("queue the %s for %s: %w", kind, agent.ID, err)
	}
	if s.Wake != nil {
		s.Wake()
	}
	return nil
}

// Render makes a queued report ready for the desk (bot.Reporter).
func (s *Service) Render(ctx context.Context, req bot.ReportRequest) (bot.Rendered, error) {
	q := Query{From: req.From, Until: req.Until, Name: req.Period, Source: req.Source, Agent: bot.Agent{ID: req.Agent},
		Team: req.Team, Teams: s.teams()}
	switch req.Kind {
	case bot.ReportCharts:
		f, err := s.Figures(ctx, q)
		if err != nil {
			return bot.Rendered{}, err
		}
		r := s.charts(f)
		r.Text = "📊 Charts of " + f.Scope(s.loc()) + "."
		if f.Empty() {
			r.Text = Summary(f, s.loc(), s.now())
		}
		return r, nil
	case bot.ReportDigest:
		q.Name = "last " + req.Period
		f, err := s.Figures(ctx, q)
		if err != nil {
			return bot.Rendered{}, err
		}
		before := q
		// The period before on the team's calendar: a week across a change
		// of the clocks is 167 or 169 hours.
		if req.Period == "month" {
			before.From = q.From.In(s.loc()).AddDate(0, -1, 0)
		} else {
			before.From = q.From.In(s.loc()).AddDate(0, 0, -7)
		}
		before.Until = q.From
		b, err := s.Figures(ctx, before)
		if err != nil {
			return bot.Rendered{}, err
		}
		r := s.charts(f)
		r.Text = Digest(f, b, s.loc(), s.now())
		return r, nil
	case bot.ReportExport:
		var buf bytes.Buffer
		if err := Export(ctx, pages{ctx, s.Store}, q, s.now(), &buf); err != nil {
			return bot.Rendered{}, err
		}
		rows := bytes.Count(buf.Bytes(), []byte("\n")) - 1
		team := ""
		if q.Team != "" {
			team = q.Team + "-"
		}
		name := fmt.Sprintf("caredesk-tickets-%s%s-%s.csv", team, q.From.In(s.loc()).Format(time.DateOnly), q.Until.Add(-time.Nanosecond).In(s.loc()).Format(time.DateOnly))
		return bot.Rendered{
			Text:     fmt.Sprintf("📄 Tickets of %s: %d rows.", q.Scope(s.loc()), rows),
			Files:    []bot.File{{Name: name, Title: name, Data: buf.Bytes()}},
			Fallback: "The file could not be shared here; fetch the same export from caredesk's GET /export.csv (see the README).",
		}, nil
	}
	return bot.Rendered{}, bot.Errorf(bot.EINVALID, "There is no kind of report called %q.", req.Kind)
}

// charts draws f's charts; one that cannot be drawn is left out and
// logged, and the report goes on with the others and its words.
func (s *Service) charts(f Figures) bot.Rendered {
	scope := f.Scope(s.loc())
	var cells [7][24]chart.Cell
	for d := range f.Hours {
		for h, c := range f.Hours[d] {
			cells[d][h] = chart.Cell{Count: c.Complaints, Answered: c.Answered, Median: c.Median}
		}
	}
	days := make([]chart.Day, len(f.Days))
	for i, d := range f.Days {
		days[i] = chart.Day{Date: d.Date, Complaints: d.Complaints, Answered: d.Answered}
	}
	bars := make([]chart.Bar, len(f.BySource))
	for i, g := range f.BySource {
		bars[i] = chart.Bar{Label: g.Label, Complaints: g.Complaints, Answered: g.Answered, Median: g.First.Median}
	}
	drawn := []func() (chart.Chart, error){
		func() (chart.Chart, error) {
			return chart.HourOfWeek(fmt.Sprintf("Time to first answer by hour, %s (%s)", scope, s.loc()), cells)
		},
		func() (chart.Chart, error) { return chart.Daily("Complaints and answers by day, "+scope, days) },
		func() (chart.Chart, error) { return chart.BySource("By source, "+scope, bars) },
	}
	var r bot.Rendered
	var fallback []string
	for _, draw := range drawn {
		c, err := draw()
		if errors.Is(err, chart.ErrNoData) {
			continue
		}
		if err != nil {
			s.logger().Error("report: a chart could not be drawn", "err", err)
			continue
		}
		r.Files = append(r.Files, bot.File{Name: c.Name, Title: c.Title, Alt: c.Alt, Data: c.PNG})
		fallback = append(fallback, c.Title+"\n```\n"+c.Fallback+"\n```")
	}
	r.Fallback = strings.Join(fallback, "\n")
	return r
}

func (s *Service) logger() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
