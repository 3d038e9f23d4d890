//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Discord

package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
	"caredesk/handlers"
)

// commandName is the one application command; its subcommands are the
// grammar's commands.
const commandName = "desk"

// Discord's limits on a command's texts.
const (
	maxDescription100 = 100  // a command's or option's description
	maxTextOption     = 4000 // what caredesk accepts in a text option
)

// deskCommand is /desk as Discord shows it, built from handlers.Commands:
// one subcommand per command of the grammar, an option per argument, so a
// command added to the grammar appears on Discord by itself. A command of
// several words ("rota week") is one subcommand with its words joined by
// hyphens ("rota-week"): Discord's subcommand groups cannot hold "rota"
// and "rota week" at once. Discord requires required options before
// optional ones, so they are sorted.
func deskCommand() *discordgo.ApplicationCommand {
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	c := &discordgo.ApplicationCommand{
		Name: commandName, Type: discordgo.ChatApplicationCommand,
		Description: "Work customer tickets with caredesk",
		Contexts:    &guildOnly,
	}
	for _, hc := range handlers.Commands {
		sub := &discordgo.ApplicationCommandOption{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: subcommandName(hc), Description: clip(hc.Summary, maxDescription100),
		}
		var optional []*discordgo.ApplicationCommandOption
		for _, a := range hc.Args {
			if o := commandOption(a); o.Required {
				sub.Options = append(sub.Options, o)
			} else {
				optional = append(optional, o)
			}
		}
		sub.Options = append(sub.Options, optional...)
		c.Options = append(c.Options, sub)
	}
	return c
}

// subcommandName is the name of c on Discord: its words joined by hyphens.
func subcommandName(c handlers.Command) string { return strings.Join(c.Words(), "-") }

// commandOption is the option for an argument of the grammar: a ticket is
// an integer, optional because a thread implies it; a user is Discord's
// user picker; a time and text are strings.
func commandOption(a handlers.Arg) *discordgo.ApplicationCommandOption {
	o := &discordgo.ApplicationCommandOption{Name: a.Name, Description: clip(a.Summary, maxDescription100), Required: !a.Optional}
	switch a.Kind {
	case handlers.ArgTicket:
		one := 1.0
		o.Type, o.MinValue = discordgo.ApplicationCommandOptionInteger, &one
	case handlers.ArgUser:
		o.Type = discordgo.ApplicationCommandOptionUser
	default:
		o.Type, o.MaxLength = discordgo.ApplicationCommandOptionString, maxTextOption
	}
	return o
}

// RegisterCommands registers /desk in the guild, replacing whatever
// commands the application had there: a bulk overwrite, so running it at
// every start is harmless and removes commands caredesk no longer has.
// Guild commands show at once, unlike global ones.
func (d *Discord) RegisterCommands(ctx context.Context) error {
	switch {
	case d.opts.GuildID == "":
		return errors.New("DISCORD_GUILD_ID is empty: /desk is registered in the team's server; with Developer Mode on, right-click the server's icon and Copy Server ID")
	case d.opts.ApplicationID == "":
		return errors.New("DISCORD_APPLICATION_ID is empty: copy the Application ID from the General Information page of your application in the Developer Portal")
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	cmds, err := d.s.ApplicationCommandBulkOverwrite(d.opts.ApplicationID, d.opts.GuildID,
		[]*discordgo.ApplicationCommand{deskCommand()}, discordgo.WithContext(ctx))
	if err != nil {
		return d.commandsError(err)
	}
	d.log.Info("registered /desk", "guild", d.opts.GuildID, "commands", len(cmds), "subcommands", len(handlers.Commands))
	return nil
}

func (d *Discord) commandsError(err error) error {
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		return fmt.Errorf("cannot reach Discord at %s to register /desk: %w", d.opts.APIURL, describe(err))
	}
	switch status, code := restStatus(re); {
	case code == discordgo.ErrCodeUnknownGuild || status == http.StatusNotFound:
		return fmt.Errorf("DISCORD_GUILD_ID %s is not a server the bot is in: add the bot with %s", d.opts.GuildID, InviteURL(d.opts.ApplicationID))
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return fmt.Errorf("Discord does not let caredesk register /desk in DISCORD_GUILD_ID %s (%v): check that DISCORD_APPLICATION_ID %s is this bot's application, and add the bot again with the applications.commands scope: %s",
			d.opts.GuildID, describe(err), d.opts.ApplicationID, InviteURL(d.opts.ApplicationID))
	}
	return fmt.Errorf("Discord refused the /desk command: %w", describe(err))
}

// commandAction is what a /desk interaction asks: the grammar's line
// rebuilt from the options, for handlers.Runner.Command to parse like any
// desk's. ambiguous is set when the line would read differently from what
// was meant: without a ticket option, a text starting with a number ("12
// boxes arrived") would become the ticket.
type commandAction struct {
	cmd       handlers.Command
	line      string
	rest      string // the line after the command's words
	ambiguous bool
}

func commandLine(data discordgo.ApplicationCommandInteractionData) commandAction {
	if len(data.Options) == 0 {
		return commandAction{line: string(handlers.Help)}
	}
	sub := data.Options[0]
	var cmd handlers.Command
	for _, c := range handlers.Commands {
		if subcommandName(c) == sub.Name {
			cmd = c
		}
	}
	if cmd.Verb == "" {
		return commandAction{line: sub.Name} // the grammar says it does not know it
	}
	var words []string
	ticket, hasTicketArg := false, false
	for _, arg := range cmd.Args {
		hasTicketArg = hasTicketArg || arg.Kind == handlers.ArgTicket
		opt := sub.GetOption(arg.Name)
		if opt == nil || opt.Value == nil {
			continue
		}
		switch arg.Kind {
		case handlers.ArgTicket:
			if n, ok := integer(opt.Value); ok {
				words = append(words, strconv.FormatInt(n, 10))
				ticket = true
			}
		case handlers.ArgUser:
			words = append(words, "<@"+fmt.Sprint(opt.Value)+">")
		case handlers.ArgTeam:
			if arg.Optional {
				words = append(words, "--team") // as typed on Slack
			}
			words = append(words, strings.TrimSpace(fmt.Sprint(opt.Value)))
		default:
			words = append(words, strings.TrimSpace(fmt.Sprint(opt.Value)))
		}
	}
	ca := commandAction{cmd: cmd, rest: strings.Join(words, " ")}
	ca.line = strings.TrimSpace(string(cmd.Verb) + " " + ca.rest)
	if first := strings.Fields(ca.rest); hasTicketArg && !ticket && len(first) > 0 {
		ca.ambiguous = looksLikeTicket(first[0])
	}
	return ca
}

// integer reads an INTEGER option's value, a JSON number.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), n >= 1
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil && i >= 1
	}
	return 0, false
}

// looksLikeTicket is what the grammar would read as a ticket number.
func looksLikeTicket(word string) bool {
	n, err := strconv.ParseInt(strings.TrimPrefix(word, "#"), 10, 64)
	return err == nil && n > 0
}

// buttonVerb reads the verb and ticket of a caredesk button,
// "caredesk:claim:12". Any command of the grammar that needs nothing but
// a ticket can be a button.
func buttonVerb(customID string) (bot.Verb, int64, bool) {
	rest, ok := strings.CutPrefix(customID, customIDPrefix)
	if !ok {
		return "", 0, false
	}
	name, number, ok := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(number, 10, 64)
	if !ok || err != nil || n <= 0 {
		return "", 0, false
	}
	verb, ok := handlers.ButtonVerb(name)
	return verb, n, ok
}
