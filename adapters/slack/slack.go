//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Slack

// Package slack is caredesk's desk on Slack. Tickets are root messages of
// one channel with buttons, and their threads are the conversations; what
// agents do there (a slash command, a button, an emoji on a root, a message
// in a ticket's thread) becomes a core action, and the core's desk jobs
// become Web API calls. Slack reaches caredesk over HTTP (Handler) or over
// Socket Mode (RunSocketMode); both share one set of rules.
package slack

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/time/rate"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"caredesk/quietlog"
)

// Options configure the Slack desk. BotToken and ChannelID are required,
// and SigningSecret (HTTP mode) or AppToken (Socket Mode).
type Options struct {
	BotToken      string // xoxb-…, the Bot User OAuth Token
	SigningSecret string // verifies requests in HTTP mode
	AppToken      string // xapp-…, an app-level token with connections:write, for Socket Mode
	ChannelID     string // the desk channel, C…
	// TeamChannels are the teams' channels (the YAML file's teams), by
	// channel id with the team's name, each checked at start like
	// ChannelID; agents work tickets in all of them.
	TeamChannels map[string]string
	APIURL       string // the Web API base with its trailing slash; default https://slack.com/api/
	ClaimEmoji   string // an emoji on a ticket's root that claims it; default raising_hand
	ResolveEmoji string // one that resolves it; default white_check_mark
	HTTPClient   *http.Client
	Logger       *slog.Logger
	Now          func() time.Time // for deadlines shown on tickets
	// HighReach is the follower count from which a ticket's root carries a
	// "high reach" badge; 0 for never.
	HighReach int
	// PostRate and PostBurst are how fast caredesk posts to a channel (or
	// edits there) once Slack has answered 429 to such a call there (default 1 a second, bursts of 3,
	// Slack's documented pace); PacedFor is how long that lasts after the
	// channel's last 429 (default an hour).
	PostRate  float64
	PostBurst int
	PacedFor  time.Duration
	// OnState, when set, hears whether the Socket Mode connection is up:
	// ok, or not with a sentence that says why. nil: no one listens.
	OnState func(ok bool, reason string)
}

// Desk is the team's Slack channel, as the core sees it (bot.Desk) and as
// Slack's events reach caredesk (Handler, RunSocketMode).
type Desk struct {
	names sync.Map // user id → display name, for Names
	api   *slackapi.Client
	// bulk is api with time for files' bytes: the 30 s that suit every
	// other call would cut off a 20 MB upload on a slow link.
	bulk    *slackapi.Client
	opts    Options
	log     *slog.Logger
	quiet   *quietlog.Limiter // for what a flood or an outage repeats
	botUser string            // the bot's own user id: its messages and reactions are not agents'
	botID   string
	pace    *pacer // chat.postMessage per channel, after a 429
	// workspace is the workspace's address, "https://acme.slack.com/",
	// for links to threads.
	workspace string
}

// New connects to Slack: it checks the bot token (auth.test) and that the
// bot is in the desk channel (conversations.info), so that a wrong setting
// stops caredesk at start with a sentence that says what to fix.
func New(ctx context.Context, o Options) (*Desk, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.APIURL == "" {
		o.APIURL = slackapi.APIURL
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	if o.ClaimEmoji == "" {
		o.ClaimEmoji = "raising_hand"
	}
	if o.ResolveEmoji == "" {
		o.ResolveEmoji = "white_check_mark"
	}
	o.ClaimEmoji, o.ResolveEmoji = strings.Trim(o.ClaimEmoji, ":"), strings.Trim(o.ResolveEmoji, ":")
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	opts := []slackapi.Option{slackapi.OptionAPIURL(o.APIURL), slackapi.OptionHTTPClient(o.HTTPClient)}
	if o.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(o.AppToken))
	}
	if o.PostRate <= 0 {
		o.PostRate = 1
	}
	if o.PostBurst <= 0 {
		o.PostBurst = 3
	}
	if o.PacedFor <= 0 {
		o.PacedFor = time.Hour
	}
	d := &Desk{api: slackapi.New(o.BotToken, opts...), opts: o, log: o.Logger.With("desk", "slack"),
		pace: &pacer{every: rate.Limit(o.PostRate), burst: o.PostBurst, hold: o.PacedFor}}
	bulk := *o.HTTPClient
	bulk.Timeout = max(bulk.Timeout, fileTimeout)
	d.bulk = slackapi.New(o.BotToken, slackapi.OptionAPIURL(o.APIURL), slackapi.OptionHTTPClient(&bulk))
	d.quiet = quietlog.New(d.log, time.Minute)

	auth, err := d.api.AuthTestContext(ctx)
	if err != nil {
		return nil, d.authError(err)
	}
	d.botUser, d.botID, d.workspace = auth.UserID, auth.BotID, auth.URL
	// Every channel is checked, and every problem told at once: a desk
	// with five teams is set up in one go, not five restarts.
	var problems []error
	name := "@" + auth.User
	for i, id := range append([]string{o.ChannelID}, slices.Sorted(maps.Keys(o.TeamChannels))...) {
		setting := "SLACK_CHANNEL_ID"
		if i > 0 {
			if id == o.ChannelID {
				continue
			}
			setting = "the channel of team " + o.TeamChannels[id]
		}
		ch, err := d.api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: id})
		switch {
		case err != nil:
			problems = append(problems, d.channelError(setting, id, err))
		case ch.IsArchived:
			problems = append(problems, fmt.Errorf("%s %s (#%s) is archived: unarchive it or choose another channel", setting, id, ch.Name))
		case !ch.IsMember:
			problems = append(problems, fmt.Errorf("%s is not a member of %s %s (#%s): invite it with /invite %s in that channel", name, setting, id, ch.Name, name))
		default:
			d.log.Info("connected to Slack", "team", auth.Team, "bot_user", d.botUser, "channel", id, "channel_name", ch.Name)
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return d, nil
}

// check catches settings that cannot work before any network call.
func (o Options) check() error {
	switch {
	case o.BotToken == "":
		return errors.New("SLACK_BOT_TOKEN is empty: copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page")
	case !strings.HasPrefix(o.BotToken, "xoxb-"):
		return errors.New("SLACK_BOT_TOKEN is not a bot token: use the Bot User OAuth Token, which starts with xoxb-, from the app's OAuth & Permissions page")
	case o.AppToken != "" && !strings.HasPrefix(o.AppToken, "xapp-"):
		return errors.New("SLACK_APP_TOKEN is not an app-level token: create one, starting with xapp-, with the connections:write scope on the app's Basic Information page")
	case o.ChannelID == "":
		return errors.New("SLACK_CHANNEL_ID is empty: open the desk channel's details in Slack and copy the channel ID (C…) shown at the bottom")
	case o.SigningSecret == "" && o.AppToken == "":
		return errors.New("Slack cannot reach caredesk: set SLACK_SIGNING_SECRET (from the app's Basic Information page) to receive events over HTTP, or SLACK_APP_TOKEN (xapp-…) to use Socket Mode")
	}
	return nil
}

// authError words a failed auth.test for whoever runs caredesk. Slack's
// error codes never contain the token, so they may be quoted.
func (d *Desk) authError(err error) error {
	var se slackapi.SlackErrorResponse
	if !errors.As(err, &se) {
		return fmt.Errorf("cannot reach Slack at %s: %w", d.opts.APIURL, err)
	}
	return TokenRefused(se)
}

// TokenRefused words Slack's refusal of auth.test with SLACK_BOT_TOKEN for
// whoever runs caredesk: at start and in caredesk doctor.
func TokenRefused(se slackapi.SlackErrorResponse) error {
	switch se.Err {
	case "invalid_auth", "not_authed", "not_allowed_token_type":
		return fmt.Errorf("Slack rejected SLACK_BOT_TOKEN (%s): copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page", se.Err)
	case "account_inactive", "token_revoked", "token_expired":
		return fmt.Errorf("Slack rejected SLACK_BOT_TOKEN (%s): the app was removed or its token revoked; reinstall the app to the workspace and copy the new Bot User OAuth Token (xoxb-…)", se.Err)
	}
	return fmt.Errorf("Slack refused auth.test (%s)", se.Err)
}

// channelError words a failed conversations.info of channel, which the
// setting named.
func (d *Desk) channelError(setting, channel string, err error) error {
	var se slackapi.SlackErrorResponse
	if !errors.As(err, &se) {
		return fmt.Errorf("cannot reach Slack at %s: %w", d.opts.APIURL, err)
	}
	switch se.Err {
	case "channel_not_found":
		return fmt.Errorf("channel_not_found: check %s %s: it must be the channel's ID (C…, from the channel's details), not its name, and the channel must be one the bot can see (for a private channel, invite the bot first)", setting, channel)
	case "missing_scope":
		return fmt.Errorf("caredesk cannot look up %s %s (missing_scope): add the channels:read scope (groups:read for a private channel) on the app's OAuth & Permissions page and reinstall the app", setting, channel)
	}
	return fmt.Errorf("Slack refused conversations.info for %s %s (%s)", setting, channel, se.Err)
}
