package slack

import (
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"caredesk/bot"
	"caredesk/handlers"
)

// lastRetry is the number of Slack's last retry of an event: after it,
// Slack gives the event up.
const lastRetry = 3

// handleEvent hands an Events API event to the core. It returns an error
// only when Slack should deliver the event again: the core failed inside,
// and Slack has retries left. retry is Slack's retry number, 0 at first.
func (d *Desk) handleEvent(ctx context.Context, r handlers.Runner, ev slackevents.EventsAPIEvent, retry int) error {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return nil
	}
	a, where, ok := d.eventAction(cb.EventID, ev.InnerEvent)
	if !ok {
		return nil
	}
	if retry > 0 {
		// The core de-duplicates by event id; this is only for the log.
		d.log.Info("Slack delivered an event again", "event_id", cb.EventID, "retry", retry)
	}
	return d.act(ctx, r, a, where, retry >= lastRetry)
}

// eventAction reads what an agent did from an event, and where an answer
// to them belongs (a thread, or "" for the channel). ok is false for
// everything caredesk leaves alone: other channels, bots (caredesk
// itself included), edits and deletions, root messages, other emoji.
func (d *Desk) eventAction(eventID string, inner slackevents.EventsAPIInnerEvent) (a bot.Action, where string, ok bool) {
	switch e := inner.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		if e.Item.Type != "message" || !d.ours(e.Item.Channel) || e.User == "" || e.User == d.botUser {
			return a, "", false
		}
		var verb bot.Verb
		switch emoji, _, _ := strings.Cut(e.Reaction, "::"); emoji { // skin tones count: raising_hand::skin-tone-3
		case d.opts.ClaimEmoji:
			verb = bot.DoClaim
		case d.opts.ResolveEmoji:
			verb = bot.DoResolve
		default:
			return a, "", false
		}
		return bot.Action{Verb: verb, Thread: e.Item.Timestamp, Channel: e.Item.Channel, Agent: bot.Agent{ID: e.User}, EventID: eventID, Whisper: true}, "", true
	case *slackevents.MessageEvent:
		if !d.ours(e.Channel) {
			return a, "", false
		}
		switch e.SubType {
		case "message_changed":
			return d.changed(eventID, e)
		case "message_deleted":
			return d.deleted(eventID, e)
		case "", "thread_broadcast", "file_share":
		default:
			return a, "", false
		}
		inThread := e.ThreadTimeStamp != "" && e.ThreadTimeStamp != e.TimeStamp
		byPerson := e.BotID == "" && e.User != "" && e.User != d.botUser
		if !inThread || !byPerson {
			return a, "", false
		}
		return bot.Action{
			Verb: bot.DoSay, Thread: e.ThreadTimeStamp, Channel: e.Channel, Agent: bot.Agent{ID: e.User},
			Text: plainText(e.Text), Ref: e.TimeStamp, EventID: eventID, Whisper: true, Files: agentFiles(e.Message),
		}, e.ThreadTimeStamp, true
	}
	return a, "", false
}

// changed is an agent's edit of their message in a ticket's thread. Slack
// also reports caredesk's own edits (a root re-rendered, a ✔ added) and
// link previews as changes; the first are left here, the core ignores the
// second (the text is the same).
func (d *Desk) changed(eventID string, e *slackevents.MessageEvent) (bot.Action, string, bool) {
	m := e.Message
	if m == nil || m.BotID != "" || m.User == "" || m.User == d.botUser || m.ThreadTimestamp == "" || m.ThreadTimestamp == m.Timestamp {
		return bot.Action{}, "", false
	}
	return bot.Action{
		Verb: bot.DoEdit, Thread: m.ThreadTimestamp, Channel: e.Channel, Agent: bot.Agent{ID: m.User},
		Text: plainText(m.Text), Ref: m.Timestamp, EventID: eventID, Whisper: true,
	}, m.ThreadTimestamp, true
}

// deleted is an agent deleting their message in a ticket's thread.
func (d *Desk) deleted(eventID string, e *slackevents.MessageEvent) (bot.Action, string, bool) {
	m := e.PreviousMessage
	if m == nil || m.BotID != "" || m.User == "" || m.User == d.botUser || m.ThreadTimestamp == "" || e.DeletedTimeStamp == m.ThreadTimestamp {
		return bot.Action{}, "", false
	}
	return bot.Action{
		Verb: bot.DoDelete, Thread: m.ThreadTimestamp, Channel: e.Channel, Agent: bot.Agent{ID: m.User},
		Ref: e.DeletedTimeStamp, EventID: eventID, Whisper: true,
	}, m.ThreadTimestamp, true
}

// agentFiles are the files an agent shared with a thread message, for the
// core to fetch (Fetch) when they go to the customer.
func agentFiles(m *slackapi.Msg) []bot.Attachment {
	if m == nil || len(m.Files) == 0 {
		return nil
	}
	files := make([]bot.Attachment, 0, len(m.Files))
	for _, f := range m.Files {
		origin := f.URLPrivateDownload
		if origin == "" {
			origin = f.URLPrivate
		}
		files = append(files, bot.Attachment{
			Kind: bot.KindOf(f.Mimetype), Name: f.Name, MIME: f.Mimetype, Size: int64(f.Size),
			From: bot.FromDesk, Origin: origin,
		})
	}
	return files
}

// act hands a to the core. With Whisper the core tells the agent the
// outcome itself, through the outbox. What it refuses (an application
// error: "#12 is already claimed…") rolled back with the refused change,
// so the adapter tells the agent directly. An internal failure returns the
// error, for Slack to deliver the event again, unless this was the last
// try: then the agent gets the apology, as from a command.
func (d *Desk) act(ctx context.Context, r handlers.Runner, a bot.Action, where string, lastTry bool) error {
	_, err := r.Actor.Act(ctx, a)
	switch {
	case err == nil:
		return nil
	case bot.ErrorMessage(err) != "":
		d.tell(ctx, a.Channel, a.Agent.ID, where, bot.ErrorMessage(err))
		return nil
	case !lastTry:
		// A full disk fails every event alike: one line a minute says so.
		d.quiet.Log(slog.LevelError, "slack event failed", "caredesk failed on a Slack event; Slack will deliver it again",
			"event_id", a.EventID, "verb", a.Verb, "agent", a.Agent.ID, "err", err)
		return err
	}
	d.tell(ctx, a.Channel, a.Agent.ID, where, apology(ctx, r, a, err))
	return nil
}

// tell shows text to an agent at once. It is best effort: the agent can
// act again, and the failure is logged.
func (d *Desk) tell(ctx context.Context, channel, agentID, thread, text string) {
	if err := d.whisper(ctx, channel, agentID, thread, text); err != nil {
		d.log.Warn("could not show an answer to an agent", "agent", agentID, "err", err)
	}
}

// apology words an internal failure through the shared grammar, so that
// both desks say it the same way and the error gets its id in the log.
func apology(ctx context.Context, r handlers.Runner, a bot.Action, err error) string {
	return handlers.Runner{Actor: failed{err}, Log: r.Log}.Do(ctx, a)
}

// failed is an Actor that fails with err, to reach handlers' wording.
type failed struct{ err error }

// Act fails.
func (f failed) Act(context.Context, bot.Action) (bot.Result, error) { return bot.Result{}, f.err }

// command runs a slash command and returns the answer for the agent,
// ready for Slack. A slash command has no thread: the line names the ticket.
func (d *Desk) command(ctx context.Context, r handlers.Runner, c slackapi.SlashCommand) string {
	agent := bot.Agent{ID: c.UserID, Name: c.UserName}
	return safe(r.Command(ctx, agent, plainText(c.Text), "", c.ChannelID, c.TriggerID))
}

// interaction runs the clicks on caredesk's buttons. Slack does not
// retry clicks, so every outcome ends with the click acknowledged.
func (d *Desk) interaction(ctx context.Context, r handlers.Runner, cb slackapi.InteractionCallback) {
	if cb.Type != slackapi.InteractionTypeBlockActions {
		return
	}
	for _, click := range cb.ActionCallback.BlockActions {
		verb, ok := buttonVerb(click.ActionID)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(click.Value, 10, 64)
		if err != nil {
			continue
		}
		_ = d.act(ctx, r, bot.Action{
			Verb: verb, Ticket: n, Channel: cb.Channel.ID, Agent: bot.Agent{ID: cb.User.ID, Name: cb.User.Name},
			EventID: "action:" + click.ActionTs + ":" + cb.User.ID, Whisper: true,
		}, "", true)
	}
}

// buttonVerb reads the verb of a caredesk button. Any command of the
// grammar that needs nothing but a ticket can be a button.
func buttonVerb(actionID string) (bot.Verb, bool) {
	name, ok := strings.CutPrefix(actionID, actionPrefix)
	if !ok {
		return "", false
	}
	return handlers.ButtonVerb(name)
}

var (
	controlSequence = regexp.MustCompile(`<([^<>]*)>`)
	unescaper       = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// plainText turns text as Slack delivers it into what the agent typed:
// links as their address, channel and group mentions as words, entities as
// characters. User mentions stay <@U…>, which the command grammar reads
// and the core writes back as mentions.
func plainText(s string) string {
	s = controlSequence.ReplaceAllStringFunc(s, func(seq string) string {
		target, label, labelled := strings.Cut(seq[1:len(seq)-1], "|")
		switch {
		case strings.HasPrefix(target, "@"):
			return seq
		case strings.HasPrefix(target, "#"):
			if labelled && label != "" {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!subteam^"), strings.HasPrefix(target, "!date^"):
			return label
		case strings.HasPrefix(target, "!"):
			return "@" + strings.TrimPrefix(target, "!")
		case strings.HasPrefix(target, "mailto:"):
			return strings.TrimPrefix(target, "mailto:")
		}
		bare := strings.TrimPrefix(strings.TrimPrefix(target, "https://"), "http://")
		if !labelled || label == target || label == bare {
			if labelled {
				return label // the agent typed "example.com"; Slack made it a link
			}
			return target
		}
		return label + " (" + target + ")"
	})
	return unescaper.Replace(s)
}
