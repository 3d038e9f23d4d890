//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Discord

// Package discord connects caredesk to Discord with discordgo, in both of
// caredesk's roles.
//
// As the desk (bot.Desk), every ticket is a thread of the desk channel (a
// post when the desk channel is a forum) whose starter message shows the
// ticket's facts and buttons, rendered from handlers.View like the Slack
// desk's; agents work it with the /desk command, the buttons, emoji on the
// starter message, and messages in the thread, which become core actions.
//
// As a source (bot.Source), messages in configured guild channels and
// direct messages to the bot become complaints (bot.Inbound), and agents'
// replies go back as Discord replies to them.
//
// Files and edits go both ways. A customer's attachments come with their
// message (Inbound.Files) and are shown in the ticket's thread as files
// (bot.FileDesk); an agent's go with their reply (Action.Files). Fetch
// downloads both from Discord's CDN. A customer's edit changes what the
// thread shows (bot.ThreadEditor); an agent's edit or deletion of a
// delivered reply changes or takes back the customer's copy
// (bot.Corrector).
//
// Discord reaches caredesk only through the gateway WebSocket (Run), and
// a gateway event cannot be asked for again: Run resumes dropped sessions
// so that Discord replays what was missed, keeps events in order, and
// retries the core in-process when it fails to take one.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
)

// DefaultAPIURL is Discord's own address.
const DefaultAPIURL = "https://discord.com"

// SourceName is the name of this source in tickets and deliveries.
const SourceName = "discord"

// Intents are the gateway intents caredesk asks for: guilds (channels and
// threads), guild messages and their reactions, direct messages, and the
// content of messages, which Discord gives only to apps whose Message
// Content Intent is switched on in the Developer Portal (Bot page).
const Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages |
	discordgo.IntentsGuildMessageReactions | discordgo.IntentsDirectMessages |
	discordgo.IntentsMessageContent

// Permissions are what the bot needs in the desk and source channels:
// View Channels, Send Messages, Send Messages in Threads, Create Public
// Threads, Embed Links, Attach Files (customers' photos in the threads,
// agents' files to customers, report charts and exports), Read Message
// History and Add Reactions.
const Permissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads | discordgo.PermissionCreatePublicThreads |
	discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory |
	discordgo.PermissionAddReactions

// InviteURL is the address that adds the bot of applicationID to a
// server with the scopes (bot, applications.commands) and Permissions
// caredesk needs.
func InviteURL(applicationID string) string {
	v := url.Values{"client_id": {applicationID}, "scope": {"bot applications.commands"}, "permissions": {fmt.Sprint(Permissions)}}
	return "https://discord.com/oauth2/authorize?" + v.Encode()
}

// Defaults of Options.
const (
	DefaultClaimEmoji   = "🙋"
	DefaultResolveEmoji = "✅"
	DefaultBackoff      = time.Second
)

// callTimeout bounds a call when the caller's context sets no deadline.
const callTimeout = 30 * time.Second

// Options configure the Discord side of caredesk. Token is required;
// DeskChannelID (with GuildID and ApplicationID) makes Discord the desk;
// SourceChannelIDs or AcceptDMs make it a source.
type Options struct {
	Token         string // the bot's token, from the Developer Portal's Bot page (DISCORD_BOT_TOKEN)
	ApplicationID string // the application's id, for /desk (DISCORD_APPLICATION_ID)
	GuildID       string // the team's server, where /desk is registered (DISCORD_GUILD_ID)
	DeskChannelID string // a text or forum channel of GuildID; "" when the desk is elsewhere (DISCORD_DESK_CHANNEL_ID)
	// SourceChannelIDs are channels where customers write, such as a
	// brand's #support; a message there opens or joins a ticket.
	SourceChannelIDs []string
	// TeamChannels are the teams' desk channels (the YAML file's teams),
	// by channel id with the team's name, each checked at start like
	// DeskChannelID; agents work tickets in all of them.
	TeamChannels map[string]string
	AcceptDMs    bool   // direct messages to the bot are complaints too
	APIURL       string // DefaultAPIURL when empty; a proxy or a simulator otherwise
	// HTTPClient makes the REST calls; one with a 30 s timeout when nil.
	// With an APIURL of its own, its transport is wrapped to send every
	// request there.
	HTTPClient   *http.Client
	ClaimEmoji   string // a Unicode emoji on a ticket's starter message that claims it; DefaultClaimEmoji when empty
	ResolveEmoji string // one that resolves it; DefaultResolveEmoji when empty
	// Backoff is the first pause before the core is asked again to take
	// an event it failed on; it doubles each time. DefaultBackoff when 0.
	Backoff time.Duration
	Logger  *slog.Logger     // slog.Default() when nil
	Now     func() time.Time // for deadlines shown on tickets; time.Now when nil
	// HighReach is the follower count from which a ticket's starter
	// message carries a "high reach" badge; 0 for never.
	HighReach int
	// OnState, when set, hears whether Run's gateway connection is open:
	// ok, or not with a sentence that says why and what to do (see
	// gateway.go). nil: no one listens.
	OnState func(ok bool, reason string)
	// Rater takes customers' answers to the satisfaction question (their
	// presses of its buttons, which reach Run); the core's *bot.Bot. nil:
	// presses are acknowledged and dropped.
	Rater Rater
	// MaxFileSize is the largest file, in bytes, the bot posts: in a
	// ticket's thread, or with a reply to a customer (TakeFile refuses a
	// larger one). DefaultMaxFileSize (10 MiB, Discord's limit in a server
	// without boosts) when 0; a boosted server takes 50 or 100 MiB.
	MaxFileSize int64
	// CatchUp is how far back Run reads, when it connects, what people
	// wrote in the source channels and in active threads (catchup.go):
	// what a session of Discord's gateway missed while no caredesk held
	// one. 0 reads nothing.
	CatchUp time.Duration
}

// Discord is caredesk's connection to one Discord bot: the desk
// (bot.Desk, bot.RootFinder, bot.FileDesk, bot.ThreadEditor, bot.Digester), a source
// (bot.Source, bot.FileTaker, bot.Corrector), where files come from
// (bot.Fetcher), and the gateway (Run). It is safe for concurrent use.
type Discord struct {
	s     *discordgo.Session
	opts  Options
	log   *slog.Logger
	botID string // the bot's user id: its own messages and reactions are not people's
	// forums holds the desk channels, its own and the teams', each true
	// when it is a forum: a ticket is a post there, not a thread.
	forums  map[string]bool
	sources map[string]bool
	claim   string // normalised emoji
	resolve string
	names   sync.Map // user id → display name, for Names
	apiHost string   // the host of APIURL, which Fetch may download from

	life context.Context // ended by Close: every call in flight ends
	end  context.CancelFunc

	channels channelCache

	mu      sync.Mutex
	roots   map[int64]string     // text desk: a ticket's root posted, its thread not yet started
	nonces  map[string]string    // nonce → id of the bot's messages, for FindMessage
	authors map[string]bot.Agent // id → author of people's messages in ticket threads, for deletions
	session string               // the gateway session, for reaction event ids
	running bool
}

var snowflake = regexp.MustCompile(`^[0-9]{15,21}$`)

// New connects to Discord's REST API: it checks the token (GET
// /users/@me), and that the bot can see the desk channel (a text or forum
// channel of GuildID) and each source channel, so that a wrong setting
// stops caredesk at start with a sentence that says what to fix. The
// gateway is opened by Run.
func New(ctx context.Context, o Options) (*Discord, error) {
	o.Token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(o.Token), "Bot "))
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	o.APIURL = strings.TrimRight(o.APIURL, "/")
	base, err := url.Parse(o.APIURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("DISCORD_API_URL %q is not an http(s) address: leave it unset for Discord itself", o.APIURL)
	}
	if o.ClaimEmoji == "" {
		o.ClaimEmoji = DefaultClaimEmoji
	}
	if o.ResolveEmoji == "" {
		o.ResolveEmoji = DefaultResolveEmoji
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OnState == nil {
		o.OnState = func(bool, string) {}
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: callTimeout}
	}
	if o.APIURL != DefaultAPIURL {
		client = Redirected(client, base)
	}

	s, err := discordgo.New("Bot " + o.Token)
	if err != nil {
		return nil, err
	}
	s.Client = client
	s.Identify.Intents = Intents
	// A 429 comes back as an error carrying Discord's wait, for the outbox
	// to reschedule, rather than a sleep inside the call.
	s.ShouldRetryOnRateLimit = false
	// Events reach the handler one at a time, in the gateway's order; the
	// handler only queues them, so the connection is never held up.
	s.SyncEvents = true
	// caredesk keeps the little channel state it needs itself.
	s.StateEnabled = false
	// Run reconnects: discordgo's loop cannot be told to stop, and it
	// would reconnect a session Run has closed.
	s.ShouldReconnectOnError = false

	d := &Discord{
		s: s, opts: o, log: o.Logger.With("network", "discord"), apiHost: base.Host,
		sources: map[string]bool{}, roots: map[int64]string{}, forums: map[string]bool{},
		claim: normalizeEmoji(o.ClaimEmoji), resolve: normalizeEmoji(o.ResolveEmoji),
	}
	for _, id := range o.SourceChannelIDs {
		d.sources[id] = true
	}
	d.life, d.end = context.WithCancel(context.Background())
	if err := d.connect(ctx); err != nil {
		d.end()
		return nil, err
	}
	return d, nil
}

// check catches settings that cannot work before any network call.
func (o Options) check() error {
	if o.Token == "" {
		return errors.New("DISCORD_BOT_TOKEN is empty: open your application in the Discord Developer Portal, go to Bot, press Reset Token and copy the token")
	}
	if strings.ContainsAny(o.Token, " \t\r\n") {
		return errors.New("DISCORD_BOT_TOKEN contains spaces: copy the token again from the Developer Portal's Bot page, without anything around it")
	}
	if o.DeskChannelID != "" {
		switch {
		case o.GuildID == "":
			return errors.New("DISCORD_GUILD_ID is empty: the desk needs the server where /desk is registered; with Developer Mode on (User Settings → Advanced), right-click the server's icon and Copy Server ID")
		case o.ApplicationID == "":
			return errors.New("DISCORD_APPLICATION_ID is empty: copy the Application ID from the General Information page of your application in the Developer Portal")
		}
	}
	ids := []struct{ name, value string }{
		{"DISCORD_APPLICATION_ID", o.ApplicationID}, {"DISCORD_GUILD_ID", o.GuildID}, {"DISCORD_DESK_CHANNEL_ID", o.DeskChannelID},
	}
	for _, id := range o.SourceChannelIDs {
		ids = append(ids, struct{ name, value string }{"DISCORD_SOURCE_CHANNEL_IDS", id})
	}
	for _, id := range ids {
		if id.value != "" && !snowflake.MatchString(id.value) {
			return fmt.Errorf("%s %q is not a Discord id (a number of 17 to 20 digits): turn on Developer Mode (User Settings → Advanced) and use Copy ID on the server or channel", id.name, id.value)
		}
	}
	if o.DeskChannelID == "" && len(o.SourceChannelIDs) == 0 && !o.AcceptDMs {
		return errors.New("Discord has nothing to do: set DISCORD_DESK_CHANNEL_ID to work tickets in Discord, or DISCORD_SOURCE_CHANNEL_IDS (or DISCORD_ACCEPT_DMS) to take complaints from it")
	}
	return nil
}

// connect checks the token and the channels, and learns the bot's id.
func (d *Discord) connect(ctx context.Context) error {
	ctx, cancel := d.bind(ctx)
	defer cancel()
	me, err := d.s.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return d.tokenError(err)
	}
	if !me.Bot {
		return errors.New("DISCORD_BOT_TOKEN belongs to a user account, not a bot: use the token of your application's bot (Developer Portal → Bot → Reset Token)")
	}
	d.botID = me.ID
	if d.opts.DeskChannelID != "" {
		// Every desk channel is checked, and every problem told at once.
		var problems []error
		for i, id := range append([]string{d.opts.DeskChannelID}, slices.Sorted(maps.Keys(d.opts.TeamChannels))...) {
			setting := "DISCORD_DESK_CHANNEL_ID"
			if i > 0 {
				if id == d.opts.DeskChannelID {
					continue
				}
				setting = "the channel of team " + d.opts.TeamChannels[id]
			}
			if err := d.deskChannel(ctx, setting, id); err != nil {
				problems = append(problems, err)
			}
		}
		if len(problems) > 0 {
			return errors.Join(problems...)
		}
	}
	for _, id := range d.opts.SourceChannelIDs {
		ch, err := d.s.Channel(id, discordgo.WithContext(ctx))
		if err != nil {
			return d.channelError("DISCORD_SOURCE_CHANNEL_IDS", id, err)
		}
		d.log.Info("Discord source channel", "channel", id, "name", ch.Name)
	}
	d.log.Info("connected to Discord", "bot", me.Username, "bot_id", me.ID, "api", d.opts.APIURL)
	return nil
}

// deskChannel checks that the bot sees the desk channel id, which setting
// named, and that it is a text or forum channel of the server.
func (d *Discord) deskChannel(ctx context.Context, setting, id string) error {
	ch, err := d.s.Channel(id, discordgo.WithContext(ctx))
	if err != nil {
		return d.channelError(setting, id, err)
	}
	forum := false
	switch ch.Type {
	case discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews:
	case discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia:
		forum = true
	default:
		return fmt.Errorf("%s %s (#%s) is not a text or forum channel: choose a text channel (tickets become threads) or a forum (tickets become posts)", setting, id, ch.Name)
	}
	if ch.GuildID != d.opts.GuildID {
		return fmt.Errorf("%s %s (#%s) belongs to server %s, not to DISCORD_GUILD_ID %s: copy both ids from the same server", setting, id, ch.Name, ch.GuildID, d.opts.GuildID)
	}
	d.forums[ch.ID] = forum
	d.channels.put(ch.ID, channelInfo{kind: kindDesk})
	d.log.Info("Discord desk channel", "channel", id, "name", ch.Name, "forum", forum)
	return nil
}

// tokenError words a failed GET /users/@me. Discord's answers never hold
// the token, so they may be quoted.
func (d *Discord) tokenError(err error) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
		return errors.New("Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized): the token was reset or mistyped; copy a new one from the Developer Portal (your application → Bot → Reset Token)")
	}
	return fmt.Errorf("cannot reach Discord at %s: %w — check DISCORD_API_URL and the network", d.opts.APIURL, describe(err))
}

// channelError words a failed GET /channels/{id} for setting name.
func (d *Discord) channelError(name, id string, err error) error {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response == nil {
		return fmt.Errorf("cannot reach Discord at %s to check %s %s: %w", d.opts.APIURL, name, id, describe(err))
	}
	switch status, code := restStatus(re); {
	case status == http.StatusNotFound || code == discordgo.ErrCodeUnknownChannel:
		return fmt.Errorf("%s %s was not found: use the channel's id (Developer Mode on, right-click the channel → Copy Channel ID), and make sure the bot was added to that server with %s", name, id, InviteURL(d.opts.ApplicationID))
	case status == http.StatusForbidden:
		return fmt.Errorf("the bot cannot see %s %s (Missing Access): let its role View Channel, Send Messages, Send Messages in Threads, Create Public Threads, Embed Links, Read Message History and Add Reactions in that channel", name, id)
	}
	return fmt.Errorf("Discord refused to show %s %s: %w", name, id, describe(err))
}

// bind returns ctx ended also by Close, and bounded by callTimeout when
// it has no deadline of its own.
func (d *Discord) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(d.life, cancel)
	if _, ok := ctx.Deadline(); !ok {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeout(ctx, callTimeout)
		return ctx, func() { cancelT(); stop(); cancel() }
	}
	return ctx, func() { stop(); cancel() }
}

// BotID returns the bot's user id.
func (d *Discord) BotID() string { return d.botID }

// Close ends every call in flight and Run. The Discord must not be used
// afterwards.
func (d *Discord) Close() error {
	d.end()
	return nil
}

// Redirected is a copy of client that sends every request to base's
// scheme and host: discordgo's endpoints are fixed at https://discord.com,
// and this leaves the library's globals and the caller's client alone,
// for a simulator or a proxy named by DISCORD_API_URL.
func Redirected(client *http.Client, base *url.URL) *http.Client {
	c := *client
	c.Transport = rewrite{base: client.Transport, scheme: base.Scheme, host: base.Host}
	return &c
}

// rewrite sends every request to APIURL's scheme and host: discordgo's
// endpoints name discord.com, and its fixed globals are not to be changed.
type rewrite struct {
	base         http.RoundTripper
	scheme, host string
}

// RoundTrip sends req to the configured host.
func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = r.scheme, r.host
	out.URL, out.Host = &u, ""
	base := r.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(out)
}
