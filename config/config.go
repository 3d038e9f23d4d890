// Package config loads caredesk's settings from the environment and checks
// them at start, so a mistake stops the bot with a sentence that names the
// variable and says what to put there, instead of failing later at 3 a.m.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of a running caredesk.
type Config struct {
	Addr string // HTTP listen address
	// MetricsAddr is where /metrics is served on a listener of its own,
	// off the public address; "" serves it on Addr.
	MetricsAddr  string
	DB           string // SQLite file
	DBAllowEmpty bool   // an existing 0-byte CAREDESK_DB is a new database, not a mistake
	SLA          time.Duration
	ReopenWindow time.Duration
	Retry        Retry
	LogLevel     slog.Level
	LogJSON      bool
	Telegram     Telegram
	Slack        Slack
	Discord      Discord
	// File is the YAML file named by CAREDESK_CONFIG, or the defaults.
	File     File
	ICSToken string // guards GET /rota.ics; "" turns the feed off
	// ExportToken guards GET /export.csv (as a Bearer token); "" turns
	// the export off.
	ExportToken string
	// Tick is how often the scheduler looks for due reminders, escalations
	// and hand-overs: their precision.
	Tick time.Duration
	// FilesDir is the folder that keeps files' bytes (CAREDESK_FILES_DIR);
	// "" on PostgreSQL, which keeps them in the database.
	FilesDir string
	// Replica names this caredesk among the replicas on one PostgreSQL
	// database (CAREDESK_REPLICA); "" lets it pick a name of its own.
	Replica string
	// LeaderTakeover bounds how long the connections one replica holds
	// (Telegram's long poll, the Discord gateway) go without a leader when
	// it dies (CAREDESK_LEADER_TAKEOVER).
	LeaderTakeover time.Duration
	// PublicURL is caredesk's address as the internet reaches it, for the
	// download links of files sent to webhook bridges; "" sends them none.
	PublicURL string
}

// Retry spaces the outbox's attempts.
type Retry struct {
	Min, Max, GiveUpAfter time.Duration
}

// Telegram is the Telegram source.
type Telegram struct {
	Token         string
	APIURL        string
	WebhookURL    string // "" means long polling
	WebhookSecret string
	PollTimeout   time.Duration
}

// Slack is the Slack desk.
type Slack struct {
	BotToken      string
	SigningSecret string
	AppToken      string // "" means HTTP mode at /slack/events
	ChannelID     string
	APIURL        string
	ClaimEmoji    string
	ResolveEmoji  string
}

const (
	slackTokenHelp   = "put the Bot User OAuth Token from your Slack app's \"OAuth & Permissions\" page there (it starts with xoxb-)"
	slackChannelHelp = "put the ID of the desk channel there, like C0123ABCD (open the channel's details; the ID is at the bottom)"
)

// Discord is the team's desk on Discord, a brand's Discord community as a
// source, or both, through one bot.
type Discord struct {
	Token            string
	ApplicationID    string
	GuildID          string
	DeskChannelID    string   // "" when the desk is Slack
	SourceChannelIDs []string // community channels whose messages are complaints
	AcceptDMs        bool     // direct messages to the bot are complaints
	// MaxFileSize is the largest file the bot posts on Discord; 0 is
	// Discord's limit in a server without boosts (10 MB).
	MaxFileSize  int64
	APIURL       string
	ClaimEmoji   string
	ResolveEmoji string
}

// Desk reports whether the team works in Discord.
func (d Discord) Desk() bool { return d.DeskChannelID != "" }

// Source reports whether complaints come from a Discord community.
func (d Discord) Source() bool { return len(d.SourceChannelIDs) > 0 || d.AcceptDMs }

var snowflake = regexp.MustCompile(`^[0-9]{15,21}$`)

const snowflakeHelp = "(in Discord, turn on Developer Mode under Settings → Advanced, then right-click → Copy ID)"

func (e *env) discord() Discord {
	d := Discord{
		Token:         strings.TrimPrefix(e.str("DISCORD_BOT_TOKEN", ""), "Bot "),
		ApplicationID: e.optionalMatch("DISCORD_APPLICATION_ID", snowflake, "put the Application ID from the Discord Developer Portal's General Information page there"),
		GuildID:       e.optionalMatch("DISCORD_GUILD_ID", snowflake, "put the server's ID there "+snowflakeHelp),
		DeskChannelID: e.optionalMatch("DISCORD_DESK_CHANNEL_ID", snowflake, "put the desk channel's ID there "+snowflakeHelp),
		APIURL:        strings.TrimRight(e.url("DISCORD_API_URL", "https://discord.com"), "/"),
		ClaimEmoji:    e.str("DISCORD_CLAIM_EMOJI", "🙋"),
		ResolveEmoji:  e.str("DISCORD_RESOLVE_EMOJI", "✅"),
	}
	for _, id := range strings.Split(e.str("DISCORD_SOURCE_CHANNEL_IDS", ""), ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if !snowflake.MatchString(id) {
			e.fail(fmt.Sprintf("DISCORD_SOURCE_CHANNEL_IDS has %q, which is not a channel ID: list the IDs of the community channels, separated by commas %s.", id, snowflakeHelp))
			continue
		}
		d.SourceChannelIDs = append(d.SourceChannelIDs, id)
	}
	d.AcceptDMs = e.boolean("DISCORD_ACCEPT_DMS")
	if v := e.str("DISCORD_MAX_FILE_SIZE", "10MB"); v != "" {
		n, err := ParseSize(v)
		if err != nil {
			e.fail("DISCORD_MAX_FILE_SIZE: " + err.Error() + "; put the largest file your server takes there (10MB without boosts, 50MB at level 2, 100MB at level 3).")
		}
		d.MaxFileSize = n
	}
	if !d.Desk() && !d.Source() {
		return d
	}
	if d.Token == "" {
		e.fail("DISCORD_BOT_TOKEN is not set: put the bot's token from the Discord Developer Portal (Bot → Reset Token) there.")
	}
	if d.Desk() {
		if d.ApplicationID == "" {
			e.fail("DISCORD_APPLICATION_ID is not set: put the Application ID from the Discord Developer Portal's General Information page there; the /desk command is registered under it.")
		}
		if d.GuildID == "" {
			e.fail("DISCORD_GUILD_ID is not set: put the ID of the server with the desk channel there " + snowflakeHelp + ".")
		}
	}
	return d
}

// SocketMode reports whether Slack events come over Socket Mode.
func (s Slack) SocketMode() bool { return s.AppToken != "" }

// Load reads the configuration through getenv (os.Getenv in production).
// The error lists every problem found, one sentence per line.
func Load(getenv func(string) string) (Config, error) {
	e := env{getenv: getenv}
	c := Config{
		Addr:         e.addr("CAREDESK_ADDR", defaultAddr),
		DB:           e.str("CAREDESK_DB", "caredesk.db"),
		DBAllowEmpty: e.boolean("CAREDESK_DB_ALLOW_EMPTY"),
		SLA:          e.duration("CAREDESK_SLA", time.Hour),
		ReopenWindow: e.duration("CAREDESK_REOPEN_WINDOW", 7*24*time.Hour),
		Retry: Retry{
			Min:         e.duration("CAREDESK_RETRY_MIN", time.Second),
			Max:         e.duration("CAREDESK_RETRY_MAX", 5*time.Minute),
			GiveUpAfter: e.duration("CAREDESK_GIVE_UP_AFTER", 24*time.Hour),
		},
		LogLevel: e.level("CAREDESK_LOG_LEVEL"),
		LogJSON:  e.oneOf("CAREDESK_LOG_FORMAT", "text", "text", "json") == "json",
		Telegram: Telegram{
			Token:         e.optionalMatch("TELEGRAM_BOT_TOKEN", telegramToken, "put the token @BotFather gave you there (it looks like 123456789:AAH…)"),
			APIURL:        e.url("TELEGRAM_API_URL", "https://api.telegram.org"),
			WebhookURL:    e.url("TELEGRAM_WEBHOOK_URL", ""),
			WebhookSecret: e.str("TELEGRAM_WEBHOOK_SECRET", ""),
			PollTimeout:   e.duration("TELEGRAM_POLL_TIMEOUT", 30*time.Second),
		},
		Slack: Slack{
			BotToken:      e.optionalMatch("SLACK_BOT_TOKEN", slackBotToken, slackTokenHelp),
			SigningSecret: e.str("SLACK_SIGNING_SECRET", ""),
			AppToken:      e.optionalMatch("SLACK_APP_TOKEN", slackAppToken, "put an app-level token with the connections:write scope there (it starts with xapp-), or unset it for HTTP mode"),
			ChannelID:     e.optionalMatch("SLACK_CHANNEL_ID", slackChannel, slackChannelHelp),
			APIURL:        e.url("SLACK_API_URL", "https://slack.com/api/"),
			ClaimEmoji:    strings.Trim(e.str("CAREDESK_CLAIM_EMOJI", "raising_hand"), ":"),
			ResolveEmoji:  strings.Trim(e.str("CAREDESK_RESOLVE_EMOJI", "white_check_mark"), ":"),
		},
	}
	if c.Slack.APIURL != "" && !strings.HasSuffix(c.Slack.APIURL, "/") {
		c.Slack.APIURL += "/" // slack-go appends method names to it
	}
	c.Telegram.APIURL = strings.TrimRight(c.Telegram.APIURL, "/")
	c.Discord = e.discord()
	switch {
	case c.Discord.Desk() && c.Slack.BotToken != "":
		e.fail("Both SLACK_BOT_TOKEN and DISCORD_DESK_CHANNEL_ID are set, and caredesk works on one desk: unset the one your team does not use.")
	case c.Discord.Desk():
	case c.Slack.BotToken == "":
		e.fail("caredesk has no desk for the team: set SLACK_BOT_TOKEN to the Bot User OAuth Token from your Slack app's \"OAuth & Permissions\" page (it starts with xoxb-), or DISCORD_DESK_CHANNEL_ID to work in Discord.")
	default:
		if c.Slack.ChannelID == "" {
			e.fail("SLACK_CHANNEL_ID is not set: " + slackChannelHelp + ".")
		}
		if !c.Slack.SocketMode() && c.Slack.SigningSecret == "" {
			e.fail("SLACK_SIGNING_SECRET is not set: put the Signing Secret from your Slack app's \"Basic Information\" page there (or set SLACK_APP_TOKEN to use Socket Mode).")
		}
	}
	switch {
	case c.Telegram.WebhookURL != "" && !webhookSecret.MatchString(c.Telegram.WebhookSecret):
		e.fail("TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_URL: put 1 to 256 characters of A-Z, a-z, 0-9, _ and - there (e.g. the output of `openssl rand -hex 32`); Telegram sends it with every update so caredesk can refuse forgeries.")
	case c.Telegram.WebhookURL == "" && c.Telegram.WebhookSecret != "":
		e.fail("TELEGRAM_WEBHOOK_SECRET is set but TELEGRAM_WEBHOOK_URL is not: set the public HTTPS URL that reaches caredesk's /telegram/webhook, or unset the secret to use long polling.")
	}
	if c.Retry.Min > c.Retry.Max {
		e.fail(fmt.Sprintf("CAREDESK_RETRY_MIN (%s) is longer than CAREDESK_RETRY_MAX (%s): make the first wait the shorter one.", c.Retry.Min, c.Retry.Max))
	}
	if c.MetricsAddr = e.str("CAREDESK_METRICS_ADDR", ""); c.MetricsAddr != "" {
		c.MetricsAddr = e.addr("CAREDESK_METRICS_ADDR", "")
		if overlap(c.MetricsAddr, c.Addr) {
			e.fail(fmt.Sprintf("CAREDESK_METRICS_ADDR is %q, which takes the same port as CAREDESK_ADDR (%q): give /metrics an address of its own, like 127.0.0.1:9090, or unset it to serve /metrics on CAREDESK_ADDR.", c.MetricsAddr, c.Addr))
		}
	}
	c.Tick = e.duration("CAREDESK_TICK", 10*time.Second)
	c.ICSToken = e.str("CAREDESK_ICS_TOKEN", "")
	c.ExportToken = e.str("CAREDESK_EXPORT_TOKEN", "")
	if c.ExportToken != "" && len(c.ExportToken) < 16 {
		e.fail("CAREDESK_EXPORT_TOKEN is too short to guard the export of every ticket: put at least 16 random characters there (e.g. the output of `openssl rand -hex 16`).")
	}
	if c.ICSToken != "" && len(c.ICSToken) < 16 {
		e.fail("CAREDESK_ICS_TOKEN is too short to guard the rota feed: put at least 16 random characters there (e.g. the output of `openssl rand -hex 16`).")
	}
	db, err := PGPassword(getenv, c.DB, "CAREDESK_DB")
	if err != nil {
		e.fail(err.Error() + ".")
	}
	c.DB = db
	c.FilesDir = e.str("CAREDESK_FILES_DIR", FilesDir(c.DB))
	if Postgres(c.DB) && c.FilesDir != "" {
		e.fail("CAREDESK_FILES_DIR is set, but on PostgreSQL caredesk keeps files in the database, where every replica finds them: unset CAREDESK_FILES_DIR.")
	}
	c.Replica = e.str("CAREDESK_REPLICA", "")
	if len(c.Replica) > 100 || strings.ContainsFunc(c.Replica, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		e.fail("CAREDESK_REPLICA must be a name of up to 100 printable characters, like the pod's or the host's name: shorten it, or unset it for a name of its own.")
	}
	c.LeaderTakeover = e.duration("CAREDESK_LEADER_TAKEOVER", 15*time.Second)
	if c.LeaderTakeover < time.Second || c.LeaderTakeover > 10*time.Minute {
		e.fail(fmt.Sprintf("CAREDESK_LEADER_TAKEOVER is %s: write a time from 1s to 10m, like 15s (how long Telegram and Discord may go unheard when the leading replica dies).", c.LeaderTakeover))
	}
	c.PublicURL = strings.TrimRight(e.url("CAREDESK_PUBLIC_URL", ""), "/")
	c.File = defaultFile(c.SLA)
	if path := e.str("CAREDESK_CONFIG", ""); path != "" {
		f, err := LoadFile(path, getenv, c.SLA)
		if err != nil {
			e.fail(err.Error())
		}
		c.File = f
	}
	if c.Telegram.Token == "" && len(c.File.Webhooks) == 0 && len(c.File.Listeners) == 0 && !c.Discord.Source() {
		e.fail("caredesk has nowhere to take complaints from: set TELEGRAM_BOT_TOKEN to the token @BotFather gave you, DISCORD_SOURCE_CHANNEL_IDS or DISCORD_ACCEPT_DMS for a Discord community, or declare webhook, feed, mastodon or bluesky sources in the file named by CAREDESK_CONFIG.")
	}
	if len(e.problems) > 0 {
		return Config{}, errors.New(strings.Join(e.problems, "\n"))
	}
	return c, nil
}

// defaultAddr is where caredesk serves HTTP when CAREDESK_ADDR is unset.
const defaultAddr = ":8080"

// Addr is the address caredesk serves HTTP on, CAREDESK_ADDR, read and
// checked as Load does, for `caredesk healthcheck` to find it without
// loading, and failing on, every other setting.
func Addr(getenv func(string) string) (string, error) {
	e := env{getenv: getenv}
	addr := e.addr("CAREDESK_ADDR", defaultAddr)
	if len(e.problems) > 0 {
		return "", errors.New(e.problems[0])
	}
	return addr, nil
}

// PGPassword puts the password in the file PGPASSWORD_FILE names into db
// when db is a PostgreSQL URL: the driver reads PGPASSWORD by itself, but
// not a file. A URL that holds a password of its own is an error, as both
// PGPASSWORD and PGPASSWORD_FILE are; where names db in that sentence.
func PGPassword(getenv func(string) string, db, where string) (string, error) {
	password, err := Secret(getenv, "PGPASSWORD")
	if err != nil || strings.TrimSpace(getenv("PGPASSWORD_FILE")) == "" || !Postgres(db) {
		return db, err
	}
	u, err := url.Parse(db)
	if err != nil {
		return db, nil // the database driver says what is wrong with it
	}
	if _, ok := u.User.Password(); ok {
		return db, fmt.Errorf("the URL of %s holds a password, and PGPASSWORD_FILE is set: remove the password from the URL or unset PGPASSWORD_FILE", where)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String(), nil
}

// HasTelegram reports whether complaints come from a Telegram bot.
func (c Config) HasTelegram() bool { return c.Telegram.Token != "" }

var (
	telegramToken = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]{20,}$`)
	slackBotToken = regexp.MustCompile(`^xoxb-[A-Za-z0-9-]+$`)
	slackAppToken = regexp.MustCompile(`^xapp-[A-Za-z0-9-]+$`)
	slackChannel  = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// env reads variables and collects problems, so that one start shows every
// mistake at once.
type env struct {
	getenv   func(string) string
	problems []string
}

// get reads the setting name, a secret from NAME_FILE when that is how it
// is given (Lookup).
func (e *env) get(name string) string {
	v, err := Lookup(e.getenv, name)
	if err != nil {
		e.fail(err.Error() + ".")
	}
	return v
}

// boolean reads a true/false setting that is false when unset.
func (e *env) boolean(name string) bool {
	switch v := strings.ToLower(e.str(name, "false")); v {
	case "true", "yes", "1":
		return true
	case "false", "no", "0":
		return false
	default:
		e.fail(fmt.Sprintf("%s is %q: put true or false there.", name, v))
		return false
	}
}

func (e *env) fail(sentence string) { e.problems = append(e.problems, sentence) }

func (e *env) str(name, def string) string {
	if v := strings.TrimSpace(e.get(name)); v != "" {
		return v
	}
	return def
}

func (e *env) optionalMatch(name string, re *regexp.Regexp, what string) string {
	v := strings.TrimSpace(e.get(name))
	if v != "" && !re.MatchString(v) {
		e.fail(fmt.Sprintf("%s does not look right: %s.", name, what))
	}
	return v
}

func (e *env) url(name, def string) string {
	v := e.str(name, def)
	if v == "" {
		return ""
	}
	if !webURL(v) {
		e.fail(fmt.Sprintf("%s is "+notURL, name, v))
	}
	return v
}

// notURL says what is wrong with a value that is no web address.
const notURL = "%q, which is not a URL: put a full http:// or https:// address there."

// webURL reports whether v is an absolute http(s) address.
func webURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (e *env) addr(name, def string) string {
	v := e.str(name, def)
	_, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		e.fail(fmt.Sprintf("%s is %q: put host:port there, like :8080 or 127.0.0.1:8080 (a port from 0 to 65535).", name, v))
	}
	return v
}

// overlap reports whether listening on a and b would take the same port:
// the same port, and hosts that are the same or include each other (an
// empty or unspecified host is every address; localhost is loopback).
func overlap(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	every := func(h string) bool { ip := net.ParseIP(h); return h == "" || ip != nil && ip.IsUnspecified() }
	loop := func(h string) bool { ip := net.ParseIP(h); return h == "localhost" || ip != nil && ip.IsLoopback() }
	return every(ha) || every(hb) || ha == hb || loop(ha) && loop(hb)
}

// duration accepts Go durations ("90m", "1h30m") and whole days ("7d"),
// because support teams think of reopen windows in days.
func (e *env) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(e.get(name))
	if v == "" {
		return def
	}
	d, err := ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(fmt.Sprintf("%s is %q: put a positive duration there, like 30m, 1h, 36h or 7d.", name, v))
		return def
	}
	return d
}

// ParseDuration is time.ParseDuration that also takes whole days, "7d".
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("duration %q: days must be a whole number", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// FormatDuration writes d the way the settings and the file write it, and
// people read it: 30m, 2h, 1h30m, 45s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (e *env) level(name string) slog.Level {
	var l slog.Level
	v := e.oneOf(name, "info", "debug", "info", "warn", "error")
	_ = l.UnmarshalText([]byte(v))
	return l
}

func (e *env) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(e.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	e.fail(fmt.Sprintf("%s is %q: put one of %s there.", name, v, strings.Join(allowed, ", ")))
	return def
}
