package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"caredesk/bot"
	"caredesk/config"
	"caredesk/doctor"
	"caredesk/health"
	"caredesk/store/postgres"
	"caredesk/store/sqlite"
)

// doctorTimeout bounds each network call of `caredesk doctor`.
const doctorTimeout = 15 * time.Second

// runDoctor is `caredesk doctor`: the checklist of this set-up, exit 1
// when a check failed.
func runDoctor(ctx context.Context, getenv func(string) string, stdout io.Writer) int {
	checks, secrets := doctorChecks(getenv)
	if doctor.Run(ctx, redacting{stdout, secrets}, checks) {
		return 0
	}
	return 1
}

// redacting writes to w with every secret replaced, as the log is: the
// checks quote what networks answered, and a line of the checklist gets
// pasted into tickets and chats.
type redacting struct {
	w       io.Writer
	secrets []string
}

func (r redacting) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, scrub(string(p), r.secrets)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// doctorChecks are the checks of the set-up getenv describes, in order:
// the settings, the database, the desk, the sources, the clock.
// The secrets of the settings come with them, to keep out of the lines.
func doctorChecks(getenv func(string) string) ([]doctor.Check, []string) {
	cfg, err := config.Load(getenv)
	settings := doctor.Check{Name: "the settings and CAREDESK_CONFIG load", Run: func(context.Context) error { return err }}
	if err != nil {
		skip := func(name string) doctor.Check {
			return doctor.Check{Name: name, Run: func(context.Context) error { return doctor.Skip("the settings do not load") }}
		}
		return []doctor.Check{settings, skip("the database CAREDESK_DB"), skip("the desk"), skip("the sources"), skip("the clock")}, nil
	}
	clock := &doctor.Clock{}
	client := clock.Client(doctorTimeout)
	checks := []doctor.Check{settings, {Name: "the database CAREDESK_DB opens, is up to date and takes writes", Run: func(ctx context.Context) error {
		return doctorDatabase(ctx, cfg)
	}}}
	// The desk first, then the sources; one bot is Discord's desk and
	// community both.
	if !cfg.Discord.Desk() {
		checks = append(checks, doctor.SlackChecks(doctor.Slack{
			BotToken: cfg.Slack.BotToken, AppToken: cfg.Slack.AppToken, SigningSecret: cfg.Slack.SigningSecret,
			APIURL: cfg.Slack.APIURL, Channels: deskChannels(cfg, "SLACK_CHANNEL_ID", cfg.Slack.ChannelID), HTTP: client,
		})...)
	}
	if cfg.Discord.Desk() || cfg.Discord.Source() {
		d := doctor.Discord{Token: cfg.Discord.Token, ApplicationID: cfg.Discord.ApplicationID, GuildID: cfg.Discord.GuildID,
			APIURL: cfg.Discord.APIURL, Sources: cfg.Discord.SourceChannelIDs, HTTP: client}
		if cfg.Discord.Desk() {
			d.Desk = deskChannels(cfg, "DISCORD_DESK_CHANNEL_ID", cfg.Discord.DeskChannelID)
		}
		checks = append(checks, doctor.DiscordChecks(d)...)
	}
	if cfg.HasTelegram() {
		checks = append(checks, doctor.TelegramChecks(doctor.Telegram{
			Token: cfg.Telegram.Token, APIURL: cfg.Telegram.APIURL, WebhookURL: cfg.Telegram.WebhookURL, HTTP: client,
		})...)
	}
	checks = append(checks, listenerChecks(cfg)...)
	for _, w := range cfg.File.Webhooks {
		// Not through the clock: a bridge's Date says nothing of the networks'.
		checks = append(checks, doctor.BridgeCheck(doctor.Bridge{Name: w.Name, Secret: w.Secret, ReplyURL: w.ReplyURL,
			HTTP: &http.Client{Timeout: doctorTimeout}}))
	}
	return append(checks, clock.Check()), secretsOf(cfg)
}

// deskChannels are the desk channel, which setting names, then each
// team's channel.
func deskChannels(cfg config.Config, setting, desk string) []doctor.Channel {
	channels := []doctor.Channel{{ID: desk, Setting: setting}}
	teams := teamChannels(cfg.File)
	for _, id := range slices.Sorted(maps.Keys(teams)) {
		if id != desk {
			channels = append(channels, doctor.Channel{ID: id, Setting: "the channel of team " + teams[id]})
		}
	}
	return channels
}

// doctorDatabase opens the database as caredesk does at start, which
// brings its schema up to date, and checks that it takes a write. A SQLite
// file that does not exist yet is not made: its folder must be writable.
func doctorDatabase(ctx context.Context, cfg config.Config) error {
	quiet := slog.New(slog.DiscardHandler)
	if config.Postgres(cfg.DB) {
		// Not as this machine's replica: a running caredesk holds that name.
		db, err := postgres.Open(ctx, cfg.DB, postgres.Logger(quiet))
		if err != nil {
			return fmt.Errorf("open the PostgreSQL database CAREDESK_DB: %w", err)
		}
		defer db.Close()
		return db.Writable(ctx)
	}
	if _, err := os.Stat(cfg.DB); errors.Is(err, fs.ErrNotExist) {
		return newDatabaseFolder(cfg.DB)
	}
	db, err := openDatabase(ctx, cfg, replicaName(cfg), quiet)
	if err != nil {
		if errors.Is(err, sqlite.ErrInUse) {
			return doctor.Skip("a running caredesk has it open; `caredesk healthcheck` asks it whether it can write")
		}
		return err
	}
	defer db.Close()
	return db.Writable(ctx)
}

// newDatabaseFolder checks that caredesk can create the SQLite file path
// at its first start, without creating it.
func newDatabaseFolder(path string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".caredesk-doctor-*")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("CAREDESK_DB %s is in a folder that does not exist, %s: create it, or point CAREDESK_DB at a file in a folder that exists", path, dir)
	case err != nil:
		return fmt.Errorf("CAREDESK_DB %s cannot be created, because its folder %s cannot be written (%v): make the folder writable by the user caredesk runs as (uid %d), or point CAREDESK_DB elsewhere",
			path, dir, errors.Unwrap(err), os.Getuid())
	}
	f.Close()
	os.Remove(f.Name())
	return doctor.Skip(fmt.Sprintf("CAREDESK_DB %s does not exist yet; caredesk creates it at first start", path))
}

// listenerChecks are one call of each listener of the file, made as its
// first poll makes it: the feed's address, the Mastodon token, the
// Bluesky app password.
func listenerChecks(cfg config.Config) []doctor.Check {
	ls, err := listeners(cfg, slog.New(slog.DiscardHandler), health.New(health.Options{}), map[string]bot.Source{})
	if err != nil {
		return []doctor.Check{{Name: "the listeners", Run: func(context.Context) error { return err }}}
	}
	what := map[string]string{config.KindFeed: "its url answers with a feed", config.KindMastodon: "its access token works",
		config.KindBluesky: "its app password opens a session"}
	var checks []doctor.Check
	for _, l := range ls {
		checks = append(checks, doctor.Check{Name: fmt.Sprintf("%s source %q: %s", l.Kind, l.Name, what[l.Kind]), Run: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
			defer cancel()
			return l.check(ctx)
		}})
	}
	return checks
}
