package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"caredesk/quietlog"
)

// Retry is how the courier spaces attempts at a delivery that failed.
type Retry struct {
	Min, Max    time.Duration // the first wait, doubled per attempt up to Max
	GiveUpAfter time.Duration // a delivery still failing this long after it was queued fails for good
}

// DefaultRetry waits 1 s, 2 s, 4 s … up to 5 minutes, and gives up after a day.
func DefaultRetry() Retry {
	return Retry{Min: time.Second, Max: 5 * time.Minute, GiveUpAfter: 24 * time.Hour}
}

// backoff is the n-th wait of the doubling: Min, 2·Min, 4·Min … up to Max.
func (r Retry) backoff(n int) time.Duration {
	w := r.Min
	for i := 1; i < n && w < r.Max; i++ {
		w *= 2
	}
	return min(w, r.Max)
}

func (r Retry) wait(d Delivery, attempts int, err error) time.Duration {
	if ra := RetryAfterOf(err); ra > 0 {
		return ra // the network said when; sooner would only be refused again
	}
	w := r.backoff(attempts)
	// Spread retries of many deliveries that failed together without a
	// random source: up to 40 % more, fixed per delivery. Max is a promise
	// to the operator (CAREDESK_RETRY_MAX), so where the spread would pass
	// it, spread below it instead: up to 20 % less than Max.
	spread := w * time.Duration(d.ID%5) / 10
	if w+spread <= r.Max {
		return w + spread
	}
	return r.Max - spread/2
}

// Courier delivers the outbox: one worker per destination at a time, in
// this process and, through leases, among processes sharing the store, so a
// desk channel gets its posts at the pace it allows and mostly in the order
// they were queued; each ticket's deliveries in order (its lane); and
// neither destinations nor tickets wait for each other.
type Courier struct {
	store    Store
	desk     Desk
	sources  map[string]Source
	clock    Clock
	log      *slog.Logger
	retry    Retry
	workers  int
	poll     time.Duration
	grace    time.Duration
	observe  func(job Job, outcome string, took time.Duration)
	reporter Reporter
	speech   Speech
	blobs    Blobs
	files    FilePolicy
	every    time.Duration     // how often a repeated problem is summarised in the log
	quiet    *quietlog.Limiter // for problems a failing store repeats on every try
	holder   string            // this courier's name in leases
	lease    time.Duration     // how long a lease lasts unless renewed

	wake    chan struct{}
	mu      sync.Mutex
	busy    map[string]bool
	refused map[string]time.Time // destinations another courier leases, and when to try again
	outages map[string]outage    // destinations whose latest attempts failed
	trouble storeTrouble
}

// CourierOption configures a Courier.
type CourierOption func(*Courier)

// CourierClock sets the clock that decides when a delivery is due.
func CourierClock(c Clock) CourierOption { return func(k *Courier) { k.clock = c } }

// CourierLogger sets the logger.
func CourierLogger(l *slog.Logger) CourierOption { return func(k *Courier) { k.log = l } }

// CourierRetry sets the retry policy.
func CourierRetry(r Retry) CourierOption { return func(k *Courier) { k.retry = r } }

// CourierWorkers sets how many destinations are served at once (default 16).
func CourierWorkers(n int) CourierOption { return func(k *Courier) { k.workers = max(n, 1) } }

// CourierPoll sets how often the outbox is checked for retries that became
// due (default 250 ms); new work is started at once through Wake.
func CourierPoll(d time.Duration) CourierOption { return func(k *Courier) { k.poll = d } }

// CourierGrace sets how long deliveries under way may finish after Run's
// context ends (default 5 s).
func CourierGrace(d time.Duration) CourierOption { return func(k *Courier) { k.grace = d } }

// CourierRepeatLog sets how often a problem that repeats, such as a store
// that refuses writes, is summarised in the log (default a minute).
func CourierRepeatLog(every time.Duration) CourierOption { return func(k *Courier) { k.every = every } }

// CourierReporter sets what renders SendReport deliveries; without one
// they fail for good with a sentence in the log.
func CourierReporter(r Reporter) CourierOption { return func(k *Courier) { k.reporter = r } }

// CourierObserver is told the outcome of every attempt ("delivered",
// "retry", "failed"), for metrics.
func CourierObserver(f func(job Job, outcome string, took time.Duration)) CourierOption {
	return func(k *Courier) { k.observe = f }
}

// NewCourier returns a courier that delivers s's outbox to desk and sources,
// keyed by the source names tickets carry.
func NewCourier(s Store, desk Desk, sources map[string]Source, opts ...CourierOption) *Courier {
	c := &Courier{
		store: s, desk: desk, sources: sources, clock: SystemClock, log: slog.Default(),
		retry: DefaultRetry(), workers: 16, poll: 250 * time.Millisecond, grace: 5 * time.Second,
		observe: func(Job, string, time.Duration) {}, every: time.Minute,
		wake: make(chan struct{}, 1), busy: map[string]bool{}, outages: map[string]outage{},
		refused: map[string]time.Time{}, lease: 30 * time.Second,
	}
	for _, o := range opts {
		o(c)
	}
	c.quiet = quietlog.New(c.log, c.every)
	if c.holder == "" {
		c.holder = defaultHolder()
	}
	return c
}

// Wake tells the courier there is new work. It never blocks.
func (c *Courier) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then lets deliveries under way finish for the
// grace period. What is left stays in the outbox for the next start.
func (c *Courier) Run(ctx context.Context) error {
	// Calls to networks outlive ctx by the grace period, so that a reply
	// already on its way is not cut off and then sent again after restart.
	calls, cancelCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCalls()
	var wg sync.WaitGroup
	done := make(chan struct{}, c.workers)
	ticker := time.NewTicker(c.poll)
	defer ticker.Stop()
	for {
		c.dispatch(ctx, calls, &wg, done)
		select {
		case <-ctx.Done():
			finished := make(chan struct{})
			go func() { wg.Wait(); close(finished) }()
			select {
			case <-finished:
			case <-time.After(c.grace):
				cancelCalls()
				<-finished
			}
			return nil
		case <-c.wake:
		case <-done:
		case <-ticker.C:
		}
	}
}

// dispatch starts a worker for each due destination that has none, unless
// the store is failing and its next try is not due yet: then nothing is
// read or written, so a full disk costs a timer, not a spinning CPU.
func (c *Courier) dispatch(ctx, calls context.Context, wg *sync.WaitGroup, done chan<- struct{}) {
	now := c.clock.Now().UTC()
	if c.storeWaits(now) != nil {
		return
	}
	var dests []string
	err := c.store.View(ctx, func(tx Tx) (err error) {
		dests, err = tx.DueDestinations(now, c.workers*2)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			c.storeFailed(false, "list due deliveries", err)
		}
		return
	}
	c.storeWorked(false)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, dest := range dests {
		if c.busy[dest] || len(c.busy) >= c.workers || c.leaseRefused(dest, now) {
			continue
		}
		c.busy[dest] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			refused := c.work(ctx, calls, dest)
			c.mu.Lock()
			delete(c.busy, dest)
			if refused {
				// Another courier delivers it: ask again a poll later,
				// not at every wake, which would write to the store in a loop.
				c.refused[dest] = c.clock.Now().UTC().Add(c.poll)
			}
			c.mu.Unlock()
			select {
			case done <- struct{}{}:
			default:
			}
		}()
	}
}

// Flush delivers everything that is due now, one destination after
// another, and returns when nothing due is left but destinations another
// courier leases. Tests use it with a fake clock instead of Run.
//
// While the store fails, Flush returns its error without touching the store
// until the next try is due, as Run waits.
func (c *Courier) Flush(ctx context.Context) error {
	for {
		now := c.clock.Now().UTC()
		if err := c.storeWaits(now); err != nil {
			return err
		}
		var dests []string
		err := c.store.View(ctx, func(tx Tx) (err error) {
			dests, err = tx.DueDestinations(now, c.workers)
			return err
		})
		if err != nil {
			c.storeFailed(false, "list due deliveries", err)
			return err
		}
		c.storeWorked(false)
		worked := false
		for _, d := range dests {
			if !c.work(ctx, ctx, d) {
				worked = true
			}
		}
		if !worked {
			return nil // none is due, or all that are are another's
		}
	}
}

// work delivers a destination's due deliveries, oldest first, until none
// is due or the store fails. A delivery that fails holds back its own lane
// (its ticket) and the worker goes on with the other lanes, unless the
// failure is about the whole destination and pauses it. ctx ends the taking
// of new work; calls ends calls under way.
//
// It delivers under the destination's lease, taken with the first attempt
// and released when it leaves; refused reports that another courier held
// it, so this one delivered nothing more.
func (c *Courier) work(ctx, calls context.Context, dest string) (refused bool) {
	var held time.Time // until when this worker leases dest; zero while it does not
	defer func() {
		// Not while the store is failing, which is left alone until its
		// next try: the lease then runs out by itself, and nobody can
		// deliver meanwhile anyway.
		if !held.IsZero() && c.storeWaits(c.clock.Now().UTC()) == nil {
			c.letGo(ctx, dest)
		}
	}()
	for ctx.Err() == nil {
		now := c.clock.Now().UTC()
		// The process's own clock, read with now: the lease asked for runs
		// from now, and a pause from here on moves this clock on too.
		asked := time.Now()
		if c.storeWaits(now) != nil {
			return
		}
		var d Delivery
		var ok bool
		fresh := c.inOutage(dest)
		// A read first, so that a destination with nothing due costs no write.
		err := c.store.View(ctx, func(tx Tx) (err error) {
			d, ok, err = pick(tx, dest, now, fresh)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				c.storeFailed(false, "read the next delivery to "+dest, err)
			}
			return false
		}
		if !ok {
			return false
		}
		// The attempt is on record before it leaves: if this process dies
		// before recording the outcome, the next one knows an attempt may
		// have reached the network. It is recorded under the lease, checked
		// in the same transaction: a courier that paused past its lease
		// while another took over finds out here, before it delivers. The
		// delivery is picked again under the lease, as another courier may
		// have sent it since the read.
		// A whole lease each time, not what is left of the last: the
		// delivery after it runs under it (bind), and keep's first renewal
		// comes a third of a lease later.
		until := now.Add(c.lease)
		leased := false
		if err := c.store.Update(ctx, func(tx Tx) (err error) {
			if leased, err = tx.LeaseDestination(dest, c.holder, now, until); err != nil || !leased {
				return err
			}
			if d, ok, err = pick(tx, dest, now, fresh); err != nil || !ok {
				return err
			}
			return tx.PostponeDelivery(d.ID, d.Attempts+1, d.NextAt, d.LastError)
		}); err != nil {
			if ctx.Err() == nil {
				c.storeFailed(true, "record an attempt", err)
			}
			return false
		}
		c.storeWorked(true)
		if !leased {
			if !held.IsZero() {
				c.log.Warn("outbox: another courier took over a destination", "destination", dest, "holder", c.holder)
				held = time.Time{} // it is not ours to release
			}
			return true
		}
		held = until
		if !ok {
			return false
		}
		start := time.Now()
		b := bind(calls, asked, until.Sub(now))
		stop := c.keep(ctx, dest, held, b)
		err = c.deliver(b.ctx, d)
		held = stop()
		lost := errors.Is(context.Cause(b.ctx), errLeaseLost)
		b.end()
		if err != nil && lost {
			// Not this courier's to record: another may hold the
			// destination and have delivered it. The attempt on record
			// makes whoever sends it next look it up first.
			c.observe(d.Job, "retry", time.Since(start))
			c.log.Warn("outbox: stopped a delivery whose destination's lease ran out or was taken over", "delivery", d.ID, "destination", dest, "holder", c.holder, "err", err)
			held = time.Time{}
			return true
		}
		if err == nil {
			c.observe(d.Job, "delivered", time.Since(start))
			c.destinationWorks(dest)
			continue
		}
		var serr *storeError
		if errors.As(err, &serr) {
			// The network may have it; the recorded attempt makes the next
			// try look before posting again.
			c.observe(d.Job, "retry", time.Since(start))
			c.storeFailed(serr.write, serr.doing, serr.err)
			return false
		}
		outcome, ferr := c.failed(ctx, d, err)
		c.observe(d.Job, outcome, time.Since(start))
		if ferr != nil {
			c.storeFailed(true, "record a failed delivery", ferr)
			return false
		}
	}
	return false
}

// pick returns the delivery of dest to try next at now: in an outage of
// dest (fresh) one never tried if there is one, else the oldest due.
func pick(tx Tx, dest string, now time.Time, fresh bool) (d Delivery, ok bool, err error) {
	if fresh {
		if d, ok, err = tx.FreshDelivery(dest, now); ok || err != nil {
			return d, ok, err
		}
	}
	return tx.NextDelivery(dest, now)
}

// errNotReady postpones a delivery whose prerequisite has not left yet.
var errNotReady = errors.New("waiting for an earlier delivery")

func (c *Courier) deliver(ctx context.Context, d Delivery) error {
	if d.Job == SendGreeting {
		src, err := c.source(d.Source)
		if err != nil {
			return err
		}
		if _, err := src.Send(ctx, Outgoing{Conversation: d.Conversation, Text: d.Text, Key: d.Key()}); err != nil {
			return err
		}
		return c.finish(ctx, d, nil)
	}
	var t Ticket
	var m Message
	err := c.store.View(ctx, func(tx Tx) (err error) {
		if d.TicketID == 0 {
			return nil // announcements and direct messages belong to no ticket
		}
		if t, err = tx.Ticket(d.TicketID); err != nil && d.Job != Whisper {
			return err
		}
		if d.MessageID != 0 {
			m, err = tx.Message(d.MessageID)
		}
		return err
	})
	if ErrorCode(err) == ENOTFOUND {
		return Permanent(fmt.Errorf("load %s of ticket #%d: %w", d.Job, d.TicketID, err))
	}
	if err != nil {
		return &storeError{doing: fmt.Sprintf("load %s of ticket #%d", d.Job, d.TicketID), err: err}
	}
	if d.TicketID != 0 && d.Conversation != "" && d.Job != PostTicket {
		t = t.at(d.Conversation) // a word in the thread a moved ticket left
	}
	switch d.Job {
	case PostTicket:
		return c.postTicket(ctx, d, t)
	case UpdateTicket:
		if t.DeskThread == "" {
			break // the root never made it; there is nothing to update
		}
		if err := c.desk.UpdateTicket(ctx, t); err != nil {
			return err
		}
	case PostMessage:
		return c.postMessage(ctx, d, t, m)
	case Whisper:
		if err := c.desk.Whisper(ctx, t, d.Agent, d.Text); err != nil {
			return err
		}
	case Announce:
		if err := c.desk.Announce(ctx, d.Conversation, d.Text); err != nil {
			return err
		}
	case DirectMessage:
		if err := c.desk.DirectMessage(ctx, d.Agent, d.Text); err != nil {
			return err
		}
	case MarkDelivered:
		if m.DeskRef == "" {
			return errNotReady
		}
		if err := c.desk.MarkDelivered(ctx, t, m); err != nil {
			return err
		}
	case SendReply:
		return c.sendReply(ctx, d, t, m)
	case AskRating:
		src, err := c.source(t.Source)
		if err != nil {
			return err
		}
		if _, err := src.Send(ctx, Outgoing{Ticket: t, Conversation: t.Conversation, ReplyTo: t.LastInbound, Text: d.Text, Purpose: ForRating, Key: d.Key()}); err != nil {
			return err
		}
	case SendReport:
		return c.sendReport(ctx, d)
	case SendNotice:
		return c.sendNotice(ctx, d, t)
	case MovePrivate:
		return c.movePrivate(ctx, d, t)
	case FetchFiles:
		return c.fetchFiles(ctx, d, t, m)
	case PostFiles:
		return c.postFiles(ctx, d, t, m)
	case EditMessage:
		return c.editMessage(ctx, d, t, m)
	case EditReply:
		return c.editReply(ctx, d, t, m)
	case DeleteReply:
		return c.deleteReply(ctx, d, t, m)
	case PostDigest:
		return c.postDigests(ctx, d)
	default:
		return Permanent(fmt.Errorf("unknown job %q", d.Job))
	}
	return c.finish(ctx, d, nil)
}

func (c *Courier) postTicket(ctx context.Context, d Delivery, t Ticket) error {
	target, moving := strings.CutPrefix(d.Conversation, movingTo)
	if moving {
		t.Channel, t.DeskThread = target, "" // its new root, in its new team's channel
	}
	if t.DeskThread != "" {
		return c.finish(ctx, d, nil)
	}
	// Moved before its first root was posted: the move's own root, queued
	// after this, is the one to post, unless an earlier attempt posted
	// this one after all.
	early := !moving && t.Moves > 0
	var thread string
	if finder, ok := c.desk.(RootFinder); ok && d.Attempts > 0 {
		found, err := finder.FindTicket(ctx, t)
		if err != nil {
			return fmt.Errorf("look for an earlier root of ticket #%d: %w", t.ID, err)
		}
		thread = found
	}
	if thread == "" && early {
		return c.finish(ctx, d, nil)
	}
	if thread == "" {
		posted, err := c.desk.PostTicket(ctx, t)
		if err != nil {
			return err
		}
		thread = posted
	}
	return c.finish(ctx, d, func(tx Tx) error {
		moves := t.Moves
		t, err := tx.Ticket(t.ID) // reloaded: agents may have changed it meanwhile
		if err != nil {
			return err
		}
		switch {
		case moving:
			// The thread it leaves is remembered, so that an answer
			// written there is not lost in silence, and its root says
			// where the ticket went, with no buttons left to press.
			if t.DeskThread != "" {
				if err := tx.AddFormerThread(t.DeskThread, t.ID); err != nil {
					return err
				}
				now := c.clock.Now().UTC()
				if err := tx.Enqueue(&Delivery{Destination: deskQueue, Job: UpdateTicket, TicketID: t.ID,
					Conversation: t.Channel + " " + t.DeskThread, NextAt: now, CreatedAt: now}); err != nil {
					return err
				}
			}
			t.Channel = target
		case t.Moves != moves || early:
			// It moved while this root was on its way, so the move could
			// not say so here; this thread says it now, and the move's
			// own root (queued after this) takes over.
			m := Message{TicketID: t.ID, Kind: Notice, At: c.clock.Now().UTC(),
				Text: fmt.Sprintf("➡️ #%d moved to another team while this thread was opening: it goes on in a new thread in that team's channel, and this thread no longer reaches the customer.", t.ID)}
			if err := tx.AddMessage(&m); err != nil {
				return err
			}
			now := c.clock.Now().UTC()
			if err := tx.Enqueue(&Delivery{Destination: deskQueue, Job: PostMessage, TicketID: t.ID, MessageID: m.ID,
				Conversation: t.Channel + " " + thread, NextAt: now, CreatedAt: now}); err != nil {
				return err
			}
		}
		t.DeskThread = thread
		if err := tx.SaveTicket(t); err != nil {
			return err
		}
		// Listed in a storm: its digest line links to the thread now.
		if err := rooted(tx, t.ID, c.clock.Now().UTC()); err != nil {
			return err
		}
		if d.MessageID == 0 {
			return nil
		}
		// The root shows the first message: an edit of it re-renders the root.
		m, err := tx.Message(d.MessageID)
		if err != nil {
			return err
		}
		m.DeskRef = thread
		return tx.SaveMessage(m)
	})
}

func (c *Courier) postMessage(ctx context.Context, d Delivery, t Ticket, m Message) error {
	if m.DeskRef != "" {
		return c.finish(ctx, d, nil)
	}
	var ref string
	if finder, ok := c.desk.(MessageFinder); ok && d.Attempts > 0 && t.DeskThread != "" {
		found, err := finder.FindMessage(ctx, t, m)
		if err != nil {
			return fmt.Errorf("look for an earlier post of message %d: %w", m.ID, err)
		}
		ref = found
	}
	if ref == "" {
		posted, err := c.desk.PostMessage(ctx, t, m)
		if err != nil {
			return err
		}
		ref = posted
	}
	return c.finish(ctx, d, func(tx Tx) error {
		m, err := tx.Message(m.ID)
		if err != nil {
			return err
		}
		m.DeskRef = ref
		return tx.SaveMessage(m)
	})
}

func (c *Courier) sendReply(ctx context.Context, d Delivery, t Ticket, m Message) error {
	if m.Status == Delivered || !m.DeletedAt.IsZero() {
		return c.finish(ctx, d, nil) // sent already, or taken back before it left
	}
	src, err := c.source(t.Source)
	if err != nil {
		return err
	}
	if t.Blocked {
		return Permanent(errBlocked)
	}
	files, refused, err := c.replyFiles(ctx, src, m)
	if err != nil {
		return err
	}
	if len(files)+len(refused) > 0 {
		// Downloads take time: the owner may have deleted the reply meanwhile.
		var now Message
		if err := c.store.View(ctx, func(tx Tx) (err error) { now, err = tx.Message(m.ID); return err }); err != nil {
			return &storeError{doing: fmt.Sprintf("load reply %d", m.ID), err: err}
		}
		if !now.DeletedAt.IsZero() {
			return c.finish(ctx, d, nil)
		}
	}
	if strings.TrimSpace(m.Text) == "" && len(files) == 0 && len(refused) > 0 {
		return c.noFilesGo(ctx, refused)
	}
	ref, err := src.Send(ctx, Outgoing{Ticket: t, Conversation: t.Conversation, ReplyTo: t.LastInbound, Text: c.render(ctx, t, m), MessageID: m.ID, AgentName: m.AuthorName, Key: d.Key(), Files: files})
	if err != nil {
		return err
	}
	now := c.clock.Now().UTC()
	left := m.Text
	return c.finishFiles(ctx, d, refused, func(tx Tx) error {
		m, err := tx.Message(m.ID)
		if err != nil {
			return err
		}
		m.Status, m.SourceRef, m.Reason = Delivered, ref, ""
		if err := tx.SaveMessage(m); err != nil {
			return err
		}
		// The owner may have changed or deleted the reply while it was on
		// its way: the customer has what left, so the change follows it.
		var follow Job
		switch {
		case !m.DeletedAt.IsZero():
			follow = DeleteReply
		case m.Text != left:
			follow = EditReply
		}
		if follow != "" {
			if err := tx.Enqueue(&Delivery{Destination: d.Destination, Job: follow, TicketID: t.ID, MessageID: m.ID, Agent: m.Author, NextAt: now, CreatedAt: now}); err != nil {
				return err
			}
		}
		if err := sentFilesDone(tx, files, ref, now); err != nil {
			return err
		}
		if len(refused) > 0 {
			lead := fmt.Sprintf("⚠️ %s, your reply went to the customer without ", Mention(Agent{ID: m.Author}))
			if err := notice(tx, t.ID, refusedLine(lead, refused, "Send it another way, or a smaller one."), now); err != nil {
				return err
			}
		}
		if err := tx.Enqueue(&Delivery{Destination: asideQueue, Job: MarkDelivered, TicketID: t.ID, MessageID: m.ID, NextAt: now, CreatedAt: now}); err != nil {
			return err
		}
		t, err := tx.Ticket(t.ID)
		if err != nil || !t.FirstReplyAt.IsZero() {
			return err
		}
		// The first answer stops the SLA clock.
		t.FirstReplyAt, t.FirstReplyBy, t.UpdatedAt = now, Agent{ID: m.Author, Name: m.AuthorName}, now
		if err := tx.SaveTicket(t); err != nil {
			return err
		}
		if err := tx.CancelTimers(t.ID, RemindFirstReply, EscalatePrimary, EscalateBackup, BreachFirstReply); err != nil {
			return err
		}
		if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "replied", Actor: m.Author, At: now}); err != nil {
			return err
		}
		return tx.Enqueue(&Delivery{Destination: deskQueue, Job: UpdateTicket, TicketID: t.ID, NextAt: now, CreatedAt: now})
	})
}

func (c *Courier) source(name string) (Source, error) {
	if src, ok := c.sources[name]; ok {
		return src, nil
	}
	return nil, Permanent(fmt.Errorf("source %q is not configured, so nothing can be sent there", name))
}

// finish removes d from the outbox together with what its success changed.
func (c *Courier) finish(ctx context.Context, d Delivery, also func(Tx) error) error {
	err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		return tx.FinishDelivery(d.ID)
	})
	if err != nil {
		// Delivered but not recorded: the retry sends it again. Say so
		// loudly; it is the one way a customer could see a message twice.
		c.log.Error("outbox: delivered but could not record it", "delivery", d.ID, "job", d.Job, "err", err)
		return &storeError{write: true, doing: fmt.Sprintf("record %s delivery %d", d.Job, d.ID), err: err}
	}
	return nil
}

// failed records a failed attempt: a retry later, or the end of the road,
// made visible where someone can act on it.
func (c *Courier) failed(ctx context.Context, d Delivery, cause error) (string, error) {
	now := c.clock.Now().UTC()
	attempts := d.Attempts + 1
	// A post of files waits for their download however long it takes:
	// the download ends for good by itself, and the files must not be
	// downloaded with nothing left to show them.
	if !IsPermanent(cause) && (now.Sub(c.since(ctx, d)) < c.retry.GiveUpAfter || errors.Is(cause, errDownloading)) {
		wait := c.retry.wait(d, attempts, cause)
		if errors.Is(cause, errDownloading) {
			// Its download hurries it when done; a hurry that came while
			// this attempt ran is overwritten below, so it is not waited
			// for long.
			wait = min(wait, time.Minute)
		}
		pause := c.destinationWait(d, cause)
		if !errors.Is(cause, errNotReady) {
			c.log.Warn("outbox: delivery failed, will retry", "delivery", d.ID, "job", d.Job, "destination", d.Destination,
				"ticket", d.TicketID, "attempt", attempts, "retry_in", wait, "destination_waits", pause, "err", cause)
		}
		return "retry", c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
			if pause > 0 {
				if err := tx.PauseDestination(d.Destination, now.Add(pause)); err != nil {
					return err
				}
			}
			return tx.PostponeDelivery(d.ID, attempts, now.Add(wait), cause.Error())
		})
	}
	c.log.Error("outbox: delivery failed for good", "delivery", d.ID, "job", d.Job, "destination", d.Destination, "ticket", d.TicketID, "attempts", attempts, "err", cause)
	var refused []refusal
	err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		refused = nil
		if err := tx.FinishDelivery(d.ID); err != nil {
			return err
		}
		switch d.Job {
		case FetchFiles, PostFiles, SendReply:
			var err error
			if refused, err = filesFailed(tx, d, cause, now); err != nil {
				return err
			}
		}
		if d.Job == FetchFiles {
			if err := hurryPost(tx, d, now); err != nil {
				return err
			}
		}
		if d.Job == AskRating {
			return c.notAsked(tx, d, cause, now)
		}
		if what := agentsAsk(d); what != "" {
			// The agent asked for it and waits: say it did not happen.
			return notice(tx, d.TicketID, fmt.Sprintf("⚠️ %s, %s did not work: %s.", Mention(Agent{ID: d.Agent}), what, Quote(cause.Error())), now)
		}
		if d.Job != SendReply {
			return nil
		}
		m, err := tx.Message(d.MessageID)
		if err != nil {
			return err
		}
		if !m.DeletedAt.IsZero() {
			return nil // the owner took it back: nobody waits for it
		}
		m.Status, m.Reason = Failed, cause.Error()
		if err := tx.SaveMessage(m); err != nil {
			return err
		}
		t, err := tx.Ticket(d.TicketID)
		if err != nil {
			return err
		}
		if err := notice(tx, t.ID, fmt.Sprintf(
			"⚠️ %s, your reply was NOT delivered to the customer: %s. Try again with /desk reply %d, or reach them another way.",
			Mention(Agent{ID: m.Author}), Quote(cause.Error()), t.ID), now); err != nil {
			return err
		}
		return c.fallback(tx, t, now)
	})
	if err == nil {
		c.release(refused) // their refusal is on record
	}
	return "failed", err
}

// since is when d's time to be delivered began: when it was queued, or,
// for a desk post of a ticket whose root was parked in a storm, when the
// root was let go, so that a storm longer than GiveUpAfter does not make
// the ticket's thread fail at its first refusal. A store that cannot say
// leaves it at CreatedAt.
func (c *Courier) since(ctx context.Context, d Delivery) time.Time {
	if d.Destination != deskQueue || d.TicketID == 0 {
		return d.CreatedAt
	}
	var l Listing
	var ok bool
	if err := c.store.View(ctx, func(tx Tx) (err error) {
		l, ok, err = tx.Listing(d.TicketID)
		return err
	}); err != nil || !ok || !l.Released.After(d.CreatedAt) {
		return d.CreatedAt
	}
	return l.Released
}

// notAsked records that the satisfaction question never reached the
// customer: the ticket counts as not asked (a later resolve may ask
// again), and its thread says why.
func (c *Courier) notAsked(tx Tx, d Delivery, cause error, now time.Time) error {
	t, err := tx.Ticket(d.TicketID)
	if err != nil {
		return err
	}
	t.RatingAskedAt = time.Time{}
	if err := tx.SaveTicket(t); err != nil {
		return err
	}
	if err := notice(tx, t.ID, fmt.Sprintf("The customer could not be asked how it went: %s.", Quote(cause.Error())), now); err != nil {
		return err
	}
	return tx.Enqueue(&Delivery{Destination: deskQueue, Job: UpdateTicket, TicketID: t.ID, NextAt: now, CreatedAt: now})
}

// render is the owner's reply m as the customer reads it: colleagues'
// mentions as names, and the owner's signature.
func (c *Courier) render(ctx context.Context, t Ticket, m Message) string {
	text := m.Text
	if namer, ok := c.desk.(Namer); ok {
		text = namer.Names(ctx, text)
	}
	if strings.TrimSpace(text) == "" {
		return "" // files alone: a signature under nothing reads oddly
	}
	return c.sign(ctx, t, m, text)
}

// sign ends a reply with its author's first name in the customer's
// language ("— Ayşe"), so the customer knows a person answered; without a
// name the reply goes as written.
func (c *Courier) sign(ctx context.Context, t Ticket, m Message, text string) string {
	if !c.speech.Sign || c.speech.Voice == nil {
		return text
	}
	name := c.firstName(ctx, m.Author)
	if name == "" {
		name = firstWord(m.AuthorName)
	}
	if name == "" && m.Author == t.Owner.ID {
		name = firstWord(t.Owner.Name)
	}
	if name == "" {
		return text
	}
	return text + "\n\n" + c.speech.Voice.Say(t.Language, SaySignature, Words{Agent: name})
}

// fallback tells the customer, once per ticket, that an answer could not
// reach them there, so they are not left waiting in silence; a network
// that refused one message may take a short one. Not for a customer who
// blocked the bot: nothing reaches them.
func (c *Courier) fallback(tx Tx, t Ticket, now time.Time) error {
	if c.speech.Voice == nil || t.Blocked {
		return nil
	}
	fresh, err := tx.FirstSight(fmt.Sprintf("fallback:%d", t.ID), now)
	if err != nil || !fresh {
		return err
	}
	return tx.Enqueue(&Delivery{Destination: sourceQueue(t.Source, t.Conversation), Job: SendNotice, TicketID: t.ID,
		Text: string(SayFallback), NextAt: now, CreatedAt: now})
}

// agentsAsk names what an agent asked of the customer's network in d, or
// "" when d is no such thing.
func agentsAsk(d Delivery) string {
	switch {
	case d.Job == MovePrivate:
		return "moving the conversation to private"
	case d.Job == EditReply:
		return "changing your reply for the customer"
	case d.Job == DeleteReply:
		return "deleting your reply for the customer"
	case d.Job != SendNotice || d.Agent == "":
		return ""
	}
	switch Phrase(d.Text) {
	case SayCall:
		return "asking the customer for a number"
	case SayPrivate, SayPrivateHello:
		return "writing to the customer in private"
	}
	return ""
}
