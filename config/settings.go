package config

// Setting is one environment variable caredesk reads. Settings is the one
// list of them: `caredesk help` prints it, for the users of the Docker
// image, who have no README, and a test checks that every variable the code
// reads is in it and in README.md's table.
type Setting struct {
	Name string
	// Default is the value when the variable is unset, written as it
	// would be set; "" when unset means none (Summary says what then).
	Default string
	// Summary says what it is, in one line.
	Summary string
	// Secret settings may instead be given as NAME_FILE, a file holding
	// the value (see Lookup).
	Secret bool
}

// Settings are the environment variables caredesk reads, in README.md's
// order. The webhook sources' secrets are not here: the YAML file names
// them (secret_env).
var Settings = []Setting{
	{Name: "TELEGRAM_BOT_TOKEN", Secret: true, Summary: "The bot's token from @BotFather. One source is required: this, Discord channels or webhook sources."},
	{Name: "TELEGRAM_API_URL", Default: "https://api.telegram.org", Summary: "Bot API base, for a self-hosted Bot API server or a proxy."},
	{Name: "TELEGRAM_WEBHOOK_URL", Summary: "Public HTTPS URL reaching caredesk's /telegram/webhook; unset: long polling."},
	{Name: "TELEGRAM_WEBHOOK_SECRET", Secret: true, Summary: "Required with the webhook: 1-256 of A-Z a-z 0-9 _ -, which Telegram sends with every update."},
	{Name: "TELEGRAM_POLL_TIMEOUT", Default: "30s", Summary: "Long-poll timeout."},
	{Name: "SLACK_BOT_TOKEN", Secret: true, Summary: "Bot User OAuth Token, xoxb-…; required unless the desk is Discord."},
	{Name: "SLACK_CHANNEL_ID", Summary: "The desk channel, C… (required with Slack)."},
	{Name: "SLACK_APP_TOKEN", Secret: true, Summary: "App-level token, xapp-…: Slack events over Socket Mode; unset: HTTP mode at /slack/events."},
	{Name: "SLACK_SIGNING_SECRET", Secret: true, Summary: "Verifies requests to /slack/events (required in HTTP mode)."},
	{Name: "SLACK_API_URL", Default: "https://slack.com/api/", Summary: "Slack Web API base (for proxies and tests)."},
	{Name: "DISCORD_BOT_TOKEN", Secret: true, Summary: "The bot's token from the Discord Developer Portal (required for Discord)."},
	{Name: "DISCORD_APPLICATION_ID", Summary: "The application /desk is registered under (required for a Discord desk)."},
	{Name: "DISCORD_GUILD_ID", Summary: "The server with the desk channel (required for a Discord desk)."},
	{Name: "DISCORD_DESK_CHANNEL_ID", Summary: "The desk channel on Discord; unset: Slack is the desk. Set this or SLACK_BOT_TOKEN, not both."},
	{Name: "DISCORD_SOURCE_CHANNEL_IDS", Summary: "Community channels whose messages are complaints, comma-separated."},
	{Name: "DISCORD_ACCEPT_DMS", Default: "false", Summary: "Direct messages to the bot are complaints too."},
	{Name: "DISCORD_API_URL", Default: "https://discord.com", Summary: "Discord's base URL (for proxies and tests)."},
	{Name: "DISCORD_MAX_FILE_SIZE", Default: "10MB", Summary: "The largest file the bot posts on Discord: the limit without boosts (50MB at level 2, 100MB at level 3)."},
	{Name: "DISCORD_CLAIM_EMOJI", Default: "🙋", Summary: "Reaction on a ticket's starter message on Discord that claims it."},
	{Name: "DISCORD_RESOLVE_EMOJI", Default: "✅", Summary: "Reaction on a ticket's starter message on Discord that resolves it."},
	{Name: "CAREDESK_ADDR", Default: ":8080", Summary: "HTTP listen address, of /livez, /readyz, /metrics, /slack/events, /telegram/webhook, /hooks/NAME and /files/."},
	{Name: "CAREDESK_METRICS_ADDR", Summary: "host:port of a listener of its own for /metrics, like 127.0.0.1:9090; unset: /metrics on CAREDESK_ADDR."},
	{Name: "CAREDESK_DB", Default: "caredesk.db", Secret: true, Summary: "The SQLite file, or a PostgreSQL URL, postgres://… (a secret when the URL holds a password)."},
	{Name: "PGPASSWORD", Secret: true, Summary: "The PostgreSQL password when CAREDESK_DB's URL has none."},
	{Name: "CAREDESK_REPLICA", Summary: "On PostgreSQL, this replica's name; unset: the host's name and a random part."},
	{Name: "CAREDESK_LEADER_TAKEOVER", Default: "15s", Summary: "On PostgreSQL, how soon another replica takes over when the leader dies (1s to 10m)."},
	{Name: "CAREDESK_DB_ALLOW_EMPTY", Default: "false", Summary: "true takes an existing 0-byte CAREDESK_DB for a new desk."},
	{Name: "CAREDESK_SLA", Default: "1h", Summary: "First-response target shown on every ticket; the YAML's sla.first_response overrides it."},
	{Name: "CAREDESK_REOPEN_WINDOW", Default: "7d", Summary: "A customer message this soon after resolving reopens the ticket."},
	{Name: "CAREDESK_CLAIM_EMOJI", Default: "raising_hand", Summary: "Emoji on a ticket's root in Slack that claims it."},
	{Name: "CAREDESK_RESOLVE_EMOJI", Default: "white_check_mark", Summary: "Emoji on a ticket's root in Slack that resolves it."},
	{Name: "CAREDESK_RETRY_MIN", Default: "1s", Summary: "Outbox backoff: the first wait, doubled per attempt."},
	{Name: "CAREDESK_RETRY_MAX", Default: "5m", Summary: "Outbox backoff: the longest wait."},
	{Name: "CAREDESK_GIVE_UP_AFTER", Default: "24h", Summary: "A delivery still failing this long after it was queued fails for good."},
	{Name: "CAREDESK_LOG_LEVEL", Default: "info", Summary: "debug, info, warn or error."},
	{Name: "CAREDESK_LOG_FORMAT", Default: "text", Summary: "text or json (to stderr)."},
	{Name: "CAREDESK_CONFIG", Summary: "A YAML file: business hours, SLAs, the rota, escalation, teams, webhook sources, feeds, Mastodon and Bluesky, spikes, storm mode."},
	{Name: "CAREDESK_ICS_TOKEN", Secret: true, Summary: "At least 16 random characters; turns on the rota's calendar feed, /rota.ics?token=TOKEN."},
	{Name: "CAREDESK_EXPORT_TOKEN", Secret: true, Summary: "At least 16 random characters; turns on GET /export.csv, sent as Authorization: Bearer TOKEN."},
	{Name: "CAREDESK_FILES_DIR", Default: "caredesk-files", Summary: "On SQLite, the folder that keeps files' bytes, next to CAREDESK_DB (caredesk.db → caredesk-files)."},
	{Name: "CAREDESK_PUBLIC_URL", Summary: "caredesk's address as the internet reaches it, for download links of files sent to webhook bridges."},
	{Name: "CAREDESK_TICK", Default: "10s", Summary: "How often the scheduler looks for due reminders, escalations and hand-overs."},
}

// setting returns the setting called name.
func setting(name string) (Setting, bool) {
	for _, s := range Settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}
