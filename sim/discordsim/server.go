// Package discordsim is a local Discord: the REST API at /api/v9 (and
// /api/v10) and the gateway WebSocket at the root, over loopback, so that
// the real discordgo client can be driven without the internet.
//
// It keeps one guild, as Discord would hold it: a desk channel (a text
// channel, or a forum), source channels, threads, direct messages,
// messages with their latest edits, reactions, the application's guild
// commands and the interactions people start. Tests, end-to-end runs and
// `caredesk demo` use it to play people (UserWrites, UserPosts with
// files, UserDMs, UserEdits, UserDeletes, React, SlashCommand,
// ClickButton), to watch what the bot did (Messages, Thread, Reactions,
// Commands, Interaction.Response, Identifies, Resumes, Downloads) and to
// break Discord on purpose (FailNext, SetDown, DropConnection,
// DenyAttachFiles, ExpireAttachments, FailDownloads). It is ordinary
// code, not a test helper, because the shipped demo runs it.
//
// People's files and the bot's are served at /attachments/… under links
// signed as Discord's CDN signs them, which expire after a day
// (ExpireAttachments).
//
// The gateway speaks Discord's protocol: op 10 Hello, op 2 Identify
// (intents recorded and enforced: no MESSAGE_CONTENT, no content), READY
// and GUILD_CREATE, op 1 heartbeats answered with op 11, and op 6 Resume,
// which replays every dispatch after the client's sequence number before
// RESUMED. Dispatches made while the bot is disconnected wait in its
// session, as they do on Discord, until it resumes.
package discordsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"caredesk/sim/change"
)

// Options configure a simulated guild. Every field has a default, so the
// zero Options is a working Discord.
type Options struct {
	Token         string // the bot token, without "Bot "; default "sim-discord-bot-token"
	ApplicationID string // default "910000000000000001"
	BotUserID     string // default "900000000000000001"
	BotName       string // the bot user's username; default "caredesk"
	GuildID       string // default "100000000000000001"
	GuildName     string // default "caredesk sim"
	DeskChannelID string // default "200000000000000001"
	DeskName      string // default "care-desk"
	// DeskForum makes the desk channel a forum: tickets are its posts.
	DeskForum bool
	// SourceChannelIDs are the public channels where customers write,
	// named support, complaints, … in order; default two of them,
	// "300000000000000001" and "300000000000000002".
	SourceChannelIDs []string
	// HeartbeatInterval is what Hello asks the client for; Discord's
	// 41.25 s by default. Tests use a short one.
	HeartbeatInterval time.Duration
	// InteractionTimeout is how long Discord waits for the first answer
	// to an interaction before it shows "The application did not
	// respond" and refuses late answers; default 3 s, as on Discord.
	InteractionTimeout time.Duration
	// DenyMessageContent is an application whose MESSAGE_CONTENT intent is
	// not enabled in the Developer Portal: an Identify asking for it is
	// closed with 4014 Disallowed intent(s).
	DenyMessageContent bool
	// MaxAttachmentSize is the most bytes one file of the bot's may
	// have: a larger one is refused with 413 Request entity too large
	// (40005). Default 10 MiB, Discord's for a server without boosts.
	MaxAttachmentSize int64
	// MaxUploadSize is the most bytes of files one message may carry,
	// all files together: more is refused with 413 Request entity too
	// large (40005). Default 25 MiB, Discord's limit on a request.
	MaxUploadSize int64
}

// The defaults of Options.
const (
	DefaultToken         = "sim-discord-bot-token"
	DefaultApplicationID = "910000000000000001"
	DefaultBotUserID     = "900000000000000001"
	DefaultGuildID       = "100000000000000001"
	DefaultDeskChannelID = "200000000000000001"
)

func (o Options) withDefaults() Options {
	set := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	set(&o.Token, DefaultToken)
	set(&o.ApplicationID, DefaultApplicationID)
	set(&o.BotUserID, DefaultBotUserID)
	set(&o.BotName, "caredesk")
	set(&o.GuildID, DefaultGuildID)
	set(&o.GuildName, "caredesk sim")
	set(&o.DeskChannelID, DefaultDeskChannelID)
	set(&o.DeskName, "care-desk")
	if o.SourceChannelIDs == nil {
		o.SourceChannelIDs = []string{"300000000000000001", "300000000000000002"}
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 41250 * time.Millisecond
	}
	if o.InteractionTimeout <= 0 {
		o.InteractionTimeout = 3 * time.Second
	}
	if o.MaxAttachmentSize <= 0 {
		o.MaxAttachmentSize = 10 << 20
	}
	if o.MaxUploadSize <= 0 {
		o.MaxUploadSize = 25 << 20
	}
	return o
}

// sourceNames name the source channels in order; later ones are numbered.
var sourceNames = []string{"support", "complaints", "help", "feedback"}

// discordEpoch is the first millisecond of 2015, where snowflakes count from.
const discordEpoch = 1420070400000

// Server is a running simulator. All methods are safe for concurrent use.
type Server struct {
	opts      Options
	ln        net.Listener
	srv       *http.Server
	transport *http.Transport // the bot's side, for HTTPClient

	changed change.Signal // every change of the state below, see Wait

	mu     sync.Mutex
	closed bool
	stop   chan struct{} // closed by Close
	done   sync.WaitGroup

	serial       int64 // source of snowflakes
	epochMillis  int64 // the simulator's clock at New, in ms since the Unix epoch
	users        map[string]*User
	channels     map[string]*Channel
	channelOrder []string
	messages     []*Message
	byID         map[string]*Message
	reactions    []Reaction
	dms          map[string]string // user id → DM channel id
	closedDMs    map[string]bool   // users who accept no DMs from the bot
	members      map[string]member // user id → their nickname or leaving, see SetNick
	noAttach     bool              // the bot lacks Attach Files in the guild, see DenyAttachFiles
	denied       map[string]int64  // channel id → what its overwrite denies the bot's role, see DenyBot
	commands     map[string][]Command
	commandPuts  int
	interactions map[string]*interaction // by id
	byToken      map[string]*interaction
	calls        map[string]int
	faults       map[string][]Fault
	down         bool
	gw           gatewayState
	cdn          cdnState
}

// New starts a simulator on a free loopback port.
func New(o Options) (*Server, error) {
	o = o.withDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("discordsim: listen: %w", err)
	}
	s := &Server{
		opts:         o,
		ln:           ln,
		stop:         make(chan struct{}),
		epochMillis:  time.Now().UnixMilli(),
		users:        map[string]*User{},
		channels:     map[string]*Channel{},
		byID:         map[string]*Message{},
		dms:          map[string]string{},
		closedDMs:    map[string]bool{},
		commands:     map[string][]Command{},
		interactions: map[string]*interaction{},
		byToken:      map[string]*interaction{},
		calls:        map[string]int{},
		faults:       map[string][]Fault{},
	}
	s.gw.init()
	s.cdn.init()
	s.users[o.BotUserID] = &User{ID: o.BotUserID, Username: o.BotName, Bot: true}
	desk := Channel{ID: o.DeskChannelID, Type: ChannelText, Name: o.DeskName, GuildID: o.GuildID}
	if o.DeskForum {
		desk.Type = ChannelForum
	}
	s.addChannelLocked(desk)
	for i, id := range o.SourceChannelIDs {
		name := fmt.Sprintf("source-%d", i+1)
		if i < len(sourceNames) {
			name = sourceNames[i]
		}
		s.addChannelLocked(Channel{ID: id, Type: ChannelText, Name: name, GuildID: o.GuildID})
	}

	s.transport = &http.Transport{}
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	s.done.Go(func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic("discordsim: serve: " + err.Error())
		}
	})
	return s, nil
}

// URL is the simulator's base, like "http://127.0.0.1:41234": what
// DISCORD_API_URL is set to for a bot that talks to it.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// GatewayURL is the WebSocket address GET /gateway answers with.
func (s *Server) GatewayURL() string { return "ws://" + s.ln.Addr().String() }

// Options returns the options in use, defaults filled in, so that a test
// can configure the bot with the same token and ids.
func (s *Server) Options() Options { return s.opts }

// Transport returns a RoundTripper that sends every request, whatever its
// host (discord.com, discordapp.com…), to the simulator: give it to
// discordgo's Session.Client so that the library's fixed endpoints reach
// the simulator without changing them.
func (s *Server) Transport() http.RoundTripper {
	return rewrite{base: s.transport, host: s.ln.Addr().String()}
}

// HTTPClient returns an http.Client that uses Transport.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 30 * time.Second}
}

// rewrite points requests at the simulator: scheme and host change, the
// path and query stay.
type rewrite struct {
	base http.RoundTripper
	host string
}

// RoundTrip sends req to the simulator.
func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = "http", r.host
	out.URL, out.Host = &u, ""
	return r.base.RoundTrip(out)
}

// Close stops the simulator: gateway connections are dropped and the port
// is freed.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	s.notifyLocked()
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	_ = s.srv.Close()
	s.done.Wait()
	s.transport.CloseIdleConnections()
}

// Wait returns when cond is true, checking it after every change of the
// simulator's state, or ctx's error when ctx ends first. cond may call the
// simulator's accessors.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	return s.changed.Wait(ctx, cond)
}

// notifyLocked wakes every Wait. The caller holds s.mu.
func (s *Server) notifyLocked() { s.changed.Notify() }

// snowflakeLocked returns a new id shaped like Discord's: milliseconds
// since 2015 in the high bits, so ids rise with time and with each call.
// The caller holds s.mu.
func (s *Server) snowflakeLocked() string {
	s.serial++
	ms := s.epochMillis + s.serial - discordEpoch
	return strconv.FormatInt(ms<<22|(s.serial&0xfff), 10)
}

// snowflakeTime is when id was made.
func snowflakeTime(id string) time.Time {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n>>22 + discordEpoch).UTC()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AddUser makes a person known to the simulator, so that what they do
// carries their names. Unknown ids are added on first use, named after
// their id.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := u
	s.users[u.ID] = &cp
	s.notifyLocked()
}

// userLocked returns the user id, adding one named after the id when it
// is new. The caller holds s.mu.
func (s *Server) userLocked(id string) *User {
	if u, ok := s.users[id]; ok {
		return u
	}
	u := &User{ID: id, Username: "user" + id}
	s.users[id] = u
	return u
}

// AddChannel adds a channel of the guild, or replaces one with the same
// id: another text channel the bot can read, a hidden one it cannot see,
// a forum.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.GuildID == "" && c.Type != ChannelDM {
		c.GuildID = s.opts.GuildID
	}
	s.addChannelLocked(c)
	s.notifyLocked()
}

func (s *Server) addChannelLocked(c Channel) {
	if _, ok := s.channels[c.ID]; !ok {
		s.channelOrder = append(s.channelOrder, c.ID)
	}
	cp := c
	s.channels[c.ID] = &cp
}

// SetDMsClosed makes a user refuse direct messages from the bot, as with
// "Allow direct messages from server members" off or the bot blocked:
// Discord answers 403 Cannot send messages to this user (50007).
func (s *Server) SetDMsClosed(userID string, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closedDMs[userID] = closed
}

// wsURL is the gateway's address, also sent as resume_gateway_url.
func (s *Server) wsURL() string {
	u := url.URL{Scheme: "ws", Host: s.ln.Addr().String()}
	return u.String()
}
