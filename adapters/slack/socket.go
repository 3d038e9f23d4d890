package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"caredesk/handlers"
)

// RunSocketMode receives Slack's events, slash commands and clicks over a
// Socket Mode connection, for a caredesk that Slack cannot reach over
// HTTP, and handles them as Handler does. Envelopes are handled one at a
// time, in order, so that an agent's messages reach the core as written.
// It reconnects as Slack asks and returns when ctx ends, or with an error
// when Slack refuses the app-level token.
func (d *Desk) RunSocketMode(ctx context.Context, r handlers.Runner) error {
	if d.opts.AppToken == "" {
		return errors.New("socket mode needs SLACK_APP_TOKEN: create an app-level token (xapp-…) with the connections:write scope on the app's Basic Information page, and turn on Socket Mode")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := socketmode.New(d.api)
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-done
			return nil
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			return d.socketError(err)
		case evt := <-client.Events:
			d.socketEvent(ctx, client, r, evt)
		}
	}
}

// state tells Options.OnState, if set, whether Socket Mode is connected.
func (d *Desk) state(ok bool, reason string) {
	if d.opts.OnState != nil {
		d.opts.OnState(ok, reason)
	}
}

func (d *Desk) socketError(err error) error {
	switch err.Error() {
	case "invalid_auth", "not_authed", "not_allowed_token_type", "account_inactive", "token_revoked":
		//lint:ignore ST1005 a sentence for whoever runs caredesk; Slack is a proper noun
		return fmt.Errorf("Slack rejected SLACK_APP_TOKEN (%s): create an app-level token (xapp-…) with the connections:write scope on the app's Basic Information page, and turn on Socket Mode", err)
	}
	return fmt.Errorf("socket mode connection to Slack failed: %w", err)
}

// socketEvent handles one envelope and acknowledges it, except an event
// the core could not take: Slack delivers that one again.
func (d *Desk) socketEvent(ctx context.Context, client *socketmode.Client, r handlers.Runner, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		d.log.Info("connected to Slack over Socket Mode")
		d.state(true, "")
	case socketmode.EventTypeConnectionError:
		d.log.Warn("Socket Mode connection failed; trying again", "err", evt.Data)
		d.state(false, "caredesk's Socket Mode connection to Slack failed; it keeps trying. Check SLACK_API_URL and the network.")
	case socketmode.EventTypeConnecting:
		// At start, and again whenever the connection dropped or Slack
		// asked for a new one.
		d.state(false, "caredesk is connecting to Slack over Socket Mode.")
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		if err := d.handleEvent(ctx, r, ev, evt.Request.RetryAttempt); err != nil {
			return
		}
		d.ack(ctx, client, evt.Request.EnvelopeID, nil)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slackapi.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		answer := d.command(ctx, r, cmd)
		if answer == "" {
			d.ack(ctx, client, evt.Request.EnvelopeID, nil)
			return
		}
		if err := client.AckCtx(ctx, evt.Request.EnvelopeID, ephemeral(answer)); err != nil {
			// Too big for an ack (Slack drops those): say it through the Web API.
			d.ack(ctx, client, evt.Request.EnvelopeID, nil)
			d.tell(ctx, cmd.ChannelID, cmd.UserID, "", answer)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slackapi.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		d.interaction(ctx, r, cb)
		d.ack(ctx, client, evt.Request.EnvelopeID, nil)
	case socketmode.EventTypeErrorBadMessage:
		// An envelope slack-go cannot read, such as an event type it does
		// not know: acknowledged, or Slack would send it again for nothing.
		bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
		if !ok {
			return
		}
		var env struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
			d.log.Debug("ignored an envelope caredesk cannot read", "err", bad.Cause)
			d.ack(ctx, client, env.EnvelopeID, nil)
		}
	}
}

func (d *Desk) ack(ctx context.Context, client *socketmode.Client, envelopeID string, payload any) {
	if err := client.AckCtx(ctx, envelopeID, payload); err != nil {
		d.log.Warn("could not acknowledge a Socket Mode envelope", "envelope_id", envelopeID, "err", err)
	}
}
