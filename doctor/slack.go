package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	slackapi "github.com/slack-go/slack"

	"caredesk/adapters/slack"
)

// SlackScopes are the bot token scopes caredesk uses, as
// slack-app-manifest.yaml asks for them.
var SlackScopes = []string{
	"chat:write", "commands", "channels:history", "groups:history", "channels:read", "groups:read",
	"reactions:read", "reactions:write", "users:read", "im:write", "files:write", "files:read",
}

// Slack is the Slack desk to check.
type Slack struct {
	BotToken      string
	AppToken      string // "" in HTTP mode
	SigningSecret string
	APIURL        string // with its trailing slash
	// Channels are the desk channel, then each team's.
	Channels []Channel
	// HTTP makes the calls; nil is a client with a 30 s timeout.
	HTTP *http.Client
}

// Channel is a channel the bot must be in, and the setting that names it.
type Channel struct {
	ID      string
	Setting string // "SLACK_CHANNEL_ID", "the channel of team billing"
}

// SlackChecks are the checks of the Slack desk: the bot token, the bot's
// place in each channel, the app's scopes, and how Slack reaches caredesk.
func SlackChecks(s Slack) []Check {
	tap := &scopeTap{}
	client := s.HTTP
	if client == nil {
		client = &http.Client{}
	}
	tapped := *client
	tap.next = tapped.Transport
	tapped.Transport = tap
	api := slackapi.New(s.BotToken, slackapi.OptionAPIURL(s.APIURL), slackapi.OptionHTTPClient(&tapped),
		slackapi.OptionAppLevelToken(s.AppToken))
	var bot *slackapi.AuthTestResponse // nil until the token works
	needBot := func() error {
		if bot == nil {
			return Skip("SLACK_BOT_TOKEN does not work")
		}
		return nil
	}
	checks := []Check{{Name: "Slack: SLACK_BOT_TOKEN works", Run: func(ctx context.Context) error {
		auth, err := api.AuthTestContext(ctx)
		if err != nil {
			return slackAuthError(s.APIURL, err)
		}
		bot = auth
		return nil
	}}}
	for _, ch := range s.Channels {
		checks = append(checks, Check{Name: fmt.Sprintf("Slack: the bot is in %s %s", ch.Setting, ch.ID), Run: func(ctx context.Context) error {
			if err := needBot(); err != nil {
				return err
			}
			info, err := api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: ch.ID})
			name := "@" + bot.User
			switch {
			case err != nil:
				return slackChannelError(s.APIURL, ch, err)
			case info.IsArchived:
				return fmt.Errorf("#%s is archived: unarchive it or choose another channel", info.Name)
			case !info.IsMember:
				return fmt.Errorf("%s is not a member of #%s: invite it with /invite %s in that channel", name, info.Name, name)
			}
			return nil
		}})
	}
	checks = append(checks, Check{Name: "Slack: the app has every scope caredesk uses", Run: func(context.Context) error {
		if err := needBot(); err != nil {
			return err
		}
		granted, told := tap.scopes()
		if !told {
			return Skip("Slack did not say the token's scopes (no X-OAuth-Scopes header)")
		}
		var missing []string
		for _, sc := range SlackScopes {
			if !slices.Contains(granted, sc) {
				missing = append(missing, sc)
			}
		}
		if len(missing) > 0 {
			them := "them"
			if len(missing) == 1 {
				them = "it"
			}
			return fmt.Errorf("the app lacks %s: add %s under Bot Token Scopes on the app's OAuth & Permissions page (slack-app-manifest.yaml lists them all), then reinstall the app to the workspace", strings.Join(missing, ", "), them)
		}
		return nil
	}})
	if s.AppToken != "" {
		checks = append(checks, Check{Name: "Slack: SLACK_APP_TOKEN opens Socket Mode", Run: func(ctx context.Context) error {
			_, _, err := api.StartSocketModeContext(ctx)
			var se slackapi.SlackErrorResponse
			switch {
			case err == nil:
				return nil
			case !errors.As(err, &se):
				return unreachable("Slack", s.APIURL, "SLACK_API_URL", err)
			case se.Err == "invalid_auth" || se.Err == "not_authed" || se.Err == "not_allowed_token_type":
				return fmt.Errorf("Slack rejected SLACK_APP_TOKEN (%s): create an app-level token (xapp-…) with the connections:write scope on the app's Basic Information page", se.Err)
			case se.Err == "missing_scope":
				return errors.New("SLACK_APP_TOKEN lacks the connections:write scope: create an app-level token with it on the app's Basic Information page")
			}
			return fmt.Errorf("Slack refused apps.connections.open (%s): turn Socket Mode on in the app's settings, or unset SLACK_APP_TOKEN to use HTTP mode", se.Err)
		}})
	} else {
		checks = append(checks, Check{Name: "Slack: SLACK_SIGNING_SECRET is set for HTTP mode", Run: func(context.Context) error {
			if s.SigningSecret == "" {
				return errors.New("SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the app's Basic Information page, or set SLACK_APP_TOKEN to use Socket Mode")
			}
			return nil
		}})
	}
	// Said, not checked, so that the checklist names every part of the set-up.
	return append(checks, Check{Name: "Slack: /desk and the events are configured", Run: func(context.Context) error {
		return Skip("Slack shows an app's slash commands and event subscriptions to none of the tokens caredesk holds: " +
			"an app created from slack-app-manifest.yaml has them; otherwise compare its Slash Commands, Event Subscriptions and Interactivity pages with the manifest")
	}})
}

// slackAuthError words a failed auth.test.
func slackAuthError(apiURL string, err error) error {
	var se slackapi.SlackErrorResponse
	if !errors.As(err, &se) {
		return unreachable("Slack", apiURL, "SLACK_API_URL", err)
	}
	return slack.TokenRefused(se)
}

// slackChannelError words a failed conversations.info of ch.
func slackChannelError(apiURL string, ch Channel, err error) error {
	var se slackapi.SlackErrorResponse
	if !errors.As(err, &se) {
		return unreachable("Slack", apiURL, "SLACK_API_URL", err)
	}
	switch se.Err {
	case "channel_not_found":
		return fmt.Errorf("Slack finds no channel %s: %s must be the channel's ID (C…, from the channel's details), not its name, and for a private channel the bot must be invited first", ch.ID, ch.Setting)
	case "missing_scope":
		return errors.New("caredesk cannot look the channel up (missing_scope): add the channels:read scope (groups:read for a private channel) on the app's OAuth & Permissions page and reinstall the app")
	}
	return fmt.Errorf("Slack refused conversations.info for %s (%s)", ch.ID, se.Err)
}

// scopeTap notes the scopes Slack says a token has, in the X-OAuth-Scopes
// header of its Web API answers.
type scopeTap struct {
	next http.RoundTripper

	mu      sync.Mutex
	told    bool
	granted []string
}

func (t *scopeTap) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	// auth.test is made with the bot token alone: its scopes are the bot's.
	if v := resp.Header.Values("X-OAuth-Scopes"); len(v) > 0 && strings.HasSuffix(req.URL.Path, "/auth.test") {
		var granted []string
		for sc := range strings.SplitSeq(strings.Join(v, ","), ",") {
			if sc = strings.TrimSpace(sc); sc != "" {
				granted = append(granted, sc)
			}
		}
		t.mu.Lock()
		t.told, t.granted = true, granted
		t.mu.Unlock()
	}
	return resp, nil
}

func (t *scopeTap) scopes() ([]string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.granted, t.told
}
