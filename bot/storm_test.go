package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
)

// digestDesk is the fake desk that can also list tickets in digests, five
// to a post, as a desk renders them: one line per ticket.
type digestDesk struct {
	*desk
	posts    map[string]bot.Digest // post ref → the digest as last shown
	order    []string              // post refs, in the order posted
	edits    int
	loseNext bool            // the next PostDigest posts, then loses the answer
	gone     map[string]bool // posts deleted by hand: their edits fail for good
}

func (d *digestDesk) DigestSize() int { return 5 }

func (d *digestDesk) PostDigest(_ context.Context, g bot.Digest) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return "", d.fail
	}
	ref := fmt.Sprintf("digest-%d", len(d.order)+1)
	d.posts[ref] = g
	d.order = append(d.order, ref)
	if d.loseNext {
		d.loseNext = false
		return "", fmt.Errorf("connection reset before the answer arrived")
	}
	return ref, nil
}

func (d *digestDesk) UpdateDigest(_ context.Context, g bot.Digest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	if d.gone[g.Ref] {
		return bot.Permanent(fmt.Errorf("message_not_found"))
	}
	d.posts[g.Ref] = g
	d.edits++
	return nil
}

func (d *digestDesk) FindDigest(_ context.Context, g bot.Digest) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ref, posted := range d.posts {
		if posted.ID == g.ID {
			return ref, nil
		}
	}
	return "", nil
}

// line is how the fake desk shows a ticket on a digest line.
func line(e bot.DigestEntry) string {
	s := fmt.Sprintf("#%d %s", e.Ticket.ID, e.Ticket.State)
	if e.Ticket.Owner.ID != "" {
		s += " by " + e.Ticket.Owner.Name
	}
	if e.Ticket.DeskThread != "" {
		s += " thread"
	}
	if e.Again {
		s += " again"
	}
	return s
}

// listedCount is how many digest lines each ticket has on the desk.
func (d *digestDesk) listedCount() map[int64]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[int64]int{}
	for _, ref := range d.order {
		if !d.gone[ref] {
			for _, e := range d.posts[ref].Entries {
				out[e.Ticket.ID]++
			}
		}
	}
	return out
}

// listed is every digest line shown on the desk, post by post.
func (d *digestDesk) listed() [][]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out [][]string
	for _, ref := range d.order {
		if d.gone[ref] {
			continue
		}
		var lines []string
		for _, e := range d.posts[ref].Entries {
			lines = append(lines, line(e))
		}
		out = append(out, lines)
	}
	return out
}

// stormWorld is a world whose desk lists tickets in digests, in storm mode
// from behind posts due.
func stormWorld(t *testing.T, behind int) (*world, *digestDesk) {
	t.Helper()
	policy := bot.DefaultPolicy()
	policy.Storm = bot.StormPolicy{Behind: time.Duration(behind) * time.Second, Rate: 1}
	w := newWorldWith(t, policy, time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC))
	dd := &digestDesk{desk: w.desk, posts: map[string]bot.Digest{}, gone: map[string]bool{}}
	w.courier = bot.NewCourier(w.db, dd, map[string]bot.Source{"telegram": w.tg},
		bot.CourierClock(w.clock), bot.CourierLogger(slog.New(slog.DiscardHandler)), bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}))
	return w, dd
}

// roots is the numbers of the tickets with a root on the desk, in order.
func (w *world) roots() []int64 {
	w.t.Helper()
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	var out []int64
	for _, t := range w.desk.roots {
		out = append(out, t.ID)
	}
	slices.Sort(out)
	return out
}

// complains is customer i's complaint, a second after the one before:
// a desk is behind only when its queued posts have waited (Waited).
func (w *world) complains(i int) {
	w.t.Helper()
	w.clock.Add(time.Second)
	w.receive(someone(i), i, fmt.Sprintf("complaint %d", i))
}

func (w *world) tick() {
	w.t.Helper()
	if _, err := w.bot.Tick(context.Background()); err != nil {
		w.t.Fatalf("tick: %v", err)
	}
	w.flush()
}

func span(from, to int64) []int64 {
	var out []int64
	for n := from; n <= to; n++ {
		out = append(out, n)
	}
	return out
}

// TestStormListsComplaints: once ten posts are due, new complaints are
// listed five to a digest instead of a root each, with the roots queued
// but for the first five, the urgent first (a
// high-reach author, a customer who complained before), and the channel
// is told once.
func TestStormListsComplaints(t *testing.T) {
	w, dd := stormWorld(t, 10)
	repeat := someone(99)
	w.receive(repeat, 1, "first complaint") // #1
	if _, err := w.act(bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: alice}); err != nil {
		t.Fatal(err)
	}
	w.clock.Add(8 * 24 * time.Hour) // past the reopen window: a new ticket next time
	for i := 2; i <= 20; i++ {
		c := someone(i)
		if i == 18 {
			c.Followers = 50_000
		}
		w.clock.Add(time.Second)
		w.receive(c, i, fmt.Sprintf("complaint %d", i)) // #2–#20
	}
	w.receive(repeat, 21, "it broke again") // #21
	w.flush()

	if got, want := w.roots(), span(1, 6); !slices.Equal(got, want) {
		t.Errorf("roots of %v, want %v: the earlier ticket and the first five queued when the storm began", got, want)
	}
	// The roots queued when it began are listed too, but for the first
	// five: the channel posts those at once.
	want := [][]string{
		{"#18 open", "#21 open", "#7 open", "#8 open", "#9 open"},
		{"#10 open", "#11 open", "#12 open", "#13 open", "#14 open"},
		{"#15 open", "#16 open", "#17 open", "#19 open", "#20 open"},
	}
	if got := dd.listed(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("digests %q, want %q", got, want)
	}
	storms := 0
	for _, a := range w.desk.announced {
		if strings.Contains(a, "Storm mode") {
			storms++
		}
	}
	if storms != 1 {
		t.Errorf("the channel was told of the storm %d times, want once: %q", storms, w.desk.announced)
	}
}

// TestStormClaimOpensThread: a claim from a digest opens the ticket's
// thread at once, with what the customer wrote meanwhile after the root,
// and the digest line says who owns it and links the thread; a complaint
// resolved as spam from the digest keeps no button and no thread.
func TestStormClaimOpensThread(t *testing.T) {
	w, dd := stormWorld(t, 2)
	for i := 1; i <= 4; i++ {
		w.complains(i)
	}
	w.flush()
	w.receive(someone(3), 30, "hello? anyone?") // #3 is parked
	w.flush()
	if len(w.desk.thread) != 0 {
		t.Fatalf("a parked ticket's follow-up was posted before its root: %v", w.desk.thread)
	}
	if got, want := dd.listed(), [][]string{{"#3 open again", "#4 open"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("digests %q, want %q", got, want)
	}
	if _, err := w.act(bot.Action{Verb: bot.DoClaim, Ticket: 3, Agent: alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.act(bot.Action{Verb: bot.DoClaim, Ticket: 3, Agent: bob}); err == nil {
		t.Error("bob claimed #3 after alice")
	}
	if _, err := w.act(bot.Action{Verb: bot.DoResolve, Ticket: 4, Agent: bob}); err != nil {
		t.Fatal(err)
	}
	if got := w.roots(); !slices.Contains(got, 3) || slices.Contains(got, 4) {
		t.Errorf("roots %v, want #3's (claimed) and not #4's (resolved, still parked)", got)
	}
	th := w.ticket(3).DeskThread
	var texts []string
	for _, m := range w.desk.thread[th] {
		texts = append(texts, m.Text)
	}
	if !slices.Contains(texts, "hello? anyone?") {
		t.Errorf("#3's thread shows %q, want the follow-up written while it was parked", texts)
	}
	if got, want := dd.listed(), [][]string{{"#3 claimed by alice thread again", "#4 resolved by bob"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("digests %q, want %q", got, want)
	}
}

// TestStormDrains: the scheduler lets parked roots go while the queue is
// short, open tickets before resolved ones, more at each tick while the
// desk keeps up, and ends the storm once all have a thread, saying so.
func TestStormDrains(t *testing.T) {
	w, _ := stormWorld(t, 4)
	for i := 1; i <= 11; i++ {
		w.complains(i)
	}
	if _, err := w.act(bot.Action{Verb: bot.DoResolve, Ticket: 5, Agent: alice}); err != nil {
		t.Fatal(err)
	}
	if got := w.roots(); len(got) != 4 {
		t.Fatalf("roots %v before the drain, want the first four", got)
	}
	var order [][]int64 // the roots each tick let go
	for range 10 {
		before := w.roots()
		w.tick()
		var fresh []int64
		for _, n := range w.roots() {
			if !slices.Contains(before, n) {
				fresh = append(fresh, n)
			}
		}
		if len(fresh) > 0 {
			order = append(order, fresh)
		}
	}
	// Half the limit (2) at first, twice as many at each tick that finds
	// the queue empty (the first does): four, then the rest, the resolved
	// #5 among the last.
	if want := [][]int64{{6, 7, 8, 9}, {5, 10, 11}}; !slices.EqualFunc(order, want, slices.Equal) {
		t.Errorf("roots let go tick by tick %v, want %v: open ones oldest first, the resolved last", order, want)
	}
	over := 0
	for _, a := range w.desk.announced {
		if strings.Contains(a, "Storm mode is over") {
			over++
			if !strings.Contains(a, "The 7 complaints") {
				t.Errorf("the end says %q, want the 7 complaints listed", a)
			}
		}
	}
	if over != 1 {
		t.Errorf("the end was told %d times, want once: %q", over, w.desk.announced)
	}
	// The storm is over: a new complaint gets its root at once.
	w.receive(someone(40), 40, "after the storm")
	w.flush()
	if got := w.roots(); !slices.Contains(got, 12) {
		t.Errorf("roots %v, want #12's at once after the storm", got)
	}
}

// TestStormDigestLostAnswer: a digest post whose answer was lost is found
// on the desk, not posted again, and edited to show the lines it gained
// meanwhile: every complaint is listed once.
func TestStormDigestLostAnswer(t *testing.T) {
	w, dd := stormWorld(t, 2)
	dd.loseNext = true
	for i := 1; i <= 4; i++ {
		w.complains(i)
	}
	w.flush() // digest 1 posted with #3 and #4, its answer lost
	for i := 5; i <= 9; i++ {
		w.complains(i)
	}
	w.clock.Add(time.Minute) // past the retry's wait
	w.flush()
	got := dd.listed()
	want := [][]string{{"#3 open", "#4 open", "#5 open", "#6 open", "#7 open"}, {"#8 open", "#9 open"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("digests %q, want %q: each complaint once", got, want)
	}
}

// TestStormDigestDeleted: a digest post deleted by hand cannot be edited;
// it is posted again with its lines, and the other digests are still
// kept up to date.
func TestStormDigestDeleted(t *testing.T) {
	w, dd := stormWorld(t, 2)
	for i := 1; i <= 12; i++ {
		w.complains(i)
	}
	w.flush()
	dd.gone["digest-2"] = true
	for _, n := range []int64{4, 9} {
		if _, err := w.act(bot.Action{Verb: bot.DoClaim, Ticket: n, Agent: alice}); err != nil {
			t.Fatal(err)
		}
	}
	got := dd.listed()
	want := [][]string{
		{"#3 open", "#4 claimed by alice thread", "#5 open", "#6 open", "#7 open"},
		{"#8 open", "#9 claimed by alice thread", "#10 open", "#11 open", "#12 open"}, // posted again
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("digests %q, want %q", got, want)
	}
}

// TestStormAgain: a storm that starts again right after the last ended,
// while roots the drain let go are still queued, takes complaints as
// usual and lists them once.
func TestStormAgain(t *testing.T) {
	w, dd := stormWorld(t, 20)
	burst := func(from, to int) {
		for i := from; i <= to; i++ {
			w.complains(i)
		}
	}
	burst(1, 40) // #1–#20 queued, #21–#40 parked (the first five of the queue kept)
	if _, err := w.bot.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.flush() // digests only: the drain waits for them
	if _, err := w.bot.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The drain let roots go, and nothing posted them yet: a new burst.
	burst(41, 80)
	w.flush()
	for range 20 {
		w.tick()
	}
	for n, c := range dd.listedCount() {
		if c != 1 {
			t.Errorf("#%d is on %d digest lines, want one", n, c)
		}
	}
	if got := w.roots(); len(got) != 80 {
		t.Errorf("%d roots after both storms, want 80", len(got))
	}
}

// TestStormOffMidStorm: storm mode turned off (a restart with storm: off)
// while roots are parked: they still go, at the default's pace, and the
// storm ends.
func TestStormOffMidStorm(t *testing.T) {
	w, _ := stormWorld(t, 2)
	for i := 1; i <= 40; i++ {
		w.complains(i)
	}
	w.flush()
	w.bot = bot.New(w.db, bot.WithClock(w.clock), bot.WithPolicy(bot.DefaultPolicy()), bot.WithLogger(slog.New(slog.DiscardHandler)))
	for range 4 {
		w.tick()
	}
	if got := w.roots(); len(got) != 40 {
		t.Errorf("%d roots after four ticks, want all 40", len(got))
	}
	ended := slices.ContainsFunc(w.desk.announced, func(a string) bool { return strings.Contains(a, "Storm mode is over") })
	if !ended {
		t.Errorf("the storm did not end: %q", w.desk.announced)
	}
}

// TestStormLongerThanGiveUp: a root parked longer than the courier's
// give-up time and refused once when let go is tried again, not dropped.
func TestStormLongerThanGiveUp(t *testing.T) {
	w, _ := stormWorld(t, 2)
	for i := 1; i <= 3; i++ {
		w.complains(i)
	}
	w.flush()
	w.clock.Add(2 * time.Hour) // the world's courier gives up after an hour
	w.tick()                   // reminders and escalations of #1 and #2 posted
	w.desk.setFail(fmt.Errorf("slack is down"))
	w.tick() // #3 let go, and refused
	w.desk.setFail(nil)
	w.clock.Add(time.Minute)
	w.flush()
	if got := w.roots(); !slices.Contains(got, 3) {
		t.Errorf("roots %v, want #3's after its refusal", got)
	}
}

// TestStormNeedsAWait: posts queued for a moment are no storm; once the
// oldest has waited a tenth of behind, the tick starts one for the burst
// that came all at once, and lists its roots but for the first five and
// one already claimed.
func TestStormNeedsAWait(t *testing.T) {
	w, dd := stormWorld(t, 10)
	for i := 1; i <= 25; i++ {
		w.receive(someone(i), i, fmt.Sprintf("complaint %d", i))
	}
	if _, err := w.bot.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(w.desk.announced); n != 0 {
		t.Fatalf("a storm began with nothing waiting yet: %q", w.desk.announced)
	}
	// #10 is claimed by command before its root left: it is not parked.
	if _, err := w.bot.Act(context.Background(), bot.Action{Verb: bot.DoClaim, Ticket: 10, Agent: alice}); err != nil {
		t.Fatal(err)
	}
	w.clock.Add(time.Second)
	w.tick()
	if got, want := w.roots(), append(span(1, 5), 10); !slices.Equal(got, want) {
		t.Errorf("roots %v, want %v", got, want)
	}
	if got := dd.listedCount(); len(got) != 19 {
		t.Errorf("%d complaints listed, want the 19 unclaimed queued after the first five: %v", len(got), got)
	}
}

// TestStormEndsWithATrickle: once the desk has caught up, a complaint
// now and then between ticks does not keep it in storm mode.
func TestStormEndsWithATrickle(t *testing.T) {
	w, _ := stormWorld(t, 4)
	for i := 1; i <= 12; i++ {
		w.complains(i)
	}
	w.flush()
	over := func() bool {
		return slices.ContainsFunc(w.desk.announced, func(a string) bool { return strings.Contains(a, "Storm mode is over") })
	}
	for i := 13; i <= 30 && !over(); i++ {
		w.complains(i)
		w.flush()
		w.tick()
	}
	if !over() {
		t.Fatalf("still in storm mode after 18 ticks with one complaint between each: %q", w.desk.announced)
	}
	w.tick()
	n := w.ticket(1).ID
	for _, got := range w.roots() {
		n = max(n, got)
	}
	if got := len(w.roots()); int64(got) != n {
		t.Errorf("%d roots for %d complaints after the storm", got, n)
	}
}

// TestStormDrainKeepsUp: a desk that posts every root let go before the
// next tick gets twice as many at each: 100 parked roots take a handful
// of ticks, not fifty.
func TestStormDrainKeepsUp(t *testing.T) {
	w, _ := stormWorld(t, 4)
	for i := 1; i <= 104; i++ {
		w.complains(i)
	}
	w.flush()
	ticks := 0
	for ; ticks < 20 && len(w.roots()) < 104; ticks++ {
		w.tick()
	}
	if got := len(w.roots()); got != 104 || ticks > 8 {
		t.Errorf("%d roots after %d ticks, want all 104 within 8", got, ticks)
	}
}
