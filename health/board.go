// Package health keeps the board of what caredesk depends on — the store,
// the desk's connection and each source — with the state of each, renders
// it as readiness (/readyz), and tells the desk channel when a source stops
// or starts bringing complaints again.
//
// Support inboxes stop receiving without anyone noticing: a revoked token,
// a second bot polling with the same token, a bridge that died. Nobody
// reads logs at 3 a.m., but the team reads its desk channel; so a source
// that goes down is announced there, with what to do, and again when it
// is back.
package health

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"caredesk/config"
	"caredesk/quietlog"
)

// Announcer posts a sentence of its own in the desk channel, through the
// outbox like every desk post (bot.Bot.Announce).
type Announcer interface {
	Announce(ctx context.Context, text string) error
}

// Defaults of Options.
const (
	// DefaultSettle is how long a source's change must hold before it is
	// announced: a reconnection that succeeds within it is no news.
	DefaultSettle = 10 * time.Second
	// flapWindow is the time over which a part's announcements are counted
	// to lengthen the next one's settle time.
	flapWindow = time.Hour
	// probeTimeout bounds a readiness probe, so that a hung store cannot
	// hang the health check too.
	probeTimeout = 2 * time.Second
)

// Options configure a Board. Every field is optional.
type Options struct {
	Announcer Announcer        // nil: nothing is announced
	Now       func() time.Time // time.Now when nil; tests use a fake clock
	// Settle is how long a source's change must hold before it is
	// announced; DefaultSettle when 0. Each further change of the same
	// source within an hour must hold twice as long as the one before (up
	// to an hour), so a flapping source posts a few messages, not hundreds.
	Settle time.Duration
	Logger *slog.Logger // slog.Default() when nil
	// Memory keeps what the desk channel was last told of each source
	// beyond this process: replicas hand announcing over to each other,
	// and the next must not miss that a source the last one said was down
	// is back, nor say it is down a second time. nil: in memory only.
	Memory Memory
}

// Told is what the desk channel was last told of a source: up or down,
// and down for silence.
type Told struct{ Up, Quiet bool }

// Memory keeps Told per source where every replica finds it.
type Memory interface {
	Recall(ctx context.Context) (map[string]Told, error)
	Remember(ctx context.Context, source string, t Told) error
}

// Board is the state of every part caredesk depends on. It is safe for
// concurrent use: adapters report from their own goroutines.
type Board struct {
	now      func() time.Time
	settle   time.Duration
	announce Announcer
	memory   Memory
	log      *slog.Logger
	quiet    *quietlog.Limiter

	mu     sync.Mutex
	parts  []*Part
	probes []probe
	notes  []note
}

// note is a line of readiness that informs and never makes caredesk not
// ready.
type note struct {
	name string
	text func() string
}

// probe is a check run at every readiness request.
type probe struct {
	name  string
	check func(context.Context) error
}

// New returns an empty Board.
func New(o Options) *Board {
	b := &Board{now: o.Now, settle: o.Settle, announce: o.Announcer, memory: o.Memory, log: o.Logger}
	if b.now == nil {
		b.now = time.Now
	}
	if b.settle <= 0 {
		b.settle = DefaultSettle
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	b.quiet = quietlog.New(b.log, time.Minute)
	return b
}

// Kind says what a part is to caredesk.
type Kind string

// The kinds of parts.
const (
	// Source is a network customers write on. Its changes are announced.
	Source Kind = "source"
	// Desk is the desk's own connection. Its changes are not announced:
	// a desk that is down cannot be told so, and it is told nothing new
	// when it is back.
	Desk Kind = "desk"
)

// Part is one thing on the board whose state its owner reports.
type Part struct {
	b       *Board
	name    string // "telegram", "webhook:twitter", "desk"
	display string // "Telegram", "X (Twitter)", "the Slack desk"
	kind    Kind

	// guarded by b.mu
	ok        bool
	reason    string
	since     time.Time   // when ok last changed
	told      bool        // the state the channel was last told: true means up (or never told)
	toldQuiet bool        // what it was told was silence
	tolds     []time.Time // when changes were announced, within flapWindow
	silence   time.Duration
	heard     time.Time // the last complaint, or the start of the watch
	quiet     bool      // down because silent, not because the adapter said so
	warnOnly  bool      // down is a warning, never not ready (see WarnOnly)
}

// Source adds a source, named as in tickets ("telegram",
// "webhook:twitter") and shown as display ("Telegram", "X (Twitter)").
// It starts not ready ("has not connected yet") until its first report.
func (b *Board) Source(name, display string) *Part { return b.add(name, display, Source) }

// Desk adds the desk's connection, shown as display ("the Slack desk").
// It starts not ready until its first report.
func (b *Board) Desk(name, display string) *Part { return b.add(name, display, Desk) }

// add adds a part, or returns the part of that name and kind already on
// the board: connecting again (a network away at start) is the same part.
func (b *Board) add(name, display string, kind Kind) *Part {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.parts {
		if p.name == name && p.kind == kind {
			return p
		}
	}
	p := &Part{b: b, name: name, display: display, kind: kind, told: true, since: b.now(),
		reason: display + " has not connected yet."}
	b.parts = append(b.parts, p)
	return p
}

// Probe adds a check that runs at every readiness request, such as "the
// store is writable". Its error, a sentence, is shown as the reason.
func (b *Board) Probe(name string, check func(context.Context) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probes = append(b.probes, probe{name: name, check: check})
}

// Note adds a line "name: text()" to every readiness answer, after the
// probes, that says something about this caredesk (which role it has
// among replicas) without bearing on whether it is ready.
func (b *Board) Note(name string, text func() string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notes = append(b.notes, note{name: name, text: text})
}

// Report records the part's state: ok, or not with reason, a sentence
// that says what is wrong and what to do. Adapters call it through their
// OnState option, on every change and as often as they like.
func (p *Part) Report(ok bool, reason string) {
	b := p.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		reason = ""
	}
	if ok != p.ok {
		p.since = b.now()
	}
	p.ok, p.reason, p.quiet = ok, reason, false
	if ok {
		p.heard = b.now() // a source that just came back has not been silent
	}
}

// WarnOnly makes the part's being down a warning in readiness, as a
// silence is, not a reason for caredesk to be taken out of its load
// balancer: a listener's feed that fails says nothing about whether this
// caredesk can take Slack's events and the bridges' posts. Its changes
// are still announced.
func (p *Part) WarnOnly() {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	p.warnOnly = true
}

// WatchSilence makes a source that brings no complaint for longer than
// after count as down, for bridges that cannot tell caredesk they stopped.
// The watch starts now.
func (p *Part) WatchSilence(after time.Duration) {
	b := p.b
	b.mu.Lock()
	defer b.mu.Unlock()
	p.silence, p.heard = after, b.now()
}

// Heard records that a complaint from source was stored: a silent source
// is back.
func (b *Board) Heard(source string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	for _, p := range b.parts {
		if p.name != source {
			continue
		}
		p.heard = now
		if p.quiet {
			p.ok, p.reason, p.quiet, p.since = true, "", false, now
		}
	}
}

// HeardAt records that a complaint from source was stored at at, by this
// caredesk or another replica: the silence watch takes the latest it
// knows, and a silent source heard within its alarm is back.
func (b *Board) HeardAt(source string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	for _, p := range b.parts {
		if p.name != source || !at.After(p.heard) {
			continue
		}
		p.heard = at
		if p.quiet && now.Sub(at) <= p.silence {
			p.ok, p.reason, p.quiet, p.since = true, "", false, now
		}
	}
}

// State is one part as the board sees it now.
type State struct {
	Name   string
	Kind   Kind
	OK     bool
	Reason string // why not, when !OK
	// Warning marks a part that is down but does not make caredesk not
	// ready: a silent source, since a not-ready caredesk may be taken out
	// of its load balancer and then no bridge could reach it at all.
	Warning bool
}

// States returns every part, in the order they were added.
func (b *Board) States() []State {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.watchLocked(b.now())
	out := make([]State, 0, len(b.parts))
	for _, p := range b.parts {
		out = append(out, State{Name: p.name, Kind: p.kind, OK: p.ok, Reason: p.reason, Warning: p.quiet || p.warnOnly})
	}
	return out
}

// watchLocked marks silent sources down. b.mu is held.
func (b *Board) watchLocked(now time.Time) {
	for _, p := range b.parts {
		if p.silence <= 0 || p.quiet || !p.ok || now.Sub(p.heard) <= p.silence {
			continue
		}
		p.ok, p.quiet, p.since = false, true, p.heard.Add(p.silence)
		if p.warnOnly {
			// A listener: caredesk asks, and the answers hold nothing new.
			p.reason = fmt.Sprintf("%s has sent no complaint for %s (its silence_alarm), though caredesk polls it: check that its address, searches and include words still find what people post about the brand.",
				p.display, config.FormatDuration(p.silence))
			continue
		}
		p.reason = fmt.Sprintf("%s has sent no complaint for %s (its silence_alarm): check that the bridge runs and that it can reach caredesk's /hooks/%s.",
			p.display, config.FormatDuration(p.silence), hookName(p.name))
	}
}

// hookName is the NAME of a "webhook:NAME" source, as in /hooks/NAME.
func hookName(source string) string {
	name, _ := strings.CutPrefix(source, "webhook:")
	return name
}

// Run checks the board every second until ctx ends: it marks silent
// sources down and announces the changes that have held long enough,
// against what the channel was last told, by this process or, with a
// Memory, by the one that announced before it.
func (b *Board) Run(ctx context.Context) {
	b.Recall(ctx)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		b.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Tick checks the board once, at the board's clock's time: Run calls it
// every second; tests call it after moving their fake clock.
func (b *Board) Tick(ctx context.Context) {
	b.mu.Lock()
	now := b.now()
	b.watchLocked(now)
	var due []*Part
	for _, p := range b.parts {
		if p.kind == Source && p.ok != p.told && now.Sub(p.since) >= b.holdLocked(p, now) {
			due = append(due, p)
		}
	}
	news := make([]news, len(due))
	for i, p := range due {
		news[i] = p.newsLocked()
	}
	b.mu.Unlock()

	for i, p := range due {
		n := news[i]
		if b.announce != nil {
			if err := b.announce.Announce(ctx, n.text); err != nil {
				if ctx.Err() == nil {
					// The next tick tries again; a store that stays broken
					// must not write a line a second.
					b.quiet.Log(slog.LevelError, "health announce "+p.name, "could not queue a source's change for the desk channel; trying again", "source", p.name, "err", err)
				}
				continue
			}
		}
		b.told(p, n, now)
		b.log.Info("told the desk channel about a source", "source", p.name, "up", n.ok)
		if b.memory != nil {
			if err := b.memory.Remember(ctx, p.name, Told{Up: n.ok, Quiet: n.quiet}); err != nil {
				b.log.Warn("could not keep what the desk channel was told of a source; the next replica to announce may say it again", "source", p.name, "err", err)
			}
		}
	}
}

// Recall takes what the channel was last told of each source from the
// Memory, if any: Run does first; tests call it.
func (b *Board) Recall(ctx context.Context) {
	if b.memory == nil {
		return
	}
	told, err := b.memory.Recall(ctx)
	if err != nil {
		b.log.Warn("could not read what the desk channel was last told of each source; a change may be said twice", "err", err)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.parts {
		if t, ok := told[p.name]; ok && p.kind == Source {
			p.told, p.toldQuiet = t.Up, t.Quiet
		}
	}
}

// news is one change of a part to announce.
type news struct {
	text  string
	ok    bool
	quiet bool // down because silent
}

// told records that the channel was told n.
func (b *Board) told(p *Part, n news, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p.told, p.toldQuiet = n.ok, n.quiet
	p.tolds = append(p.tolds, now)
}

// holdLocked is how long p's current state must have held before it is
// announced: the settle time, doubled for each announcement of p within
// the last hour after the first, up to an hour; for silence and its end,
// that less the settle time. b.mu is held.
func (b *Board) holdLocked(p *Part, now time.Time) time.Duration {
	recent := p.tolds[:0]
	for _, t := range p.tolds {
		if now.Sub(t) < flapWindow {
			recent = append(recent, t)
		}
	}
	p.tolds = recent
	hold := b.settle
	for range max(0, len(recent)-1) {
		if hold *= 2; hold >= flapWindow {
			return flapWindow
		}
	}
	if p.quiet || (p.ok && p.toldQuiet) {
		// Silence has held for its whole silence_alarm already, and a
		// complaint that ends it is no blip: only repeats wait longer.
		hold -= b.settle
	}
	return hold
}

// newsLocked is what the channel is told about p's current state. b.mu is
// held.
func (p *Part) newsLocked() news {
	switch {
	case p.ok && p.toldQuiet:
		return news{ok: true, text: fmt.Sprintf("✅ %s is bringing complaints again.", p.display)}
	case p.ok:
		return news{ok: true, text: fmt.Sprintf("✅ %s is connected again.", p.display)}
	}
	if p.warnOnly {
		// A listener: nobody writes to it, caredesk reads what is posted.
		return news{quiet: p.quiet, text: fmt.Sprintf("⚠️ %s Posts on %s are not reaching the desk.", sentence(p.reason), p.display)}
	}
	return news{quiet: p.quiet, text: fmt.Sprintf("⚠️ %s Customers writing on %s are not reaching the desk.", sentence(p.reason), p.display)}
}

// AnnouncerFunc adapts a function to Announcer.
type AnnouncerFunc func(ctx context.Context, text string) error

// Announce calls f.
func (f AnnouncerFunc) Announce(ctx context.Context, text string) error { return f(ctx, text) }
