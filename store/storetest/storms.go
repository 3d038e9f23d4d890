package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"caredesk/bot"
)

// parkedAt is the NextAt the core gives a parked root (bot's parkedAt):
// far in the future rather than zero, so that "due" stays one comparison.
// A store must keep it as it keeps any other time.
var parkedAt = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// startStorm starts a storm at started and returns it.
func startStorm(t *testing.T, s bot.Store, started time.Time) bot.Storm {
	t.Helper()
	st := bot.Storm{Started: started}
	update(t, s, func(tx bot.Tx) error { return tx.StartStorm(&st) })
	if st.ID == 0 {
		t.Fatal("StartStorm left ID 0")
	}
	return st
}

// newTickets creates n tickets, their numbers rising in the order of the
// slice, each in the desk channel of its own and with a latest message of
// its own.
func newTickets(t *testing.T, s bot.Store, n int) []bot.Ticket {
	t.Helper()
	ts := make([]bot.Ticket, n)
	update(t, s, func(tx bot.Tx) error {
		for i := range ts {
			ts[i] = bareTicket()
			ts[i].Channel = fmt.Sprintf("C%d", i)
			ts[i].LastInbound = fmt.Sprintf("ref-%d", i)
			if err := tx.CreateTicket(&ts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return ts
}

// listingOf is the listing of ticket tk in storm, parked at parked; first
// is Listing.First. Message and FirstRef are derived from the ticket, so
// that a listing mixed up with another's shows.
func listingOf(tk bot.Ticket, storm int64, first bool, parked time.Time) bot.Listing {
	return bot.Listing{Ticket: tk.ID, Storm: storm, Message: 100 + tk.ID, Channel: tk.Channel, First: first,
		FirstRef: fmt.Sprintf("first-%d", tk.ID), ParkedAt: parked}
}

// addListings records ls in one update, in order.
func addListings(t *testing.T, s bot.Store, ls ...bot.Listing) {
	t.Helper()
	update(t, s, func(tx bot.Tx) error {
		for _, l := range ls {
			if err := tx.AddListing(l); err != nil {
				return err
			}
		}
		return nil
	})
}

// release lets ticket's root go at released.
func release(t *testing.T, s bot.Store, ticket int64, released time.Time) {
	t.Helper()
	update(t, s, func(tx bot.Tx) error { return tx.ReleaseListing(ticket, released) })
}

// place puts ticket's listing on line of digest.
func place(t *testing.T, s bot.Store, ticket, digest int64, line int) {
	t.Helper()
	update(t, s, func(tx bot.Tx) error { return tx.PlaceListing(ticket, digest, line) })
}

// addDigest adds a digest of storm in channel, created at created, and
// returns it as AddDigest set it.
func addDigest(t *testing.T, s bot.Store, storm int64, channel string, created time.Time) bot.Digest {
	t.Helper()
	g := bot.Digest{Storm: storm, Channel: channel, Created: created}
	update(t, s, func(tx bot.Tx) error { return tx.AddDigest(&g) })
	if g.ID == 0 {
		t.Fatal("AddDigest left ID 0")
	}
	return g
}

// listingTickets are the tickets of ls, in order.
func listingTickets(ls []bot.Listing) []int64 {
	ids := make([]int64, len(ls))
	for i, l := range ls {
		ids[i] = l.Ticket
	}
	return ids
}

// ticketsAt are the numbers of ts's tickets at the positions given.
func ticketsAt(ts []bot.Ticket, positions ...int) []int64 {
	var ids []int64
	for _, i := range positions {
		ids = append(ids, ts[i].ID)
	}
	return ids
}

// loadListing returns ticket's listing, failing the test when it has none.
func loadListing(t *testing.T, s bot.Store, ticket int64) bot.Listing {
	t.Helper()
	var l bot.Listing
	var ok bool
	view(t, s, func(tx bot.Tx) (err error) { l, ok, err = tx.Listing(ticket); return err })
	if !ok {
		t.Fatalf("Listing(#%d): none, want one", ticket)
	}
	return l
}

// checkListing reports each field in which got differs from want.
func checkListing(t *testing.T, what string, got, want bot.Listing) {
	t.Helper()
	ok := checkTime(t, what+" ParkedAt", got.ParkedAt, want.ParkedAt)
	ok = checkTime(t, what+" Released", got.Released, want.Released) && ok
	got.ParkedAt, got.Released, want.ParkedAt, want.Released = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("%s\n got %+v\nwant %+v", what, got, want)
	} else if !ok {
		t.Errorf("%s: times differ (above)", what)
	}
}

// checkDigest reports each field in which got differs from want.
func checkDigest(t *testing.T, what string, got, want bot.Digest) {
	t.Helper()
	if got.ID != want.ID || got.Storm != want.Storm || got.Number != want.Number || got.Channel != want.Channel ||
		got.Ref != want.Ref || got.Shown != want.Shown || got.Tried != want.Tried || got.Lines != want.Lines {
		t.Errorf("%s came back as %+v, want %+v", what, got, want)
	}
	if got.Entries != nil {
		t.Errorf("%s came back with entries %+v: they are never stored", what, got.Entries)
	}
	checkTime(t, what+" Created", got.Created, want.Created)
}

// checkStorm fails unless CurrentStorm is want; a zero want means none.
func checkStorm(t *testing.T, s bot.Store, step string, want bot.Storm) {
	t.Helper()
	view(t, s, func(tx bot.Tx) error {
		got, ok, err := tx.CurrentStorm()
		switch {
		case err != nil:
			return err
		case ok != (want.ID != 0):
			t.Errorf("%s: CurrentStorm() = %+v, %v; want %+v", step, got, ok, want)
		case ok && (got.ID != want.ID || got.Listed != want.Listed || !got.Ended.IsZero()):
			t.Errorf("%s: CurrentStorm() = %+v, want %+v", step, got, want)
		case ok:
			checkTime(t, step+": Started", got.Started, want.Started)
		}
		return nil
	})
}

// testCurrentStorm: the storm under way is the one not ended, with the
// number of complaints listed in it (parked, let go or on a line alike);
// none after EndStorm, and a storm started after counts its own only.
func testCurrentStorm(t *testing.T, s bot.Store) {
	checkStorm(t, s, "none started", bot.Storm{})
	first := startStorm(t, s, t0)
	checkStorm(t, s, "just started", first)

	ts := newTickets(t, s, 4)
	addListings(t, s, listingOf(ts[0], first.ID, false, t0), listingOf(ts[1], first.ID, true, t0.Add(time.Second)),
		listingOf(ts[2], first.ID, false, t0.Add(2*time.Second)))
	release(t, s, ts[1].ID, t0.Add(time.Minute))
	g := addDigest(t, s, first.ID, ts[0].Channel, t0.Add(time.Minute))
	place(t, s, ts[0].ID, g.ID, 1)
	first.Listed = 3
	checkStorm(t, s, "three listed", first)

	update(t, s, func(tx bot.Tx) error { return tx.EndStorm(first.ID, t0.Add(time.Hour)) })
	checkStorm(t, s, "ended", bot.Storm{})

	second := startStorm(t, s, t0.Add(2*time.Hour))
	if second.ID <= first.ID {
		t.Errorf("second storm got id %d after %d: want ids rising", second.ID, first.ID)
	}
	checkStorm(t, s, "another started", second)
	addListings(t, s, listingOf(ts[3], second.ID, false, t0.Add(2*time.Hour)))
	second.Listed = 1
	checkStorm(t, s, "one listed in the other", second)
}

// testListingRoundTrip: a listing comes back as it was added, its times in
// UTC; a ticket never listed has none; a root let go keeps the time it
// was first let go; a listing of a ticket that does not exist is refused.
func testListingRoundTrip(t *testing.T, s bot.Store) {
	st := startStorm(t, s, t0)
	ts := newTickets(t, s, 3)
	tests := []struct {
		name string
		l    bot.Listing
	}{
		{"every field set", bot.Listing{Ticket: ts[0].ID, Storm: st.ID, Message: 77, Channel: "C0BILLING", First: true,
			FirstRef: "1741392000.000100", ParkedAt: t0.Add(time.Microsecond)}},
		{"the desk's own channel", bot.Listing{Ticket: ts[1].ID, Storm: st.ID, Message: 78, FirstRef: "m-78",
			ParkedAt: t0.Add(time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addListings(t, s, tt.l)
			checkListing(t, "listing", loadListing(t, s, tt.l.Ticket), tt.l)
		})
	}

	view(t, s, func(tx bot.Tx) error {
		l, ok, err := tx.Listing(ts[2].ID)
		if ok || err != nil {
			t.Errorf("Listing of a ticket never listed = %+v, %v, %v; want none, no error", l, ok, err)
		}
		return nil
	})

	released := t0.Add(time.Hour)
	release(t, s, ts[0].ID, released)
	release(t, s, ts[0].ID, released.Add(time.Hour))
	want := tests[0].l
	want.Released = released
	checkListing(t, "let go twice", loadListing(t, s, ts[0].ID), want)
	checkListing(t, "the other, still parked", loadListing(t, s, ts[1].ID), tests[1].l)

	missing := ts[2].ID + 100
	if err := s.Update(t.Context(), func(tx bot.Tx) error {
		return tx.AddListing(bot.Listing{Ticket: missing, Storm: st.ID, ParkedAt: t0})
	}); err == nil {
		t.Errorf("AddListing of ticket #%d, which does not exist: no error", missing)
	}
}

// testParked: the parked roots are those not let go: tickets not resolved
// first, then the First ones, then oldest (lowest number) first, whatever
// the order they were listed in; CountParked counts them, and a root let
// go leaves both.
func testParked(t *testing.T, s bot.Store) {
	st := startStorm(t, s, t0)
	ts := newTickets(t, s, 6)
	// Listed out of order; 2 and 4 are resolved after, 5 is let go.
	addListings(t, s,
		listingOf(ts[3], st.ID, false, t0),
		listingOf(ts[1], st.ID, true, t0.Add(time.Second)),
		listingOf(ts[4], st.ID, false, t0.Add(2*time.Second)),
		listingOf(ts[0], st.ID, false, t0.Add(3*time.Second)),
		listingOf(ts[2], st.ID, true, t0.Add(4*time.Second)),
		listingOf(ts[5], st.ID, true, t0.Add(5*time.Second)))
	update(t, s, func(tx bot.Tx) error {
		for _, i := range []int{2, 4} {
			tk := ts[i]
			tk.State, tk.ResolvedAt = bot.Resolved, t0.Add(time.Minute)
			if err := tx.SaveTicket(tk); err != nil {
				return err
			}
		}
		return nil
	})
	release(t, s, ts[5].ID, t0.Add(time.Minute))

	check := func(step string, limit int, want []int64) {
		t.Helper()
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.Parked(limit)
			if err != nil {
				return err
			}
			if ids := listingTickets(got); !slices.Equal(ids, want) {
				t.Errorf("%s: Parked(%d) = %v, want %v", step, limit, ids, want)
			}
			for _, l := range got {
				if !l.Released.IsZero() {
					t.Errorf("%s: Parked(%d) lists #%d, let go at %v", step, limit, l.Ticket, l.Released)
				}
			}
			return nil
		})
	}
	countParked := func(step string, want int) {
		t.Helper()
		view(t, s, func(tx bot.Tx) error {
			n, err := tx.CountParked()
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("%s: CountParked() = %d, want %d", step, n, want)
			}
			return nil
		})
	}

	tests := []struct {
		limit int
		want  []int
	}{
		{0, nil},
		{1, []int{1}},
		{3, []int{1, 0, 3}},
		{4, []int{1, 0, 3, 2}},
		{10, []int{1, 0, 3, 2, 4}},
	}
	for _, tt := range tests {
		check("listed", tt.limit, ticketsAt(ts, tt.want...))
	}
	countParked("listed", 5)

	// The whole listing comes back, not only its ticket.
	view(t, s, func(tx bot.Tx) error {
		got, err := tx.Parked(1)
		if err != nil || len(got) != 1 {
			t.Errorf("Parked(1) = %+v, %v; want one", got, err)
			return nil
		}
		checkListing(t, "the first parked", got[0], listingOf(ts[1], st.ID, true, t0.Add(time.Second)))
		return nil
	})

	release(t, s, ts[1].ID, t0.Add(2*time.Minute))
	release(t, s, ts[2].ID, t0.Add(2*time.Minute))
	check("two let go", 10, ticketsAt(ts, 0, 3, 4))
	countParked("two let go", 3)

	for _, i := range []int{0, 3, 4} {
		release(t, s, ts[i].ID, t0.Add(3*time.Minute))
	}
	check("all let go", 10, nil)
	countParked("all let go", 0)
}

// testUnlisted: the listings without a digest line are listed First ones
// first, then oldest (lowest number) first, parked or let go alike; a
// listing put on a line leaves them.
func testUnlisted(t *testing.T, s bot.Store) {
	st := startStorm(t, s, t0)
	ts := newTickets(t, s, 5)
	addListings(t, s,
		listingOf(ts[2], st.ID, false, t0),
		listingOf(ts[0], st.ID, false, t0.Add(time.Second)),
		listingOf(ts[3], st.ID, true, t0.Add(2*time.Second)),
		listingOf(ts[1], st.ID, true, t0.Add(3*time.Second)),
		listingOf(ts[4], st.ID, false, t0.Add(4*time.Second)))
	release(t, s, ts[4].ID, t0.Add(time.Minute))

	check := func(step string, limit int, want []int64) {
		t.Helper()
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.Unlisted(limit)
			if err != nil {
				return err
			}
			if ids := listingTickets(got); !slices.Equal(ids, want) {
				t.Errorf("%s: Unlisted(%d) = %v, want %v", step, limit, ids, want)
			}
			return nil
		})
	}
	tests := []struct {
		limit int
		want  []int
	}{
		{0, nil},
		{1, []int{1}},
		{2, []int{1, 3}},
		{4, []int{1, 3, 0, 2}},
		{10, []int{1, 3, 0, 2, 4}},
	}
	for _, tt := range tests {
		check("listed", tt.limit, ticketsAt(ts, tt.want...))
	}

	g := addDigest(t, s, st.ID, "", t0.Add(time.Minute))
	place(t, s, ts[1].ID, g.ID, 1)
	place(t, s, ts[0].ID, g.ID, 2)
	check("two on lines", 10, ticketsAt(ts, 3, 2, 4))
	want := listingOf(ts[0], st.ID, false, t0.Add(time.Second))
	want.Digest, want.Line = g.ID, 2
	checkListing(t, "a listing put on a line", loadListing(t, s, ts[0].ID), want)
}

// testDigestNumbers: AddDigest sets the id and numbers a digest after its
// storm's others, whatever their channel, from 1 in each storm.
func testDigestNumbers(t *testing.T, s bot.Store) {
	storms := []bot.Storm{startStorm(t, s, t0), startStorm(t, s, t0.Add(time.Hour))}
	tests := []struct {
		storm   int // in storms
		channel string
		want    int
	}{
		{0, "", 1},
		{0, "C1", 2},
		{1, "", 1},
		{0, "", 3},
		{1, "C2", 2},
		{0, "C1", 4},
	}
	var last int64
	for i, tt := range tests {
		g := addDigest(t, s, storms[tt.storm].ID, tt.channel, t0.Add(time.Duration(i)*time.Minute))
		if g.Number != tt.want {
			t.Errorf("digest %d (storm %d, channel %q) got number %d, want %d", i, tt.storm, tt.channel, g.Number, tt.want)
		}
		if g.ID <= last {
			t.Errorf("digest %d got id %d after %d: want ids rising", i, g.ID, last)
		}
		last = g.ID
	}
}

// testLastDigest: a storm's newest digest in a channel, with the number of
// its lines; none for a channel or storm without one.
func testLastDigest(t *testing.T, s bot.Store) {
	a, b := startStorm(t, s, t0), startStorm(t, s, t0.Add(time.Hour))
	g1 := addDigest(t, s, a.ID, "", t0.Add(time.Minute))
	g2 := addDigest(t, s, a.ID, "C1", t0.Add(2*time.Minute))
	g3 := addDigest(t, s, a.ID, "", t0.Add(3*time.Minute))
	g4 := addDigest(t, s, b.ID, "", t0.Add(4*time.Minute))
	ts := newTickets(t, s, 6)
	for i, tk := range ts {
		addListings(t, s, listingOf(tk, a.ID, false, t0.Add(time.Duration(i)*time.Second)))
	}
	// Two lines on g1, one on g2, three on g3, none on g4.
	for i, g := range []bot.Digest{g1, g1, g2, g3, g3, g3} {
		place(t, s, ts[i].ID, g.ID, i+1)
	}
	g1.Lines, g2.Lines, g3.Lines = 2, 1, 3

	tests := []struct {
		name    string
		storm   int64
		channel string
		want    bot.Digest // zero: none
	}{
		{"the newest of two", a.ID, "", g3},
		{"another channel of the storm", a.ID, "C1", g2},
		{"another storm, no lines yet", b.ID, "", g4},
		{"a channel without one", b.ID, "C1", bot.Digest{}},
		{"a storm that does not exist", b.ID + 100, "", bot.Digest{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx bot.Tx) error {
				got, ok, err := tx.LastDigest(tt.storm, tt.channel)
				switch {
				case err != nil:
					return err
				case ok != (tt.want.ID != 0):
					t.Errorf("LastDigest(%d, %q) = %+v, %v; want %+v", tt.storm, tt.channel, got, ok, tt.want)
				case ok:
					checkDigest(t, fmt.Sprintf("LastDigest(%d, %q)", tt.storm, tt.channel), got, tt.want)
				}
				return nil
			})
		})
	}
}

// testSaveDigest: SaveDigest records Ref, Shown and Tried, from one state
// to another and back; the storm, number, channel and creation stay as
// added, whatever g says, and other digests are left as they were.
func testSaveDigest(t *testing.T, s bot.Store) {
	st := startStorm(t, s, t0)
	g := addDigest(t, s, st.ID, "C0TR", t0.Add(time.Minute))
	other := addDigest(t, s, st.ID, "C0TR", t0.Add(2*time.Minute))
	steps := []struct {
		name  string
		ref   string
		shown string
		tried bool
	}{
		{"tried", "", "", true},
		{"posted", "1741392000.000300", "12 open, 3 claimed\n#7 U123 T7 again", true},
		{"shown again, other words", "1741392000.000300", "“Kargom nerede? 📦” #8 resolved", true},
		{"back to none", "", "", false},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			saved := g
			saved.Ref, saved.Shown, saved.Tried = step.ref, step.shown, step.tried
			// None of these is SaveDigest's to change.
			changed := saved
			changed.Storm, changed.Number, changed.Channel, changed.Created = saved.Storm+1, 99, "elsewhere", t0.Add(time.Hour)
			changed.Lines = 7
			update(t, s, func(tx bot.Tx) error { return tx.SaveDigest(changed) })
			var got []bot.Digest
			view(t, s, func(tx bot.Tx) (err error) { got, err = tx.Digests(t0); return err })
			if len(got) != 2 {
				t.Fatalf("Digests = %+v, want two", got)
			}
			checkDigest(t, "the digest saved", got[0], saved)
			checkDigest(t, "the other digest", got[1], other)
		})
	}
}

// testDigestsSince: the digests created since a time, from that instant
// on, oldest first, each with the number of its lines.
func testDigestsSince(t *testing.T, s bot.Store) {
	a, b := startStorm(t, s, t0.Add(-3*time.Hour)), startStorm(t, s, t0.Add(-time.Hour))
	gs := []bot.Digest{
		addDigest(t, s, a.ID, "", t0.Add(-2*time.Hour)),
		addDigest(t, s, a.ID, "C1", t0.Add(-time.Hour)),
		addDigest(t, s, b.ID, "", t0),
		addDigest(t, s, b.ID, "", t0.Add(time.Hour)),
	}
	ts := newTickets(t, s, 3)
	for i, tk := range ts {
		addListings(t, s, listingOf(tk, b.ID, false, t0))
		place(t, s, tk.ID, gs[2+i/2].ID, 1+i%2)
	}
	gs[2].Lines, gs[3].Lines = 2, 1

	tests := []struct {
		name  string
		since time.Time
		want  []int // in gs
	}{
		{"since ever", time.Time{}, []int{0, 1, 2, 3}},
		{"since the first", t0.Add(-2 * time.Hour), []int{0, 1, 2, 3}},
		{"since a moment after the first", t0.Add(-2*time.Hour + time.Microsecond), []int{1, 2, 3}},
		{"since one created at that instant", t0, []int{2, 3}},
		{"since a moment after", t0.Add(time.Microsecond), []int{3}},
		{"since after the last", t0.Add(2 * time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bot.Digest
			view(t, s, func(tx bot.Tx) (err error) { got, err = tx.Digests(tt.since); return err })
			if len(got) != len(tt.want) {
				t.Fatalf("Digests(%v) = %+v, want %d digests", tt.since, got, len(tt.want))
			}
			for i, j := range tt.want {
				checkDigest(t, fmt.Sprintf("digest %d", j), got[i], gs[j])
			}
		})
	}
}

// testDigestListings: a digest's listings come back in the order of their
// lines, not of their tickets or of when they were placed; a digest
// without lines has none.
func testDigestListings(t *testing.T, s bot.Store) {
	st := startStorm(t, s, t0)
	g := addDigest(t, s, st.ID, "", t0)
	other := addDigest(t, s, st.ID, "", t0)
	empty := addDigest(t, s, st.ID, "", t0)
	ts := newTickets(t, s, 4)
	for i, tk := range ts {
		addListings(t, s, listingOf(tk, st.ID, i == 3, t0.Add(time.Duration(i)*time.Second)))
	}
	place(t, s, ts[0].ID, g.ID, 2)
	place(t, s, ts[3].ID, g.ID, 3)
	place(t, s, ts[1].ID, other.ID, 1)
	place(t, s, ts[2].ID, g.ID, 1)

	tests := []struct {
		name   string
		digest int64
		want   []int // in ts
		lines  []int
	}{
		{"three lines", g.ID, []int{2, 0, 3}, []int{1, 2, 3}},
		{"another digest", other.ID, []int{1}, []int{1}},
		{"none yet", empty.ID, nil, nil},
		{"a digest that does not exist", empty.ID + 100, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bot.Listing
			view(t, s, func(tx bot.Tx) (err error) { got, err = tx.DigestListings(tt.digest); return err })
			if ids, want := listingTickets(got), ticketsAt(ts, tt.want...); !slices.Equal(ids, want) {
				t.Fatalf("DigestListings(%d) = %v, want %v", tt.digest, ids, want)
			}
			for i, j := range tt.want {
				want := listingOf(ts[j], st.ID, j == 3, t0.Add(time.Duration(j)*time.Second))
				want.Digest, want.Line = tt.digest, tt.lines[i]
				checkListing(t, fmt.Sprintf("line %d", tt.lines[i]), got[i], want)
			}
		})
	}
}

// testFreshDeliveries: the deliveries of a destination never tried are
// counted, due or not; one tried, from the start or postponed after, is
// not; nor another destination's; and one that left is not.
func testFreshDeliveries(t *testing.T, s bot.Store) {
	now := t0
	due := bot.Delivery{Destination: "desk:digest", Job: bot.PostDigest, NextAt: now, CreatedAt: now}
	later := bot.Delivery{Destination: "desk:digest", Job: bot.PostDigest, NextAt: now.Add(time.Hour), CreatedAt: now}
	tried := bot.Delivery{Destination: "desk:digest", Job: bot.PostDigest, Attempts: 3, NextAt: now, CreatedAt: now}
	failing := bot.Delivery{Destination: "desk:digest", Job: bot.PostDigest, NextAt: now, CreatedAt: now}
	desk := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 1, NextAt: now, CreatedAt: now}
	enqueue(t, s, &due, &later, &tried, &failing, &desk)

	check := func(step string, want map[string]int) {
		t.Helper()
		view(t, s, func(tx bot.Tx) error {
			for dest, n := range want {
				got, err := tx.FreshDeliveries(dest)
				if err != nil {
					return err
				}
				if got != n {
					t.Errorf("%s: FreshDeliveries(%q) = %d, want %d", step, dest, got, n)
				}
			}
			return nil
		})
	}
	check("queued", map[string]int{"desk:digest": 3, "desk": 1, "telegram:1": 0})
	update(t, s, func(tx bot.Tx) error { return tx.PostponeDelivery(failing.ID, 1, now.Add(time.Minute), "503") })
	check("one postponed", map[string]int{"desk:digest": 2, "desk": 1})
	finish(t, s, due.ID)
	check("one delivered", map[string]int{"desk:digest": 1, "desk": 1})
	finish(t, s, desk.ID)
	check("the other destination's delivered", map[string]int{"desk:digest": 1, "desk": 0})
}

// testFreshDue: FreshDue lists the due deliveries of one job to one
// destination never tried, oldest first, up to the limit: not those
// tried, waiting, parked, of another job or another destination.
func testFreshDue(t *testing.T, s bot.Store) {
	now := t0
	root := func(ticket int64, at time.Time, attempts int) *bot.Delivery {
		return &bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: ticket, MessageID: 100 + ticket, Attempts: attempts, NextAt: at, CreatedAt: now}
	}
	first, zero, tried, later, parked, second := root(1, now.Add(-time.Minute), 0), root(2, time.Time{}, 0),
		root(3, now, 1), root(4, now.Add(time.Minute), 0), root(5, parkedAt, 0), root(6, now, 0)
	message := &bot.Delivery{Destination: "desk", Job: bot.PostMessage, TicketID: 7, NextAt: now, CreatedAt: now}
	other := &bot.Delivery{Destination: "desk:team", Job: bot.PostTicket, TicketID: 8, NextAt: now, CreatedAt: now}
	enqueue(t, s, first, zero, tried, later, parked, second, message, other)
	for _, tt := range []struct {
		limit int
		want  []int64
	}{{10, []int64{first.ID, zero.ID, second.ID}}, {2, []int64{first.ID, zero.ID}}, {0, nil}} {
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.FreshDue("desk", bot.PostTicket, now, tt.limit)
			if err != nil {
				return err
			}
			var ids []int64
			for _, d := range got {
				ids = append(ids, d.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("FreshDue(limit %d) = %v, want %v", tt.limit, ids, tt.want)
			}
			return nil
		})
	}
}

// testDueLanes: DueLanes counts the lanes of a destination whose head is
// due: a ticket's deliveries are one lane however many are due; a lane
// whose head waits is not due, whatever waits behind it; a parked root
// (NextAt in year 9999) waits until it is let go (HurryDeliveries), and
// its time comes back as it went in.
func testDueLanes(t *testing.T, s bot.Store) {
	now := t0
	root1 := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 1, MessageID: 11, NextAt: now}
	post1 := bot.Delivery{Destination: "desk", Job: bot.PostMessage, TicketID: 1, MessageID: 12, NextAt: now}
	parked := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 2, MessageID: 21, NextAt: parkedAt}
	post2 := bot.Delivery{Destination: "desk", Job: bot.PostMessage, TicketID: 2, MessageID: 22, NextAt: now}
	backoff := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 3, MessageID: 31, NextAt: now.Add(time.Minute)}
	announce := bot.Delivery{Destination: "desk", Job: bot.Announce, Text: "🌪️ Storm mode"} // zero NextAt: due at once
	late := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 4, MessageID: 41, NextAt: now.Add(-time.Hour)}
	aside := bot.Delivery{Destination: "desk:aside", Job: bot.Whisper, TicketID: 1, NextAt: now}
	alone := bot.Delivery{Destination: "desk:parked", Job: bot.PostTicket, TicketID: 5, MessageID: 51, NextAt: parkedAt, CreatedAt: now}
	enqueue(t, s, &root1, &post1, &parked, &post2, &backoff, &announce, &late, &aside, &alone)

	checkLimit := func(step, dest string, now time.Time, limit, want int) {
		t.Helper()
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.DueLanes(dest, now, limit)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("%s: DueLanes(%q, %v, %d) = %d, want %d", step, dest, now, limit, got, want)
			}
			return nil
		})
	}
	check := func(step, dest string, now time.Time, want int) {
		t.Helper()
		checkLimit(step, dest, now, 1000, want)
	}
	tests := []struct {
		name string
		dest string
		now  time.Time
		want int
	}{
		{"now: ticket 1 (two due, one lane), the announcement and the late one", "desk", now, 3},
		{"before: only the announcement, due at once", "desk", now.Add(-2 * time.Hour), 1},
		{"a minute on: the one backing off too", "desk", now.Add(time.Minute), 4},
		{"ten years on: the parked root still waits", "desk", someday, 4},
		{"its lane in another destination", "desk:aside", now, 1},
		{"a destination never used", "telegram:1", someday, 0},
		{"a parked root alone", "desk:parked", someday, 0},
		{"a parked root alone, in year 9999", "desk:parked", parkedAt, 1},
	}
	for _, tt := range tests {
		check(tt.name, tt.dest, tt.now, tt.want)
	}
	checkLimit("counted up to 2", "desk", now, 2, 2)
	checkLimit("counted up to 0", "desk", now, 0, 0)
	checkNext(t, s, "desk:parked", someday, bot.Delivery{})
	checkNext(t, s, "desk:parked", parkedAt, alone)

	// Ticket 1's root leaves: its post is the head, the lane still due.
	finish(t, s, root1.ID)
	check("ticket 1's root delivered", "desk", now, 3)
	// The parked root is let go: its lane is due, its post behind it.
	update(t, s, func(tx bot.Tx) error { return tx.HurryDeliveries(bot.PostTicket, parked.MessageID, now) })
	check("the parked root let go", "desk", now, 4)
	finish(t, s, parked.ID)
	check("the parked root delivered", "desk", now, 4)
	finish(t, s, post2.ID)
	check("its post delivered", "desk", now, 3)
}

// testOldestDue: OldestDue is when the oldest due lane head was queued:
// not a delivery waiting behind another in its lane, nor one not due.
func testOldestDue(t *testing.T, s bot.Store) {
	now := t0
	check := func(step string, want time.Time, wantOK bool) {
		t.Helper()
		view(t, s, func(tx bot.Tx) error {
			got, ok, err := tx.OldestDue("desk", now)
			if err != nil {
				return err
			}
			if ok != wantOK || !got.Equal(want) {
				t.Errorf("%s: OldestDue = %v, %t; want %v, %t", step, got, ok, want, wantOK)
			}
			return nil
		})
	}
	check("nothing queued", time.Time{}, false)
	waiting := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 1, MessageID: 11, NextAt: now.Add(time.Minute), CreatedAt: now.Add(-time.Hour)}
	behind := bot.Delivery{Destination: "desk", Job: bot.PostMessage, TicketID: 1, MessageID: 12, NextAt: now, CreatedAt: now.Add(-50 * time.Minute)}
	parked := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 2, MessageID: 21, NextAt: parkedAt, CreatedAt: now.Add(-40 * time.Minute)}
	due := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 3, MessageID: 31, NextAt: now, CreatedAt: now.Add(-3 * time.Second)}
	later := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 4, MessageID: 41, NextAt: now, CreatedAt: now.Add(-time.Second)}
	other := bot.Delivery{Destination: "desk:aside", Job: bot.Whisper, TicketID: 5, NextAt: now, CreatedAt: now.Add(-2 * time.Hour)}
	enqueue(t, s, &waiting, &behind, &parked, &due, &later, &other)
	check("the oldest due head", now.Add(-3*time.Second), true)
	finish(t, s, due.ID)
	check("the next", now.Add(-time.Second), true)
}
