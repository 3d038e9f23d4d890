//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Discord

package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"caredesk/handlers"
)

// drainTimeout is how long Run, once asked to stop, goes on handling the
// events it already received: they cannot be fetched again.
const drainTimeout = 10 * time.Second

// maxOpenBackoff is the longest pause between attempts to open the
// gateway.
const maxOpenBackoff = time.Minute

// Run connects to Discord's gateway and handles what arrives until ctx
// ends (or Close), then returns nil: /desk commands and button clicks
// (answered within Discord's three seconds, the work done after), emoji on
// tickets' starter messages and agents' messages in ticket threads, their
// edits and deletions (as core actions through r), customers' messages
// in the source channels and, with AcceptDMs, direct messages, and their
// edits (to rcv), and customers' presses of the satisfaction question's
// buttons (to Options.Rater). r.Actor may be nil when Discord is not the
// desk, and rcv nil when it is no source.
//
// A gateway event cannot be asked for again, so Run makes sure none is
// lost on its side: it resumes a dropped session, and Discord then
// replays what the bot missed; events are queued as they arrive and
// handled in order (desk events and customer messages each in their own
// queue, so that one waiting does not hold up the other); when the core
// fails to take an event it is asked again, five times over about 15
// seconds with the default Backoff, and then the event is logged as lost,
// with a link to the message, for a person to file by hand. At shutdown
// the events already received are still handled, for up to 10 seconds.
//
// It returns an error when Discord refuses the first connection for a
// reason that needs a person (a rejected token, a disallowed intent);
// network failures are retried, at start and later.
func (d *Discord) Run(ctx context.Context, r handlers.Runner, rcv Receiver) error {
	if d.life.Err() != nil {
		return errors.New("discord: Run after Close")
	}
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return errors.New("discord: Run is already running")
	}
	d.running = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running = false
		d.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(d.life, cancel)()

	// Events are handled in work, which outlives ctx by drainTimeout.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	g := &gateway{d: d, r: r, rcv: rcv, work: work, inbox: newLane(), desk: newLane(), source: newLane()}
	var lanes, next sync.WaitGroup
	lanes.Go(func() { g.inbox.run(work) })
	next.Go(func() { g.desk.run(work) })
	next.Go(func() { g.source.run(work) })
	// Run reconnects itself (see New): discordgo's own loop cannot be
	// stopped, and a heartbeat that races a close would start it.
	lost := make(chan struct{}, 1)
	var reconnects sync.WaitGroup
	reconnects.Go(func() { d.reconnect(ctx, lost) })
	removers := []func(){
		d.s.AddHandler(g.onEvent),
		d.s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
			if ctx.Err() == nil {
				d.opts.OnState(false, "caredesk lost its connection to Discord's gateway and is reconnecting.")
			}
			select {
			case lost <- struct{}{}:
			default:
			}
		}),
	}
	stop := func() {
		for _, remove := range removers {
			remove()
		}
		cancel()
		reconnects.Wait() // no reconnection after this
		_ = d.s.Close()
		drain := time.AfterFunc(drainTimeout, stopWork)
		defer drain.Stop()
		g.inbox.close()
		lanes.Wait()
		g.desk.close()
		g.source.close()
		next.Wait()
		g.clicks.Wait()
	}

	// What was written while no session was open is read first, by a job
	// at the head of the inbox that waits for the gateway to open: the
	// events the gateway brings queue behind it, so a customer's or an
	// agent's messages keep their order across the gap.
	opened := make(chan struct{})
	if d.opts.CatchUp > 0 {
		since := time.Now().Add(-d.opts.CatchUp)
		g.inbox.push(func(work context.Context) {
			select {
			case <-opened:
				g.catchUp(work, since)
			case <-ctx.Done():
			}
		})
	}
	if err := d.open(ctx); err != nil {
		stop()
		return err
	}
	close(opened)
	d.log.Info("listening to Discord's gateway", "desk", d.opts.DeskChannelID != "", "sources", len(d.opts.SourceChannelIDs), "dms", d.opts.AcceptDMs)

	<-ctx.Done()
	stop()
	return nil
}

// open opens the gateway, trying again after network failures until ctx
// ends. A refusal that needs a person is returned.
func (d *Discord) open(ctx context.Context) error {
	return d.dial(ctx, true)
}

// reconnect opens the gateway again each time the connection is lost,
// until ctx ends. discordgo keeps the session's id and sequence number,
// so Open resumes the session and Discord replays what was missed.
func (d *Discord) reconnect(ctx context.Context, lost <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-lost:
		}
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("lost the connection to Discord's gateway; resuming the session")
		_ = d.dial(ctx, false)
	}
}

// dial opens the gateway, trying again with a growing pause until it is
// open or ctx ends. With giveUp, a refusal that needs a person is returned
// at once; without, it is logged and tried again, since a running desk
// should come back when the person has fixed it.
func (d *Discord) dial(ctx context.Context, giveUp bool) error {
	pause := d.opts.Backoff
	for {
		err := d.s.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			d.opts.OnState(true, "")
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		d.opts.OnState(false, stateReason(err))
		fatal := gatewayError(err)
		if fatal != nil && giveUp {
			return fatal
		}
		if fatal != nil {
			err = fatal
		}
		d.log.Warn("could not connect to Discord's gateway; trying again", "err", err, "retry_in", pause)
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
		pause = min(2*pause, maxOpenBackoff)
	}
}

// gatewayError explains the gateway's close codes that no reconnection
// mends, and returns nil for the others.
func gatewayError(err error) error {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
			return errors.New("Discord rejected DISCORD_BOT_TOKEN when asked for the gateway (401 Unauthorized): copy a new token from the Developer Portal (your application → Bot → Reset Token)")
		}
		return nil
	}
	switch ce.Code {
	case 4004:
		return errors.New("Discord's gateway rejected DISCORD_BOT_TOKEN (4004 Authentication failed): copy a new token from the Developer Portal (your application → Bot → Reset Token)")
	case 4014:
		return errors.New("Discord refused the Message Content intent (4014 Disallowed intent(s)): in the Developer Portal, open your application → Bot and switch on MESSAGE CONTENT INTENT under Privileged Gateway Intents, so caredesk can read what customers and agents write")
	case 4013:
		return errors.New("Discord refused caredesk's gateway intents (4013 Invalid intent(s))")
	case 4010, 4011, 4012:
		return errors.New("Discord refused the gateway connection (" + ce.Text + ")")
	}
	return nil
}

// stateReason tells the desk channel why the gateway is not open, and
// what to do.
func stateReason(err error) string {
	var ce *websocket.CloseError
	var re *discordgo.RESTError
	switch {
	case errors.As(err, &ce) && ce.Code == 4004,
		errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized:
		return "Discord refuses caredesk's token (4004 Authentication failed): the bot token was reset or is wrong. Copy a new one from the Developer Portal (your application → Bot → Reset Token), set DISCORD_BOT_TOKEN and restart caredesk."
	case errors.As(err, &ce) && ce.Code == 4014:
		return "Discord refuses the Message Content intent (4014 Disallowed intent(s)): in the Developer Portal, open your application → Bot and switch on MESSAGE CONTENT INTENT under Privileged Gateway Intents; caredesk reconnects by itself."
	case errors.As(err, &ce) && ce.Code == 4013:
		return "Discord refuses caredesk's gateway intents (4013 Invalid intent(s)): this caredesk asks for intents Discord does not know; upgrade caredesk."
	case errors.As(err, &ce):
		return fmt.Sprintf("Discord's gateway closed caredesk's connection (%d); caredesk keeps trying.", ce.Code)
	}
	return "caredesk cannot reach Discord's gateway; it keeps trying. Check DISCORD_API_URL and the network."
}

// gateway is one Run: what the handler needs, and the queues.
type gateway struct {
	d      *Discord
	r      handlers.Runner
	rcv    Receiver
	work   context.Context
	inbox  *lane          // every message and emoji, in the gateway's order, to be sorted out
	desk   *lane          // agents' messages and emoji, in order
	source *lane          // customers' messages, in order
	clicks sync.WaitGroup // interactions in flight
	rated  seen           // questions whose answer is shown
}

// onEvent receives every gateway event, one at a time, in order (the
// session runs handlers synchronously). It must not wait on anything: the
// gateway connection is read in the same goroutine. So it only notes
// channels and queues the rest.
func (g *gateway) onEvent(_ *discordgo.Session, e *discordgo.Event) {
	d := g.d
	switch ev := e.Struct.(type) {
	case *discordgo.Ready:
		d.mu.Lock()
		d.session = ev.SessionID
		d.mu.Unlock()
		d.log.Info("Discord's gateway is ready", "guilds", len(ev.Guilds))
	case *discordgo.Resumed:
		d.log.Info("resumed the Discord session; missed events are replayed")
	case *discordgo.GuildCreate:
		for _, c := range ev.Channels {
			d.note(c)
		}
		for _, c := range ev.Threads {
			d.note(c)
		}
	case *discordgo.ChannelCreate:
		d.note(ev.Channel)
	case *discordgo.ChannelUpdate:
		d.note(ev.Channel)
	case *discordgo.ThreadCreate:
		d.note(ev.Channel)
	case *discordgo.ThreadUpdate:
		d.note(ev.Channel)
	case *discordgo.ThreadListSync:
		for _, c := range ev.Threads {
			d.note(c)
		}
	case *discordgo.InteractionCreate:
		// A customer's press of a rating button (rating.go) is the
		// source's; every other interaction is the desk's.
		switch i := ev.Interaction; {
		case i == nil:
		case isRating(i):
			g.clicks.Go(func() { g.rating(g.work, i) })
		case d.opts.DeskChannelID != "" && g.r.Actor != nil:
			g.clicks.Go(func() { g.interaction(g.work, i) })
		}
	case *discordgo.MessageCreate:
		if m := ev.Message; m != nil && m.Author != nil && m.Author.ID == d.botID {
			// discordgo's Message has no nonce; the event's JSON does.
			var echo struct {
				Nonce json.RawMessage `json:"nonce"`
			}
			if json.Unmarshal(e.RawData, &echo) == nil && len(echo.Nonce) > 0 {
				d.sentAs(strings.Trim(string(echo.Nonce), `"`), m.ID)
			}
		}
		if m := ev.Message; m != nil && d.byPerson(m) {
			g.inbox.push(func(ctx context.Context) { g.sort(ctx, m, created) })
		}
	case *discordgo.MessageUpdate:
		// Discord sends an update for every edit, the bot's own included
		// (it edits roots and marks all the time), and for a link's
		// preview unfurling, which has no edited_timestamp of its own.
		if m := ev.Message; m != nil && m.EditedTimestamp != nil && d.byPerson(m) {
			g.inbox.push(func(ctx context.Context) { g.sort(ctx, m, edited) })
		}
	case *discordgo.MessageDelete:
		// A deletion names only the message and its channel.
		if m := ev.Message; m != nil && m.ID != "" && m.ChannelID != "" {
			g.inbox.push(func(ctx context.Context) { g.sort(ctx, m, deleted) })
		}
	case *discordgo.MessageReactionAdd:
		if d.opts.DeskChannelID != "" && g.r.Actor != nil && ev.MessageReaction != nil && ev.GuildID != "" {
			d.mu.Lock()
			id := "reaction:" + d.session + ":" + itoa(e.Sequence)
			d.mu.Unlock()
			r := ev
			// Through the inbox, so that it keeps its place among the
			// agents' messages.
			g.inbox.push(func(context.Context) { g.desk.push(func(ctx context.Context) { g.reaction(ctx, r, id) }) })
		}
	}
}

// byPerson reports whether m was written by a person: not by this bot,
// another bot, a webhook or Discord itself, and not a system message
// (a member joined, a thread was created…).
func (d *Discord) byPerson(m *discordgo.Message) bool {
	if m.Author == nil || m.Author.ID == d.botID || m.Author.Bot || m.Author.System || m.WebhookID != "" {
		return false
	}
	return m.Type == discordgo.MessageTypeDefault || m.Type == discordgo.MessageTypeReply
}

// lane is a queue of jobs done one at a time, in order, that never makes
// the one who pushes wait.
type lane struct {
	mu     sync.Mutex
	jobs   []func(context.Context)
	closed bool
	wake   chan struct{}
}

func newLane() *lane { return &lane{wake: make(chan struct{}, 1)} }

func (l *lane) push(job func(context.Context)) {
	l.mu.Lock()
	l.jobs = append(l.jobs, job)
	l.mu.Unlock()
	l.signal()
}

// close lets run return once the jobs already pushed are done.
func (l *lane) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.signal()
}

func (l *lane) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *lane) run(ctx context.Context) {
	for {
		l.mu.Lock()
		if len(l.jobs) == 0 {
			closed := l.closed
			l.mu.Unlock()
			if closed {
				return
			}
			<-l.wake
			continue
		}
		job := l.jobs[0]
		l.jobs[0] = nil
		l.jobs = l.jobs[1:]
		l.mu.Unlock()
		job(ctx)
	}
}
