package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/leader"
	"caredesk/store/postgres"
	"caredesk/store/postgres/pgtest"
)

// TestTerms: the rules of a term on the server, with two replicas'
// connections to one database.
func TestTerms(t *testing.T) {
	_, url := pgtest.Database(t)
	a, b := mustOpen(t, url), mustOpen(t, url)
	ctx := t.Context()

	ta, who, err := a.Claim(ctx, "connections", "a", time.Minute)
	if err != nil || ta.Token != 1 || who != "a" {
		t.Fatalf("a's claim of a free role: %+v %q %v, want token 1", ta, who, err)
	}
	if _, who, err := b.Claim(ctx, "connections", "b", time.Minute); !errors.Is(err, leader.ErrTaken) || who != "a" {
		t.Fatalf("b's claim while a leads: %q %v, want ErrTaken by a", who, err)
	}
	if err := a.Renew(ctx, ta, time.Minute); err != nil {
		t.Fatalf("a renews: %v", err)
	}
	// a's own claim again (a restart under the same name) starts a new
	// term, which fences out the old one.
	ta2, _, err := a.Claim(ctx, "connections", "a", time.Minute)
	if err != nil || ta2.Token != 2 {
		t.Fatalf("a claims again: %+v %v, want token 2", ta2, err)
	}
	if err := a.Renew(ctx, ta, time.Minute); !errors.Is(err, leader.ErrFenced) {
		t.Errorf("renewal of a's first term: %v, want ErrFenced", err)
	}
	if err := a.Release(ctx, ta2); err != nil {
		t.Fatalf("a releases: %v", err)
	}
	tb, _, err := b.Claim(ctx, "connections", "b", time.Minute)
	if err != nil || tb.Token != 3 {
		t.Fatalf("b's claim after a released: %+v %v, want token 3", tb, err)
	}
	if err := a.Release(ctx, ta2); !errors.Is(err, leader.ErrFenced) {
		t.Errorf("a releases b's role: %v, want ErrFenced and nothing done", err)
	}
	if _, who, err := a.Claim(ctx, "connections", "a", time.Minute); !errors.Is(err, leader.ErrTaken) || who != "b" {
		t.Errorf("a's claim after its release did nothing: %q %v, want b leading", who, err)
	}
	// Roles are apart.
	if other, _, err := a.Claim(ctx, "other", "a", time.Minute); err != nil || other.Token != 1 {
		t.Errorf("a's claim of another role: %+v %v", other, err)
	}
}

// TestFencedUpdates: an Update asked for under a term is made while the
// term is the role's, and refused, with nothing written, once another
// replica took the role over, or once the term ran out.
func TestFencedUpdates(t *testing.T) {
	_, url := pgtest.Database(t)
	a, b := mustOpen(t, url), mustOpen(t, url)
	ctx := t.Context()
	create := func(db bot.Store, ctx context.Context, conv string) error {
		return db.Update(ctx, func(tx bot.Tx) error {
			return tx.CreateTicket(&bot.Ticket{Source: "telegram", Conversation: conv, State: bot.Open})
		})
	}
	ta, _, err := a.Claim(ctx, "connections", "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	underA := leader.WithFence(ctx, ta)
	if err := create(a, underA, "1"); err != nil {
		t.Fatalf("a write under a's term: %v", err)
	}
	// a's term runs out (a renewal into the past stands for a pause): its
	// write is refused even before anyone took over.
	if err := a.Renew(ctx, ta, -time.Second); err != nil {
		t.Fatal(err)
	}
	if err := create(a, underA, "2"); !errors.Is(err, leader.ErrFenced) {
		t.Errorf("a write under a term that ran out: %v, want ErrFenced", err)
	}
	tb, _, err := b.Claim(ctx, "connections", "b", time.Minute)
	if err != nil {
		t.Fatalf("b takes over: %v", err)
	}
	if err := create(a, underA, "3"); !errors.Is(err, leader.ErrFenced) {
		t.Errorf("a write under a's old term after b took over: %v, want ErrFenced", err)
	}
	if err := create(b, leader.WithFence(ctx, tb), "4"); err != nil {
		t.Errorf("b's write under its term: %v", err)
	}
	if err := create(a, ctx, "5"); err != nil {
		t.Errorf("a write under no term (HTTP, the outbox): %v", err)
	}
	var convs []string
	if err := a.View(ctx, func(tx bot.Tx) error {
		open, err := tx.OpenTickets(100)
		for _, tk := range open {
			convs = append(convs, tk.Conversation)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(convs)
	if want := []string{"1", "4", "5"}; !slices.Equal(convs, want) {
		t.Errorf("tickets of conversations %v, want %v", convs, want)
	}
}

// TestHeard: the latest time a source was heard, by any replica, is kept.
func TestHeard(t *testing.T) {
	_, url := pgtest.Database(t)
	a, b := mustOpen(t, url), mustOpen(t, url)
	ctx := t.Context()
	t0 := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	for _, h := range []struct {
		db     *postgres.DB
		source string
		at     time.Time
	}{
		{a, "webhook:forum", t0.Add(time.Minute)},
		{b, "webhook:forum", t0}, // older, from the other replica: kept out
		{b, "webhook:twitter", t0.Add(2 * time.Minute)},
	} {
		if err := h.db.Heard(ctx, h.source, h.at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.LastHeard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"webhook:forum": t0.Add(time.Minute), "webhook:twitter": t0.Add(2 * time.Minute)}
	if len(got) != len(want) {
		t.Fatalf("heard %v, want %v", got, want)
	}
	for s, at := range want {
		if !got[s].Equal(at) {
			t.Errorf("%s heard at %v, want %v", s, got[s], at)
		}
	}
}

// TestAStalledLeaderLetsGo: a leader that stops in the middle of a
// transaction (a process paused between two statements) holds its row and
// the write lock only until the server ends the idle transaction; then
// another replica takes over, and the stalled write is refused.
func TestAStalledLeaderLetsGo(t *testing.T) {
	_, url := pgtest.Database(t)
	a, b := mustOpen(t, url), mustOpen(t, url)
	ctx := t.Context()
	ta, _, err := a.Claim(ctx, "connections", "a", 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	inTx, wake := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.Update(leader.WithFence(ctx, ta), func(bot.Tx) error {
			close(inTx)
			<-wake // stalled between statements, holding the row FOR SHARE
			return nil
		})
	}()
	<-inTx
	began := time.Now()
	var tb leader.Term
	for {
		claim, cancel := context.WithTimeout(ctx, time.Second)
		tb, _, err = b.Claim(claim, "connections", "b", time.Minute)
		cancel()
		if err == nil {
			break
		}
		if time.Since(began) > postgres.IdleInTransaction+5*time.Second {
			t.Fatalf("b could not take over %s after a stalled: %v", time.Since(began), err)
		}
	}
	close(wake)
	if err := <-done; err == nil {
		t.Error("the stalled leader's write was committed, want it refused")
	}
	// A claim given up as the row came free may have been made all the
	// same: b then holds a later term, never used, which this one fences.
	if tb.Holder != "b" || tb.Token < 2 {
		t.Errorf("b's term %+v, want a new term of b's", tb)
	}
	t.Logf("b took over %s after a stalled mid-transaction", time.Since(began).Round(time.Millisecond))
}

// TestAnnounced: what the desk was last told of each source is kept, the
// latest over the earlier.
func TestAnnounced(t *testing.T) {
	_, url := pgtest.Database(t)
	a, b := mustOpen(t, url), mustOpen(t, url)
	ctx := t.Context()
	for _, s := range []struct {
		db        *postgres.DB
		source    string
		up, quiet bool
	}{
		{a, "telegram", false, false},
		{b, "telegram", true, false},
		{a, "webhook:forum", false, true},
	} {
		if err := s.db.Announced(ctx, s.source, s.up, s.quiet); err != nil {
			t.Fatal(err)
		}
	}
	// Under a term that is no longer the role's, nothing is recorded.
	old, _, err := a.Claim(ctx, "connections", "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Claim(ctx, "connections", "a", time.Minute); err != nil { // a again: a new term
		t.Fatal(err)
	}
	if err := a.Announced(leader.WithFence(ctx, old), "telegram", false, false); !errors.Is(err, leader.ErrFenced) {
		t.Errorf("recorded under an old term: %v, want ErrFenced", err)
	}
	up, quiet, err := b.LastAnnounced(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !up["telegram"] || quiet["telegram"] || up["webhook:forum"] || !quiet["webhook:forum"] || len(up) != 2 {
		t.Errorf("up %v, quiet %v; want telegram up, the forum down for silence", up, quiet)
	}
}
