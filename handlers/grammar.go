// Package handlers is the agents' side of caredesk, the same on every desk:
// the /desk command grammar, the facts a ticket's root message shows, and
// the one place where the core's answers and errors become what an agent
// reads. Desk adapters render it; they do not invent their own.
package handlers

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
)

// Help is the verb of "/desk help"; the core never sees it.
const Help bot.Verb = "help"

// ArgKind is the kind of one argument of a command.
type ArgKind int

// The kinds of argument.
const (
	ArgTicket ArgKind = iota // a ticket number, "12" or "#12"
	ArgUser                  // a mention of a desk user
	ArgText                  // the rest of the line
	ArgTime                  // a date and time on the team's clock, 2026-12-05T18:00
	ArgFilter                // optional words, read by the command itself in any order (a report's period, source, agent)
	ArgTeam                  // a team's name; optional ones are written --team NAME, anywhere in the line
)

// Arg is one argument of a command.
type Arg struct {
	Name     string
	Kind     ArgKind
	Summary  string
	Optional bool // a ticket is implied inside its thread on desks that allow commands there
}

// Command is one /desk subcommand. Every desk registers and documents the
// commands from Commands, so a command added here appears on both desks.
// Its name is its verb's words: "claim", or "rota override" for a command
// of the rota group.
type Command struct {
	Verb    bot.Verb
	Summary string
	Args    []Arg
}

// Words are the command's name as typed: ["rota", "override"].
func (c Command) Words() []string { return strings.Fields(string(c.Verb)) }

// The verbs of the commands that read figures; the core never sees them
// (Runner.Reports answers them).
const (
	DoReport bot.Verb = "report"
	DoExport bot.Verb = "export"
	DoSpike  bot.Verb = "spike"
)

var reportArgs = []Arg{
	{Name: "period", Kind: ArgFilter, Summary: "today, yesterday, week, last-week, month, last-month, 7d, 30d, or 2026-11-01..2026-11-30", Optional: true},
	{Name: "source", Kind: ArgFilter, Summary: "only this source, like telegram or twitter", Optional: true},
	{Name: "agent", Kind: ArgUser, Summary: "only what this agent answered, as an @mention", Optional: true},
	{Name: "team", Kind: ArgTeam, Summary: "only this team's tickets, like ro-care", Optional: true},
}

var ticketArg = Arg{Name: "ticket", Kind: ArgTicket, Summary: "the ticket's number, like 12", Optional: true}

// teamArg lets a command answer for another team than the one whose
// channel it was typed in.
var teamArg = Arg{Name: "team", Kind: ArgTeam, Summary: "another team than this channel's, like ro-care", Optional: true}

// Commands is the whole /desk grammar.
var Commands = []Command{
	{bot.DoClaim, "Take a ticket: you answer the customer from now on.", []Arg{ticketArg}},
	{bot.DoReply, "Send text to the customer on their network.", []Arg{ticketArg, {Name: "text", Kind: ArgText, Summary: "what the customer reads"}}},
	{bot.DoNote, "Add a note only the team sees.", []Arg{ticketArg, {Name: "text", Kind: ArgText, Summary: "the note"}}},
	{bot.DoTransfer, "Hand a ticket over to a colleague (once per ticket).", []Arg{ticketArg, {Name: "to", Kind: ArgUser, Summary: "the new owner, as an @mention"}}},
	{bot.DoResolve, "Close a ticket; it reopens if the customer writes again soon. With elsewhere and a link, record an answer given on the network itself (a feed's post): it counts as the first answer.", []Arg{ticketArg,
		{Name: "elsewhere", Kind: ArgText, Summary: "the link to an answer given outside caredesk, like elsewhere https://…", Optional: true}}},
	{bot.DoShow, "Show a ticket with its latest messages.", []Arg{ticketArg}},
	{bot.DoList, "List open tickets, oldest first, with owner and deadline.", []Arg{teamArg}},
	{bot.DoSLA, "List tickets waiting for a first answer, by time left, overdue first.", []Arg{teamArg}},
	{bot.DoRota, "Who is on duty now and next.", []Arg{teamArg}},
	{bot.DoRotaWeek, "The rota for the coming 7 days.", []Arg{teamArg}},
	{bot.DoOverride, "Put someone on duty for a while (times on the team's clock).", []Arg{
		{Name: "who", Kind: ArgUser, Summary: "who covers, as an @mention"},
		{Name: "from", Kind: ArgTime, Summary: "start, like 2026-12-05T18:00"},
		{Name: "until", Kind: ArgTime, Summary: "end, like 2026-12-06T09:00"}, teamArg}},
	{bot.DoSwap, "Swap two people's next shifts.", []Arg{
		{Name: "one", Kind: ArgUser, Summary: "one person, as an @mention"},
		{Name: "other", Kind: ArgUser, Summary: "the other, as an @mention"}, teamArg}},
	{bot.DoUndo, "Take back the newest change of the rota.", []Arg{teamArg}},
	{bot.DoMove, "Give a ticket to another team: a new thread in its channel, with the history.", []Arg{ticketArg, {Name: "team", Kind: ArgTeam, Summary: "the team that owns it, like ro-care"}}},
	{bot.DoCall, "Ask the customer for a number to call them on (private conversations).", []Arg{ticketArg}},
	{bot.DoCallDone, "Record a call you made, with what was agreed.", []Arg{ticketArg, {Name: "agreed", Kind: ArgText, Summary: "what was agreed", Optional: true}}},
	{bot.DoPrivate, "Move a public conversation to a private one (Discord DM, Mastodon direct replies, Bluesky DM; bridges get move_private).", []Arg{ticketArg}},
	{DoReport, "Response rate and time to first answer, with charts in your direct messages.", reportArgs},
	{DoSpike, "Complaints per network now, against the usual at this hour of the week.", nil},
	{DoExport, "The tickets of a period as a CSV file in your direct messages.", []Arg{reportArgs[0], reportArgs[1], reportArgs[3]}},
	{Help, "Show this help.", nil},
}

// Usage returns how a command is written, like "/desk reply <ticket> <text>".
func (c Command) Usage() string {
	var b strings.Builder
	b.WriteString("/desk ")
	b.WriteString(string(c.Verb))
	for _, a := range c.Args {
		if a.Kind == ArgTeam && a.Optional {
			b.WriteString(" [--team " + a.Name + "]")
		} else if a.Optional && a.Kind != ArgTicket {
			b.WriteString(" [" + a.Name + "]")
		} else {
			b.WriteString(" <" + a.Name + ">")
		}
	}
	return b.String()
}

// HelpText lists every command with its usage.
func HelpText() string {
	var b strings.Builder
	b.WriteString("caredesk commands:\n")
	for _, c := range Commands {
		fmt.Fprintf(&b, "• %s: %s\n", c.Usage(), c.Summary)
	}
	b.WriteString("In a ticket's thread, what its owner writes goes to the customer; start a message with \"note:\" to keep it inside the team.")
	return b.String()
}

// ButtonVerb is the verb of a button named name ("claim", "resolve"):
// any command that needs nothing but a ticket can be one, its other
// arguments left out.
func ButtonVerb(name string) (bot.Verb, bool) {
	c, ok := lookup(name)
	if !ok {
		return "", false
	}
	ticket := false
	for _, arg := range c.Args {
		switch {
		case arg.Kind == ArgTicket:
			ticket = true
		case !arg.Optional:
			return "", false
		}
	}
	if !ticket {
		return "", false
	}
	return c.Verb, true
}

func lookup(verb string) (Command, bool) {
	for _, c := range Commands {
		if string(c.Verb) == verb {
			return c, true
		}
	}
	return Command{}, false
}

// match finds the command whose words begin fields, the longest first, so
// that "rota week" is not read as "rota" with an argument.
func match(fields []string) (Command, bool) {
	best, found := Command{}, false
	for _, c := range Commands {
		w := c.Words()
		if len(w) > len(fields) || (found && len(w) <= len(best.Words())) {
			continue
		}
		if slices.EqualFunc(w, fields[:len(w)], strings.EqualFold) {
			best, found = c, true
		}
	}
	return best, found
}

// Parse reads a /desk command line, without the "/desk" itself. A missing
// ticket number is left 0, for the caller to fill from the thread it was
// typed in. Errors are *bot.Error sentences that say how to write it.
func Parse(line string) (bot.Action, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return bot.Action{Verb: Help}, nil
	}
	cmd, ok := match(fields)
	if !ok {
		return bot.Action{}, bot.Errorf(bot.EINVALID, "I don't know \"%s\". Try /desk help.", fields[0])
	}
	a := bot.Action{Verb: cmd.Verb}
	rest := strings.TrimSpace(line)
	for range cmd.Words() {
		_, rest, _ = strings.Cut(strings.TrimSpace(rest), " ")
	}
	rest = strings.TrimSpace(rest)
	if slices.ContainsFunc(cmd.Args, func(a Arg) bool { return a.Kind == ArgTeam && a.Optional }) {
		var err error
		if a.Team, rest, err = teamFlag(cmd, rest); err != nil {
			return bot.Action{}, err
		}
	}
	users, times := 0, 0
	for _, arg := range cmd.Args {
		if arg.Kind == ArgFilter {
			a.Text, rest = rest, "" // the command reads its words itself
			break
		}
		word, after, _ := strings.Cut(rest, " ")
		switch arg.Kind {
		case ArgTicket:
			n, ok := ticketNumber(word)
			if !ok {
				continue // implied by the thread, or missing: the caller decides
			}
			a.Ticket = n
		case ArgUser:
			who, ok := bot.ParseMention(word)
			if !ok {
				return bot.Action{}, bot.Errorf(bot.EINVALID, "Name %s: %s", arg.Summary, cmd.Usage())
			}
			if users == 0 {
				a.To = who
			} else {
				a.Other = who
			}
			users++
		case ArgTime:
			t, err := time.Parse("2006-01-02T15:04", word)
			if err != nil {
				return bot.Action{}, bot.Errorf(bot.EINVALID, "\"%s\" is not a date and time for %s: write it like 2026-12-05T18:00 (the team's clock). %s", word, arg.Name, cmd.Usage())
			}
			if times == 0 {
				a.From = t
			} else {
				a.Until = t
			}
			times++
		case ArgTeam:
			if arg.Optional {
				continue // read above, wherever it was written
			}
			if name, ok := strings.CutPrefix(word, "--team="); ok {
				word = name
			} else if word == "--team" { // as the optional ones are written
				word, after, _ = strings.Cut(strings.TrimSpace(after), " ")
			}
			if word == "" {
				return bot.Action{}, bot.Errorf(bot.EINVALID, "Name %s: %s", arg.Summary, cmd.Usage())
			}
			a.Team = word
		case ArgText:
			if rest == "" && arg.Optional {
				continue
			}
			if rest == "" {
				return bot.Action{}, bot.Errorf(bot.EINVALID, "Add the %s after the ticket number: %s", arg.Name, cmd.Usage())
			}
			a.Text = rest
			after = ""
		}
		rest = strings.TrimSpace(after)
	}
	if rest != "" {
		return bot.Action{}, bot.Errorf(bot.EINVALID, "I did not understand \"%s\". Write it as %s", rest, cmd.Usage())
	}
	return a, nil
}

// teamFlag takes "--team NAME" (or "--team=NAME") out of rest, wherever it
// is, and returns NAME and what is left.
func teamFlag(cmd Command, rest string) (team, left string, err error) {
	fields := strings.Fields(rest)
	var kept []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		name, isFlag := strings.CutPrefix(f, "--team=")
		if !isFlag && f == "--team" {
			isFlag, name = true, ""
			if i+1 < len(fields) {
				i++
				name = fields[i]
			}
		}
		if !isFlag {
			kept = append(kept, f)
			continue
		}
		switch {
		case name == "":
			return "", "", bot.Errorf(bot.EINVALID, "Name the team after --team, like --team ro-care: %s", cmd.Usage())
		case team != "":
			return "", "", bot.Errorf(bot.EINVALID, "Name one team at most; you wrote --team %s and --team %s.", team, name)
		}
		team = name
	}
	return team, strings.Join(kept, " "), nil
}

func ticketNumber(word string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(word, "#"), 10, 64)
	return n, err == nil && n > 0
}
