package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/bwmarrin/discordgo"
	slackapi "github.com/slack-go/slack"

	"caredesk/adapters/discord"
	"caredesk/adapters/slack"
	"caredesk/adapters/telegram"
	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/config"
	"caredesk/health"
)

// networks are the connections the configuration asks for: one desk, and
// the sources customers write on.
type networks struct {
	desk     bot.Desk
	slack    *slack.Desk      // nil unless Slack is the desk
	discord  *discord.Discord // nil unless Discord is the desk or a source
	telegram *telegram.Client // nil without TELEGRAM_BOT_TOKEN
	hooks    []webhook.Source // webhook sources from the file
	// listeners are the file's feeds and accounts caredesk polls itself.
	listeners []listener
	sources   map[string]bot.Source
	// byLeader are the reports of the parts whose connection only the
	// leading replica holds (Telegram's long poll, the Discord gateway).
	byLeader []func(ok bool, reason string)
}

// follow resets the parts the leader's connections report, on a replica
// that does not lead: it has nothing of its own to say about them, and
// they must not keep it out of its load balancer (/readyz's role line
// says who leads).
func (n *networks) follow() {
	for _, report := range n.byLeader {
		report(true, "")
	}
}

// connect opens and checks every network cfg names, so that a wrong token
// stops caredesk at start with a sentence, not at the first complaint. The
// desk and each source go on board, and report their state to it.
// lateCore is the core as the sources see it for what is not a message: a
// customer's score, a customer blocking the bot. The core is made after
// the networks are connected, so they get this, which reaches it then.
type lateCore struct{ core **bot.Bot }

// Rate hands a customer's score to the core.
func (l lateCore) Rate(ctx context.Context, r bot.Rating) error { return (*l.core).Rate(ctx, r) }

// Reachable tells the core a customer blocked the bot or started it again.
func (l lateCore) Reachable(ctx context.Context, r bot.Reachability) error {
	return (*l.core).Reachable(ctx, r)
}

func connect(ctx context.Context, cfg config.Config, log *slog.Logger, board *health.Board, core lateCore) (*networks, error) {
	wait := startRetry
	for {
		n, err := connectOnce(ctx, cfg, log, board, core)
		if err == nil {
			return n, nil
		}
		if !unreachable(err) {
			return nil, refusedAtStart{err}
		}
		// A network briefly away at boot (a Slack outage, a DNS hiccup, a
		// proxy starting with caredesk) is waited out, not a crash loop;
		// a token it rejects is not: that stops caredesk with its sentence.
		log.Warn("a network cannot be reached at start; caredesk tries again", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, errStoppedAtStart
		case <-time.After(wait):
		}
		wait = min(wait*2, startRetryMax)
	}
}

// refusedAtStart is a network's refusal of a setting at start (a token it
// rejects, a channel the bot is not in): a mistake in the settings, said
// as they are (exit 2), not a failure of caredesk.
type refusedAtStart struct{ err error }

func (r refusedAtStart) Error() string { return r.err.Error() }
func (r refusedAtStart) Unwrap() error { return r.err }

// errStoppedAtStart is a stop (SIGTERM) while caredesk waited to reach
// the networks at start: asked for, so no failure.
var errStoppedAtStart = errors.New("stopped while waiting to reach the networks at start")

// The waits between tries to reach the networks at start: one second,
// doubling up to half a minute.
const (
	startRetry    = time.Second
	startRetryMax = 30 * time.Second
)

// unreachable reports whether err is a network's absence rather than its
// answer: no connection, a timeout, or a 5xx or 429 from its API.
func unreachable(err error) bool {
	var urlErr *url.Error
	var netErr net.Error
	var slackStatus slackapi.StatusCodeError
	var discordStatus *discordgo.RESTError
	switch {
	case errors.As(err, &urlErr), errors.As(err, &netErr):
		return true
	case errors.As(err, &slackStatus):
		return slackStatus.Code >= 500 || slackStatus.Code == http.StatusTooManyRequests
	case errors.As(err, &discordStatus) && discordStatus.Response != nil:
		code := discordStatus.Response.StatusCode
		return code >= 500 || code == http.StatusTooManyRequests
	}
	return false
}

// connectOnce is one try of connect. A try that fails closes what it
// opened, so that the next starts clean.
func connectOnce(ctx context.Context, cfg config.Config, log *slog.Logger, board *health.Board, core lateCore) (_ *networks, err error) {
	n := &networks{sources: map[string]bot.Source{}}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	if cfg.Discord.Desk() || cfg.Discord.Source() {
		// One gateway serves both roles: its state is the desk's and the
		// community's.
		var parts []*health.Part
		if cfg.Discord.Desk() {
			parts = append(parts, board.Desk("desk", "the Discord desk"))
		}
		if cfg.Discord.Source() {
			parts = append(parts, board.Source(discord.SourceName, "Discord"))
		}
		onState := func(ok bool, reason string) {
			for _, p := range parts {
				p.Report(ok, reason)
			}
		}
		d, err := discord.New(ctx, discord.Options{
			Token: cfg.Discord.Token, ApplicationID: cfg.Discord.ApplicationID, GuildID: cfg.Discord.GuildID,
			DeskChannelID: cfg.Discord.DeskChannelID, SourceChannelIDs: cfg.Discord.SourceChannelIDs,
			TeamChannels: teamChannels(cfg.File),
			AcceptDMs:    cfg.Discord.AcceptDMs, APIURL: cfg.Discord.APIURL,
			ClaimEmoji: cfg.Discord.ClaimEmoji, ResolveEmoji: cfg.Discord.ResolveEmoji,
			HighReach: cfg.File.HighReach, Logger: log.With("network", "discord"), OnState: onState, Rater: core,
			MaxFileSize: cfg.Discord.MaxFileSize, CatchUp: catchUp(cfg),
		})
		if err != nil {
			return nil, err
		}
		n.discord = d
		n.sources[discord.SourceName] = d
		n.byLeader = append(n.byLeader, onState)
	}
	if cfg.Discord.Desk() {
		if err := n.discord.RegisterCommands(ctx); err != nil {
			return nil, err
		}
		n.desk = n.discord
	} else {
		desk := board.Desk("desk", "the Slack desk")
		s, err := slack.New(ctx, slack.Options{
			BotToken: cfg.Slack.BotToken, SigningSecret: cfg.Slack.SigningSecret, AppToken: cfg.Slack.AppToken,
			ChannelID: cfg.Slack.ChannelID, TeamChannels: teamChannels(cfg.File), APIURL: cfg.Slack.APIURL,
			ClaimEmoji: cfg.Slack.ClaimEmoji, ResolveEmoji: cfg.Slack.ResolveEmoji,
			HighReach: cfg.File.HighReach, Logger: log.With("network", "slack"), OnState: desk.Report,
			PostRate: cfg.File.Storm.Rate, // the pace storm mode counts on is the pace posts keep
		})
		if err != nil {
			return nil, err
		}
		if !cfg.Slack.SocketMode() {
			desk.Report(true, "") // Slack reaches caredesk; auth.test just passed
		}
		n.slack, n.desk = s, s
	}
	if cfg.HasTelegram() {
		part := board.Source(telegram.SourceName, "Telegram")
		tg, err := telegram.New(ctx, telegram.Options{
			Token: cfg.Telegram.Token, APIURL: cfg.Telegram.APIURL,
			WebhookURL: cfg.Telegram.WebhookURL, WebhookSecret: cfg.Telegram.WebhookSecret,
			PollTimeout: cfg.Telegram.PollTimeout, Logger: log.With("network", "telegram"),
			OnState: part.Report, Rater: core, Reacher: core,
		})
		if err != nil {
			return nil, err
		}
		part.Report(true, "") // getMe just took the token
		n.telegram = tg
		if cfg.Telegram.WebhookURL == "" {
			n.byLeader = append(n.byLeader, part.Report)
		}
		n.sources[telegram.SourceName] = tg
	}
	for _, w := range cfg.File.Webhooks {
		src := webhook.Source{Name: w.Name, Secret: w.Secret, ReplyURL: w.ReplyURL, Display: w.Display, FetchAttachments: w.FetchAttachments}
		part := board.Source(webhook.SourceName(w.Name), w.Display)
		part.Report(true, "") // a bridge has nothing to connect; it may only fall silent
		if w.SilenceAlarm > 0 {
			part.WatchSilence(w.SilenceAlarm)
		}
		n.hooks = append(n.hooks, src)
		n.sources[webhook.SourceName(w.Name)] = webhook.NewClient(src, webhook.ClientOptions{
			Logger:    log.With("network", "webhook", "source", w.Name),
			PublicURL: cfg.PublicURL, LinkTTL: cfg.File.Files.LinkTTL, MaxFile: cfg.File.Files.MaxFile,
		})
	}
	if n.listeners, err = listeners(cfg, log, board, n.sources); err != nil {
		return nil, err
	}
	for _, l := range n.listeners {
		n.byLeader = append(n.byLeader, l.part.Report)
	}
	return n, nil
}

// catchUp is how far back a new gateway session reads what people wrote
// on Discord: past a change of leader (up to CAREDESK_LEADER_TAKEOVER,
// and the old leader's 10 s drain) with room to spare, and a restart of a
// few minutes.
func catchUp(cfg config.Config) time.Duration {
	return max(10*time.Minute, 2*cfg.LeaderTakeover+time.Minute)
}

// close releases what connect opened.
func (n *networks) close() {
	if n.discord != nil {
		_ = n.discord.Close()
	}
	if n.telegram != nil {
		_ = n.telegram.Close()
	}
}

// deskName is the desk for the start-up log line.
func (n *networks) deskName(cfg config.Config) string {
	switch {
	case n.discord != nil && cfg.Discord.Desk():
		return "discord"
	case cfg.Slack.SocketMode():
		return "slack (socket mode)"
	}
	return "slack (http /slack/events)"
}
