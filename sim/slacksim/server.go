// Package slacksim is a local Slack: the Web API at /api/<method>, Socket
// Mode over a WebSocket, and the Events API, slash commands and
// interactivity pushed to an app's request URL, all over loopback, so that
// the real slack-go client can be driven without the internet.
//
// It keeps one workspace with one desk channel, as Slack would hold it:
// root messages, thread replies and their latest edits, ephemeral messages,
// reactions, files and their bytes, served from files.slack.com-like
// addresses. Tests, end-to-end runs and `caredesk demo` use it to play the
// support team (UserPosts, UserSharesFile, EditMessage, DeleteMessage,
// AddReaction, SlashCommand, ClickButton), to watch what the bot did
// (Messages, Thread, Ephemerals, Reactions, Files, Downloads, Calls, Acks)
// and to break Slack on purpose (FailNext, HoldNext, SetDown, RevokeScope).
// It is ordinary code, not a test helper, because the shipped demo runs it.
package slacksim

import (
	"caredesk/sim/change"
	"context"
	"errors"
	"fmt"
	"golang.org/x/time/rate"
	"net"
	"net/http"
	"sync"
	"time"
)

// Options configure a simulated workspace. Every field has a default, so
// the zero Options is a working Slack.
type Options struct {
	BotToken      string // default "xoxb-sim-bot-token"
	AppToken      string // app-level token for Socket Mode; default "xapp-sim-app-token"
	SigningSecret string // signs requests to the bot; default "sim-signing-secret"
	ChannelID     string // the desk channel, with the bot a member; default "C0DESK"
	ChannelName   string // default "care-desk"
	BotUserID     string // the bot's user, as auth.test answers; default "U0BOT"
	BotID         string // the bot's bot_id; default "B0BOT"
	BotName       string // default "caredesk"
	TeamID        string // default "T0SIM"
	AppID         string // default "A0SIM"
	// VerificationToken is the legacy token Slack still puts in payloads.
	VerificationToken string
	// EchoBotMessages makes the bot's own chat.postMessage posts come back
	// to it as message events with bot_id set, as they do for an app
	// subscribed to message.channels.
	EchoBotMessages bool
	// PostRate limits chat.postMessage to this many posts a second per
	// channel, with bursts of PostBurst (default 1), as Slack does (about
	// one a second): a post over it is answered 429 with Retry-After in
	// whole seconds. 0: no limit.
	PostRate  float64
	PostBurst int
	// EchoBotEdits makes the bot's chat.update calls come back to it as
	// message_changed events, with bot_id set in the message, as they do
	// for an app subscribed to message.channels.
	EchoBotEdits bool
	// RawCommandText sends slash command text as typed. By default it is
	// escaped as for a command with should_escape: &, <, > as entities and
	// "@name" of a known user as <@ID|name>.
	RawCommandText bool
	// AckTimeout is how long Slack waits for the bot's HTTP answer or
	// Socket Mode ack before it counts a delivery as failed; default 3 s.
	AckTimeout time.Duration
	// RetryDelays are the pauses before Slack's three retries of an event.
	// Real Slack waits about 0, 1 and 5 minutes; the default is no pause.
	RetryDelays []time.Duration
	// PingInterval is how often the simulator pings Socket Mode
	// connections; slack-go reconnects after 30 s without one. Default 5 s.
	PingInterval time.Duration
	// MaxFileSize is the largest file, in bytes, the workspace takes:
	// files.getUploadURLExternal refuses a longer one with
	// file_upload_size_restricted, as for a workspace whose admins limit
	// uploads. Default 1 GiB, Slack's own limit.
	MaxFileSize int64
}

func (o Options) withDefaults() Options {
	set := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	set(&o.BotToken, "xoxb-sim-bot-token")
	set(&o.AppToken, "xapp-sim-app-token")
	set(&o.SigningSecret, "sim-signing-secret")
	set(&o.ChannelID, "C0DESK")
	set(&o.ChannelName, "care-desk")
	set(&o.BotUserID, "U0BOT")
	set(&o.BotID, "B0BOT")
	set(&o.BotName, "caredesk")
	set(&o.TeamID, "T0SIM")
	set(&o.AppID, "A0SIM")
	set(&o.VerificationToken, "sim-verification-token")
	if o.AckTimeout <= 0 {
		o.AckTimeout = 3 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 5 * time.Second
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = 1 << 30
	}
	return o
}

// maxRetries is how many times Slack retries an event the app did not
// acknowledge.
const maxRetries = 3

// Server is a running simulator. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	ln     net.Listener
	srv    *http.Server
	client *http.Client // Slack's side of requests to the bot
	ctx    context.Context
	cancel context.CancelFunc // ends requests to the bot in flight, at Close

	mu      sync.Mutex
	changed change.Signal // see Wait
	closed  bool
	stop    chan struct{} // closed by Close; ends pushes, pings and waits
	done    sync.WaitGroup

	calls      map[string]int
	limits     map[string]*rate.Limiter // chat.postMessage's, by channel
	limited    int                      // posts answered 429 by PostRate
	faults     map[string][]Fault
	down       bool
	requestURL string
	users      map[string]string // id → name
	// profiles are what users.info answers, see SetProfile.
	profiles   map[string]Profile
	channels   map[string]*channel
	messages   []*Message
	lastTS     int64 // microseconds of the newest message ts
	ephemerals []Ephemeral
	uploads    map[string]*pendingUpload // file id → a file between getUploadURLExternal and completeUploadExternal
	stored     map[string]*storedFile    // file id → a file of the workspace, the bot's or a person's
	files      []File                    // every share of a stored file, or its record when kept private
	holds      map[string][]*hold        // calls to freeze before their answer, see HoldNext
	revoked    map[string]bool           // scopes taken from the app, see RevokeScope
	reactions  []Reaction
	acks       []Ack
	deliveries []Delivery
	events     map[string][]byte // event_id → event_callback body, for Redeliver
	serial     int64             // source of ts, event ids and trigger ids
	socket     socketState
}

// channel is a conversation of the workspace.
type channel struct {
	name   string
	member bool // whether the bot is in it
}

// New starts a simulator on a free loopback port.
func New(o Options) (*Server, error) {
	o = o.withDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("slacksim: listen: %w", err)
	}
	s := &Server{
		opts:   o,
		ln:     ln,
		stop:   make(chan struct{}),
		calls:  map[string]int{},
		faults: map[string][]Fault{},
		users:  map[string]string{o.BotUserID: o.BotName},
		channels: map[string]*channel{
			o.ChannelID: {name: o.ChannelName, member: true},
		},
		events:  map[string][]byte{},
		uploads: map[string]*pendingUpload{},
		stored:  map[string]*storedFile{},
		holds:   map[string][]*hold{},
		revoked: map[string]bool{},
		client: &http.Client{
			Timeout:   o.AckTimeout,
			Transport: &http.Transport{},
			// Slack follows at most two redirects; the bot needs none.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.socket.init()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/upload/", s.serveUpload)
	mux.HandleFunc("/files-pri/", s.serveFile)
	mux.HandleFunc("GET /{$}", s.serveSignIn)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.done.Go(func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic("slacksim: serve: " + err.Error())
		}
	})
	return s, nil
}

// URL is the simulator's base, like "http://127.0.0.1:41234".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// APIURL is the Web API base for slack.OptionAPIURL, with its trailing slash.
func (s *Server) APIURL() string { return s.URL() + "/api/" }

// Options returns the options in use, defaults filled in, so that a test
// can configure the bot with the same tokens and ids.
func (s *Server) Options() Options { return s.opts }

// Close stops the simulator: Socket Mode connections are dropped, pending
// deliveries end, and the port is freed.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	s.cancel()
	s.notifyLocked()
	s.mu.Unlock()
	s.closeSockets()
	_ = s.srv.Close()
	s.done.Wait()
	s.client.CloseIdleConnections()
}

// AddUser makes a person known to the workspace, so that users.info finds
// them and "@name" in what they type becomes a mention.
func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = name
	s.notifyLocked()
}

// AddChannel adds a public channel, with the bot in it or not.
func (s *Server) AddChannel(id, name string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = &channel{name: name, member: member}
	s.notifyLocked()
}

// SetRequestURL puts the bot in HTTP mode: events, slash commands and
// interactions are POSTed to url (the bot's /slack/events), signed with
// the signing secret. An empty url goes back to Socket Mode.
func (s *Server) SetRequestURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requestURL = url
}

// Wait returns when cond is true, checking it after every change of the
// simulator's state, or ctx's error when ctx ends first. cond may call the
// simulator's accessors.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	if err := s.changed.Wait(ctx, cond); err != nil {
		return fmt.Errorf("slacksim: condition not met: %w", err)
	}
	return nil
}

// notifyLocked wakes every Wait. The caller holds s.mu.
func (s *Server) notifyLocked() { s.changed.Notify() }

// nextLocked returns a new serial number. The caller holds s.mu.
func (s *Server) nextLocked() int64 {
	s.serial++
	return s.serial
}

// tsLocked returns a new message timestamp as Slack makes them: the
// wall-clock time in seconds with a six-digit suffix, unique and increasing
// ("1763916000.000100"), so that code that searches by time, such as
// conversations.history's oldest, finds what it would find on Slack. The
// caller holds s.mu.
func (s *Server) tsLocked() string {
	micros := max(time.Now().UnixMicro(), s.lastTS+1)
	s.lastTS = micros
	return fmt.Sprintf("%d.%06d", micros/1_000_000, micros%1_000_000)
}

// idLocked returns a new id with prefix, like "Ev000000007". The caller
// holds s.mu.
func (s *Server) idLocked(prefix string) string {
	return fmt.Sprintf("%s%09d", prefix, s.nextLocked())
}
