package leader_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"caredesk/leader"
)

// terms is a Store in memory with the rules of the PostgreSQL one: a term
// is taken when the last ran out or was the claimer's, with the next token.
// cut makes a holder's calls fail, as when its database is out of reach;
// hang makes them wait until released, as for a process paused mid-call.
type terms struct {
	mu   sync.Mutex
	rows map[string]*row
	cut  map[string]bool
	hang map[string]chan struct{}
}

type row struct {
	holder string
	token  int64
	until  time.Time
}

func newTerms() *terms {
	return &terms{rows: map[string]*row{}, cut: map[string]bool{}, hang: map[string]chan struct{}{}}
}

var errCut = errors.New("database out of reach")

// enter waits while holder's calls hang and fails them while cut.
func (s *terms) enter(ctx context.Context, holder string) error {
	s.mu.Lock()
	h, cut := s.hang[holder], s.cut[holder]
	s.mu.Unlock()
	if h != nil {
		select {
		case <-h:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if cut {
		return errCut
	}
	return nil
}

func (s *terms) Claim(ctx context.Context, role, holder string, ttl time.Duration) (leader.Term, string, error) {
	if err := s.enter(ctx, holder); err != nil {
		return leader.Term{}, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rows[role]
	if r == nil {
		r = &row{}
		s.rows[role] = r
	} else if r.holder != holder && time.Now().Before(r.until) {
		return leader.Term{}, r.holder, leader.ErrTaken
	}
	r.holder, r.token, r.until = holder, r.token+1, time.Now().Add(ttl)
	return leader.Term{Role: role, Holder: holder, Token: r.token}, holder, nil
}

func (s *terms) Renew(ctx context.Context, t leader.Term, ttl time.Duration) error {
	if err := s.enter(ctx, t.Holder); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rows[t.Role]
	if r == nil || r.holder != t.Holder || r.token != t.Token {
		return leader.ErrFenced
	}
	r.until = time.Now().Add(ttl)
	return nil
}

func (s *terms) Release(ctx context.Context, t leader.Term) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rows[t.Role]
	if r == nil || r.holder != t.Holder || r.token != t.Token {
		return leader.ErrFenced
	}
	r.until = time.Now()
	return nil
}

// write is a leader-only write as the store checks it: refused unless the
// term ctx carries is the role's and has not run out.
func (s *terms) write(ctx context.Context) error {
	t, ok := leader.FenceOf(ctx)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rows[t.Role]
	if r == nil || r.holder != t.Holder || r.token != t.Token || !time.Now().Before(r.until) {
		return leader.ErrFenced
	}
	return nil
}

func (s *terms) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// replica runs an elector until stopped, recording each term it leads.
type replica struct {
	e     *leader.Elector
	stop  context.CancelFunc
	done  chan struct{} // closed when Run returned err
	err   error
	leads chan context.Context // a lead's context as it starts
	ended chan struct{}        // a lead's end
}

func start(t *testing.T, s leader.Store, name string, takeover time.Duration, leadErr error) *replica {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	r := &replica{e: leader.New(s, "connections", name, takeover), stop: stop, done: make(chan struct{}),
		leads: make(chan context.Context, 10), ended: make(chan struct{}, 10)}
	go func() {
		defer close(r.done)
		r.err = r.e.Run(ctx, func(ctx context.Context) error {
			r.leads <- ctx
			defer func() { r.ended <- struct{}{} }()
			if leadErr != nil {
				return leadErr
			}
			<-ctx.Done()
			return nil
		})
	}()
	t.Cleanup(func() {
		stop()
		<-r.done
	})
	return r
}

// within waits for ch for up to d, failing the test with what otherwise.
func within[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing after %s", what, d)
		var zero T
		return zero
	}
}

// eventually waits up to d for cond, checked every millisecond.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, d)
		}
		time.Sleep(time.Millisecond)
	}
}

const takeover = 250 * time.Millisecond

func TestOneLeadsTheOthersFollow(t *testing.T) {
	s := newTerms()
	a := start(t, s, "a", takeover, nil)
	lctx := within(t, a.leads, time.Second, "a leads")
	b := start(t, s, "b", takeover, nil)
	eventually(t, time.Second, "b learns that a leads", func() bool { return b.e.Status().Leader == "a" })

	if st := a.e.Status(); !st.Leading || st.Token != 1 || st.Replica != "a" || st.Terms != 1 {
		t.Errorf("a's status %+v, want leading term 1", st)
	}
	if st := b.e.Status(); st.Leading || st.Token != 0 || st.Replica != "b" {
		t.Errorf("b's status %+v, want following", st)
	}
	if term, ok := leader.FenceOf(lctx); !ok || term != (leader.Term{Role: "connections", Holder: "a", Token: 1}) {
		t.Errorf("a's lead context carries %+v %v, want its term", term, ok)
	}
	// Renewals keep a's term for many times its length.
	time.Sleep(3 * takeover) // the span under test, not a wait for a result
	if err := s.write(lctx); err != nil || !a.e.Status().Leading || b.e.Status().Leading {
		t.Errorf("after 3 terms' time: a writes %v, a leads %v, b leads %v; want a still leading", err, a.e.Status().Leading, b.e.Status().Leading)
	}
}

func TestAStoppingLeaderHandsOverAtOnce(t *testing.T) {
	s := newTerms()
	a := start(t, s, "a", 10*time.Second, nil)
	within(t, a.leads, time.Second, "a leads")
	b := start(t, s, "b", 10*time.Second, nil)
	eventually(t, time.Second, "b follows a", func() bool { return b.e.Status().Leader == "a" })
	began := time.Now()
	a.stop()
	if within(t, a.done, time.Second, "a stops"); a.err != nil {
		t.Errorf("a's Run: %v", a.err)
	}
	within(t, a.ended, time.Second, "a's lead ends")
	bctx := within(t, b.leads, 5*time.Second, "b takes over")
	// A term lasts 6.7 s here and b tries every 1.7 s: taking over
	// after a release is one try away, not a term away.
	if took := time.Since(began); took > 2200*time.Millisecond {
		t.Errorf("takeover took %s after a released, want at most one try (1.7 s)", took)
	}
	if term, _ := leader.FenceOf(bctx); term.Token != 2 {
		t.Errorf("b's term %+v, want token 2", term)
	}
}

func TestADeadLeaderIsTakenOverAndFencedOut(t *testing.T) {
	s := newTerms()
	a := start(t, s, "a", takeover, nil)
	actx := within(t, a.leads, time.Second, "a leads")
	b := start(t, s, "b", takeover, nil)
	eventually(t, time.Second, "b follows a", func() bool { return b.e.Status().Leader == "a" })

	// a loses the database: it cannot renew, and stops leading when its
	// term runs out by its own clock; b takes the role within takeover.
	s.set(func() { s.cut["a"] = true })
	lost := time.Now()
	within(t, a.ended, takeover, "a stops leading when its term runs out")
	if cause := context.Cause(actx); cause == nil || cause.Error() != "term ran out without a renewal" {
		t.Errorf("a's lead context ended with %v, want its term ran out", cause)
	}
	bctx := within(t, b.leads, 2*takeover, "b takes over")
	if took := time.Since(lost); took > takeover+50*time.Millisecond {
		t.Errorf("b took over %s after a fell silent, want within %s", took, takeover)
	}
	if err := s.write(actx); !errors.Is(err, leader.ErrFenced) {
		t.Errorf("a write under a's old term: %v, want ErrFenced", err)
	}
	if err := s.write(bctx); err != nil {
		t.Errorf("a write under b's term: %v", err)
	}
	// a comes back and follows.
	s.set(func() { s.cut["a"] = false })
	eventually(t, time.Second, "a follows b", func() bool { return a.e.Status().Leader == "b" && !a.e.Status().Leading })
}

func TestAPausedLeaderStopsByItsOwnClock(t *testing.T) {
	s := newTerms()
	a := start(t, s, "a", takeover, nil)
	actx := within(t, a.leads, time.Second, "a leads")
	// Every call of a's now waits, as in a process stopped mid-renewal:
	// its term still ends when its clock says, not when a call returns.
	release := make(chan struct{})
	s.set(func() { s.hang["a"] = release })
	within(t, a.ended, 2*takeover, "a stops leading though its renewal never returned")
	b := start(t, s, "b", takeover, nil)
	within(t, b.leads, 2*takeover, "b takes over")
	close(release)
	if err := s.write(actx); !errors.Is(err, leader.ErrFenced) {
		t.Errorf("a write under the paused leader's term: %v, want ErrFenced", err)
	}
}

func TestLeadFailingStopsRun(t *testing.T) {
	s := newTerms()
	refused := errors.New("discord rejected the token")
	a := start(t, s, "a", takeover, refused)
	within(t, a.done, time.Second, "Run returns")
	if !errors.Is(a.err, refused) {
		t.Fatalf("Run: %v, want lead's error", a.err)
	}
	// The term was given up: another leads at once.
	b := start(t, s, "b", 10*time.Second, nil)
	within(t, b.leads, time.Second, "b leads at its first try")
}

func TestAlone(t *testing.T) {
	s := leader.Alone("caredesk")
	if st := s.Status(); !st.Leading || !st.Alone || st.Replica != "caredesk" {
		t.Errorf("status %+v, want alone and leading", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran bool
	if err := s.Run(ctx, func(ctx context.Context) error {
		ran = true
		if _, fenced := leader.FenceOf(ctx); fenced {
			t.Error("alone, lead's context carries a term")
		}
		return nil
	}); err != nil || !ran {
		t.Errorf("Run: %v, ran %v", err, ran)
	}
}

// TestAStoppingLeaderKeepsItsTermWhileItFinishes: a leader that is stopping
// renews its term while lead finishes what it had taken, so that what it
// stores then is not refused; it releases the term after.
func TestAStoppingLeaderKeepsItsTermWhileItFinishes(t *testing.T) {
	s := newTerms()
	ctx, stop := context.WithCancel(context.Background())
	e := leader.New(s, "connections", "a", takeover)
	wrote := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		done <- e.Run(ctx, func(lctx context.Context) error {
			<-lctx.Done()
			time.Sleep(2 * takeover) // draining what the gateway brought: longer than a term
			wrote <- s.write(lctx)
			return nil
		})
	}()
	eventually(t, time.Second, "a leads", func() bool { return e.Status().Leading })
	stop()
	if err := within(t, wrote, 4*takeover, "the last write"); err != nil {
		t.Errorf("a write at the end of the drain: %v, want it taken under the renewed term", err)
	}
	if err := within(t, done, time.Second, "Run returns"); err != nil {
		t.Errorf("Run: %v", err)
	}
	b := start(t, s, "b", 10*time.Second, nil)
	within(t, b.leads, time.Second, "b leads at its first try: a released the term")
}

// TestAHungDrainLetsGoOfTheTerm: a stopping leader whose lead never lets
// go (a network call without a deadline) renews its term only for its
// drain time; then another replica takes over.
func TestAHungDrainLetsGoOfTheTerm(t *testing.T) {
	s := newTerms()
	ctx, stop := context.WithCancel(context.Background())
	e := leader.New(s, "connections", "a", takeover, leader.Drain(2*takeover))
	hang := make(chan struct{})
	defer close(hang)
	go func() {
		_ = e.Run(ctx, func(lctx context.Context) error {
			<-lctx.Done()
			<-hang
			return nil
		})
	}()
	eventually(t, time.Second, "a leads", func() bool { return e.Status().Leading })
	stop()
	b := start(t, s, "b", takeover, nil)
	within(t, b.leads, 5*takeover, "b takes over once a's drain time is over")
}
