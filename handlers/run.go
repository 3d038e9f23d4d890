package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"

	"caredesk/bot"
)

// Actor is the core as the desks see it.
type Actor interface {
	Act(ctx context.Context, a bot.Action) (bot.Result, error)
}

// Runner turns what agents do into core actions and the core's answers into
// what they read. Desk adapters share one.
type Runner struct {
	Actor   Actor
	Reports Reports // nil: /desk report and /desk export say they are off
	Spikes  Spikes  // nil: /desk spike says spike alerts are off
	Log     *slog.Logger
}

// Spikes answers /desk spike. spike.Watch is one.
type Spikes interface {
	Rates(ctx context.Context) (string, error)
}

// Reports answers the commands that read figures rather than change a
// ticket. report.Service is one.
type Reports interface {
	Report(ctx context.Context, agent bot.Agent, args, eventID string) (string, error)
	Export(ctx context.Context, agent bot.Agent, args, eventID string) (string, error)
}

// Command runs one /desk line typed by agent. thread is the desk id of the
// ticket's root when the command was typed inside a ticket's thread (Discord
// allows that; Slack does not), else ""; channel is the desk channel it was
// typed in, whose team the rota, SLA and list commands answer for.
// eventID de-duplicates redeliveries. It returns the sentence to show the
// agent, only to them.
func (r Runner) Command(ctx context.Context, agent bot.Agent, line, thread, channel, eventID string) string {
	a, err := Parse(line)
	if err != nil {
		return r.sentence(a, err)
	}
	switch a.Verb {
	case Help:
		return HelpText()
	case DoReport, DoExport:
		return r.report(ctx, agent, a, eventID)
	case DoSpike:
		if r.Spikes == nil {
			return "Spike alerts are off in this caredesk (spikes: off in its YAML file)."
		}
		text, err := r.Spikes.Rates(ctx)
		if err != nil {
			return r.sentence(a, err)
		}
		return text
	}
	a.Agent, a.EventID, a.Channel = agent, eventID, channel
	if a.Ticket == 0 {
		a.Thread = thread
	}
	if a.Ticket == 0 && a.Thread == "" && needsTicket(a.Verb) {
		cmd, _ := lookup(string(a.Verb))
		return fmt.Sprintf("Which ticket? Write it as %s, e.g. /desk %s 12.", cmd.Usage(), a.Verb)
	}
	return r.Do(ctx, a)
}

// Do runs an action the desk built itself (a button, an emoji, a message in
// a thread) and returns the sentence for the agent, "" when there is none.
func (r Runner) Do(ctx context.Context, a bot.Action) string {
	res, err := r.Actor.Act(ctx, a)
	if err != nil {
		return r.sentence(a, err)
	}
	return res.Text
}

// sentence is where an error is handled: an application error is meant for
// the agent; anything else goes to the log with an id the agent can quote.
func (r Runner) sentence(a bot.Action, err error) string {
	if msg := bot.ErrorMessage(err); msg != "" {
		return msg
	}
	id := errorID()
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	log.Error("agent action failed", "error_id", id, "verb", a.Verb, "ticket", a.Ticket, "agent", a.Agent.ID, "err", err)
	return fmt.Sprintf("Sorry, that did not work because of a problem on caredesk's side (error %s). Try again in a minute; if it keeps failing, give this id to whoever runs caredesk.", id)
}

func errorID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// needsTicket reports whether the command is about one ticket.
func needsTicket(v bot.Verb) bool {
	cmd, _ := lookup(string(v))
	for _, a := range cmd.Args {
		if a.Kind == ArgTicket {
			return true
		}
	}
	return false
}

func (r Runner) report(ctx context.Context, agent bot.Agent, a bot.Action, eventID string) string {
	if r.Reports == nil {
		return "Reports are not set up in this caredesk."
	}
	run := r.Reports.Report
	if a.Verb == DoExport {
		run = r.Reports.Export
	}
	a.Agent = agent
	args := a.Text
	if a.Team != "" {
		args += " --team " + a.Team // the report reads its filters itself
	}
	text, err := run(ctx, agent, args, eventID)
	if err != nil {
		return r.sentence(a, err)
	}
	return text
}
