// Package leader chooses, among caredesk replicas sharing one database, the
// one that holds what a network allows only once: Telegram serves a bot's
// long poll to one receiver, and a Discord bot's gateway events would reach
// every connection. The others serve HTTP and deliver the outbox, and take
// over when the leader stops renewing its term.
//
// A term is a row in the store with a holder, an expiry and a fencing
// token that grows with every new term. A leader works under a context
// that carries its term (WithFence) and ends when the term is lost; the
// store checks the term in every transaction made under such a context,
// so a leader that was paused and wakes up after another took over cannot
// write what it received, even before it notices.
package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Term is one holder's hold of a role.
type Term struct {
	Role   string
	Holder string
	Token  int64 // grows by one with every new term of the role
}

// ErrTaken is Claim's answer when another holder's term has not run out.
var ErrTaken = errors.New("another replica leads")

// ErrFenced is the store's answer to a write made under a term that is no
// longer the role's: another replica took over, or the term ran out.
var ErrFenced = errors.New("this replica no longer leads: another took over or its term ran out; what it received comes again to the leader")

// Store keeps the terms. Its clock decides when a term runs out, so that
// replicas whose clocks disagree still agree on who leads.
type Store interface {
	// Claim starts a term of role for holder lasting ttl, when the role's
	// last term ran out or was holder's own, and returns it with a new
	// token. ErrTaken, and the holder that leads, otherwise.
	Claim(ctx context.Context, role, holder string, ttl time.Duration) (Term, string, error)
	// Renew extends t by ttl from now, when it is still the role's term;
	// ErrFenced when it is not.
	Renew(ctx context.Context, t Term, ttl time.Duration) error
	// Release ends t at once, when it is still the role's term, so that
	// another replica need not wait for it to run out.
	Release(ctx context.Context, t Term) error
}

type fenceKey struct{}

// WithFence returns ctx carrying t: the store refuses, with ErrFenced, a
// write made under it once t is no longer the role's.
func WithFence(ctx context.Context, t Term) context.Context {
	return context.WithValue(ctx, fenceKey{}, t)
}

// FenceOf returns the term ctx carries, if any.
func FenceOf(ctx context.Context) (Term, bool) {
	t, ok := ctx.Value(fenceKey{}).(Term)
	return t, ok
}

// Status is what a replica knows of the role, for /readyz and /metrics.
type Status struct {
	Replica string // this replica's name
	Leading bool
	Token   int64  // this replica's term, when leading
	Leader  string // who leads, when known ("" when none or unknown)
	Alone   bool   // the only process on its store: it always leads
	Terms   int    // terms this replica has begun since it started
}

// Elector takes part in choosing the leader of one role.
type Elector struct {
	store  Store
	role   string
	holder string
	ttl    time.Duration // how long a term lasts unless renewed
	retry  time.Duration // how often a follower tries to claim
	renew  time.Duration // how often the leader renews
	drain  time.Duration // how long a stopping leader keeps its term while lead lets go
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	status Status
}

// Option configures an Elector.
type Option func(*Elector)

// Drain sets how long, at most, a stopping leader keeps renewing its term
// while lead lets go (default 15 s: the Discord gateway's 10 s drain, and
// room): past it, lead's writes are refused and another replica may take
// over, however long lead hangs.
func Drain(d time.Duration) Option {
	return func(e *Elector) {
		if d > 0 {
			e.drain = d
		}
	}
}

// Logger sets where the elector says that this replica leads or stopped
// leading (the default discards it).
func Logger(l *slog.Logger) Option { return func(e *Elector) { e.log = l } }

// New returns an elector of role for holder, a name no other replica on
// the store has. takeover bounds how long the role goes without a leader
// when its leader dies: a term lasts two thirds of it and a follower
// tries to claim every sixth, so a term that ran out is taken within one
// more try, and a sixth is left for the database's and the network's
// delays.
func New(s Store, role, holder string, takeover time.Duration, opts ...Option) *Elector {
	takeover = max(takeover, 6*time.Millisecond)
	e := &Elector{
		store: s, role: role, holder: holder,
		retry: takeover / 6, ttl: takeover * 2 / 3, drain: 15 * time.Second, log: slog.New(slog.DiscardHandler), now: time.Now,
	}
	// Four renewals a term: one that fails to a passing database error
	// leaves three more before the term runs out.
	e.renew = e.ttl / 4
	e.status.Replica = holder
	for _, o := range opts {
		o(e)
	}
	return e
}

// Status says whether this replica leads and who does.
func (e *Elector) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

func (e *Elector) set(f func(*Status)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(&e.status)
}

// Run takes part until ctx ends. While this replica leads it runs lead
// with a context that carries the term (WithFence) and ends when the term
// is lost, or when it runs out by this process's clock without a renewal
// (a process paused past its term stops at once when it wakes). When lead
// returns after its context ended, Run goes back to following; when it
// returns an error on its own, Run gives the term up and returns the
// error. At the end Run releases a term it holds, so that another replica
// takes over at its next try rather than when the term runs out.
func (e *Elector) Run(ctx context.Context, lead func(context.Context) error) error {
	for {
		term, asked, err := e.claim(ctx)
		if err != nil {
			return nil // ctx ended
		}
		if err := e.hold(ctx, term, asked, lead); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// claim tries for the role every retry until it has a term or ctx ends,
// and returns the term and when it was asked for: the term runs out ttl
// after some moment later than that.
func (e *Elector) claim(ctx context.Context) (Term, time.Time, error) {
	tick := time.NewTicker(e.retry)
	defer tick.Stop()
	failing := false
	for {
		asked := e.now()
		// Bounded: a claim waits for the role's row while a transaction
		// of the old leader holds it, which must not hold up the next try.
		claim, cancel := context.WithTimeout(ctx, e.retry)
		term, leader, err := e.store.Claim(claim, e.role, e.holder, e.ttl)
		cancel()
		switch {
		case err == nil:
			return term, asked, nil
		case errors.Is(err, ErrTaken):
			failing = false
			e.set(func(s *Status) { s.Leader = leader })
		case ctx.Err() == nil && !failing:
			failing = true // said once until it works again
			e.log.Warn("could not ask the database who leads; trying again", "role", e.role, "err", err, "retry_in", e.retry)
		}
		select {
		case <-ctx.Done():
			return Term{}, time.Time{}, ctx.Err()
		case <-tick.C:
		}
	}
}

// hold leads for as long as term, asked for at asked, lasts. It returns
// lead's own error, nil when the term was lost or ctx ended.
func (e *Elector) hold(ctx context.Context, term Term, asked time.Time, lead func(context.Context) error) error {
	expires := asked.Add(e.ttl)
	leadCtx, stop := context.WithCancelCause(WithFence(ctx, term))
	defer stop(nil)
	e.set(func(s *Status) { s.Leading, s.Token, s.Leader, s.Terms = true, term.Token, e.holder, s.Terms+1 })
	e.log.Info("this replica leads now", "role", e.role, "replica", e.holder, "token", term.Token)

	done := make(chan error, 1)
	go func() { done <- lead(leadCtx) }()
	// Runs out by this process's clock, whatever the database says: a
	// process paused past its term must not act on it when it wakes.
	deadline := time.AfterFunc(time.Until(expires), func() { stop(errors.New("term ran out without a renewal")) })
	defer deadline.Stop()

	tick := time.NewTicker(e.renew)
	defer tick.Stop()
	var leadErr error
loop:
	for {
		select {
		case leadErr = <-done:
			done = nil
			break loop
		case <-leadCtx.Done():
			break loop
		case <-tick.C:
		}
		asked := e.now()
		err := e.store.Renew(leadCtx, term, e.ttl)
		switch {
		case err == nil:
			expires = asked.Add(e.ttl)
			deadline.Reset(time.Until(expires))
		case errors.Is(err, ErrFenced):
			stop(err)
		case leadCtx.Err() == nil:
			e.log.Warn("could not renew this replica's term; trying again", "role", e.role, "err", err, "runs_out_in", time.Until(expires).Round(time.Millisecond))
		}
	}
	lost := context.Cause(leadCtx) // nil when lead returned on its own
	stop(errors.New("lead returned"))
	// lead's context ended: wait for it to let go. When this replica is
	// stopping, the term is still its own, and lead finishes what it took
	// (the Discord gateway's events already received) under it: renewed
	// meanwhile, so that what it stores is not refused for a term that
	// ran out while it drained.
	renew := ctx.Err() != nil && lost == context.Cause(ctx) // ended by the stop, not by a lost term
	draining := time.Now()
	for done != nil {
		select {
		case leadErr = <-done:
			done = nil
		case <-tick.C:
			if renew && time.Since(draining) > e.drain {
				renew = false
				e.log.Warn("this replica is still letting go of what it leads; it stops renewing its term, so another takes over", "role", e.role, "after", e.drain)
			}
			if renew {
				if err := e.store.Renew(context.WithoutCancel(ctx), term, e.ttl); err != nil {
					renew = false // lost after all: what is left is refused
				}
			}
		}
	}
	e.set(func(s *Status) { s.Leading, s.Token = false, 0; s.Leader = "" })
	// Released also after a lost term: Release does nothing to another's.
	release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := e.store.Release(release, term); err != nil && !errors.Is(err, ErrFenced) {
		e.log.Warn("could not give up this replica's term; another takes over when it runs out", "role", e.role, "err", err)
	}
	switch {
	case ctx.Err() != nil:
		e.log.Info("this replica stopped leading: it is stopping", "role", e.role)
		return nil
	case lost == nil && leadErr != nil:
		return fmt.Errorf("%s: %w", e.role, leadErr)
	case lost == nil:
		lost = errors.New("its work ended")
	}
	e.log.Warn("this replica stopped leading", "role", e.role, "why", lost)
	return nil
}

// Alone returns a Status source for a process that is the only one on its
// store (SQLite): it always leads, and Run runs lead once.
func Alone(replica string) *Single {
	return &Single{status: Status{Replica: replica, Leading: true, Leader: replica, Alone: true, Terms: 1}}
}

// Single is the leadership of a process that is alone on its store.
type Single struct{ status Status }

// Run runs lead until ctx ends.
func (s *Single) Run(ctx context.Context, lead func(context.Context) error) error { return lead(ctx) }

// Status says this process leads.
func (s *Single) Status() Status { return s.status }
