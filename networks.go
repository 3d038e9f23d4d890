package main

import (
	"context"
	"log/slog"

	"caredesk/adapters/discord"
	"caredesk/adapters/slack"
	"caredesk/adapters/telegram"
	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/config"
)

// networks are the connections the configuration asks for: one desk, and
// the sources customers write on.
type networks struct {
	desk     bot.Desk
	slack    *slack.Desk      // nil unless Slack is the desk
	discord  *discord.Discord // nil unless Discord is the desk or a source
	telegram *telegram.Client // nil without TELEGRAM_BOT_TOKEN
	hooks    []webhook.Source // webhook sources from the file
	sources  map[string]bot.Source
}

// connect opens and checks every network cfg names, so that a wrong token
// stops caredesk at start with a sentence, not at the first complaint.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger) (*networks, error) {
	n := &networks{sources: map[string]bot.Source{}}
	if cfg.Discord.Desk() || cfg.Discord.Source() {
		d, err := discord.New(ctx, discord.Options{
			Token: cfg.Discord.Token, ApplicationID: cfg.Discord.ApplicationID, GuildID: cfg.Discord.GuildID,
			DeskChannelID: cfg.Discord.DeskChannelID, SourceChannelIDs: cfg.Discord.SourceChannelIDs,
			AcceptDMs: cfg.Discord.AcceptDMs, APIURL: cfg.Discord.APIURL,
			ClaimEmoji: cfg.Discord.ClaimEmoji, ResolveEmoji: cfg.Discord.ResolveEmoji,
			HighReach: cfg.File.HighReach, Logger: log.With("network", "discord"),
		})
		if err != nil {
			return nil, err
		}
		n.discord = d
		n.sources[discord.SourceName] = d
	}
	if cfg.Discord.Desk() {
		if err := n.discord.RegisterCommands(ctx); err != nil {
			return nil, err
		}
		n.desk = n.discord
	} else {
		s, err := slack.New(ctx, slack.Options{
			BotToken: cfg.Slack.BotToken, SigningSecret: cfg.Slack.SigningSecret, AppToken: cfg.Slack.AppToken,
			ChannelID: cfg.Slack.ChannelID, APIURL: cfg.Slack.APIURL,
			ClaimEmoji: cfg.Slack.ClaimEmoji, ResolveEmoji: cfg.Slack.ResolveEmoji,
			HighReach: cfg.File.HighReach, Logger: log.With("network", "slack"),
		})
		if err != nil {
			return nil, err
		}
		n.slack, n.desk = s, s
	}
	if cfg.HasTelegram() {
		tg, err := telegram.New(ctx, telegram.Options{
			Token: cfg.Telegram.Token, APIURL: cfg.Telegram.APIURL,
			WebhookURL: cfg.Telegram.WebhookURL, WebhookSecret: cfg.Telegram.WebhookSecret,
			PollTimeout: cfg.Telegram.PollTimeout, Logger: log.With("network", "telegram"),
		})
		if err != nil {
			return nil, err
		}
		n.telegram = tg
		n.sources[telegram.SourceName] = tg
	}
	for _, w := range cfg.File.Webhooks {
		src := webhook.Source{Name: w.Name, Secret: w.Secret, ReplyURL: w.ReplyURL, Display: w.Display}
		n.hooks = append(n.hooks, src)
		n.sources[webhook.SourceName(w.Name)] = webhook.NewClient(src, webhook.ClientOptions{Logger: log.With("network", "webhook", "source", w.Name)})
	}
	return n, nil
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
