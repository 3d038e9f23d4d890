package bot

import (
	"fmt"
	"slices"
	"time"
)

// Storm mode. A desk channel takes about one post a second: 2,000 new
// complaints in a few minutes would take over half an hour to show as
// roots, and the team would claim blind. Once the desk's queue is more
// than StormPolicy.Behind behind, a new complaint's root is parked (its
// PostTicket waits, and the ticket's later desk posts wait in its lane
// behind it) and the complaint is listed instead in digest posts, many to
// a post, each line with a Claim button. The root is let go when someone
// claims the ticket, or when the queue has room again (drain), best
// complaints first; storm mode ends when nothing is parked and the queue
// has caught up.

// StormPolicy is when the desk goes into storm mode.
type StormPolicy struct {
	// Behind is how far behind the desk's queue of posts may fall before
	// new complaints are listed in digests: the queue's length over Rate.
	// Zero turns storm mode off.
	Behind time.Duration
	// Rate is how many posts a second the desk channel takes.
	Rate float64
}

// Waited is how long the oldest queued post must have waited for the desk
// to be behind: a tenth of Behind. A desk that posts as fast as
// complaints come never has a post wait that long, however many queue
// for a moment.
func (p StormPolicy) Waited() time.Duration { return p.Behind / 10 }

// DefaultStormPolicy goes into storm mode 30 seconds behind, at Slack's
// and Discord's rate of about one post a second per channel.
func DefaultStormPolicy() StormPolicy { return StormPolicy{Behind: 30 * time.Second, Rate: 1} }

// Limit is the number of queued desk posts from which the desk is in a
// storm; 0 when storm mode is off.
func (p StormPolicy) Limit() int {
	if p.Behind <= 0 || p.Rate <= 0 {
		return 0
	}
	return max(int(p.Behind.Seconds()*p.Rate), 2)
}

// Storm is a time the desk listed new complaints in digests.
type Storm struct {
	ID      int64
	Started time.Time
	Ended   time.Time // zero while it lasts
	Listed  int       // complaints listed in its digests (the store counts them)
}

// Listing is a complaint opened in a storm: its root is parked until it is
// let go (Released), and it has a line in a digest post (Digest, Line)
// once the courier put it there.
type Listing struct {
	Ticket  int64
	Storm   int64
	Message int64  // the ticket's first message, which its root's PostTicket is about
	Channel string // the desk channel the ticket belongs in ("" for the desk's own)
	// First lists it before the others: a high-reach author or a customer
	// who complained before.
	First bool
	// FirstRef is the source's id of the first message: the customer wrote
	// again when the ticket's latest (LastInbound) is another.
	FirstRef string
	Digest   int64 // 0 until listed
	Line     int   // its place in the digest, from 1
	ParkedAt time.Time
	Released time.Time // when its root was let go to the desk's queue; zero while parked
}

// Digest is one digest post of a storm: the lines of up to the desk's
// DigestSize complaints.
type Digest struct {
	ID      int64
	Storm   int64
	Number  int    // 1 for the storm's first digest, then 2, …
	Channel string // "" for the desk's own
	Ref     string // the post's id on the desk; "" until posted
	// Shown is what the post showed when last posted or edited (digestShows),
	// so that it is edited only when a line changed.
	Shown string
	// Tried says a post was attempted: whoever posts it next looks for
	// that post first (Digester.FindDigest).
	Tried   bool
	Lines   int // complaints in it (the store counts them)
	Created time.Time
	// Entries are its lines, as the courier loads them to render; never
	// stored.
	Entries []DigestEntry
}

// DigestEntry is one line of a digest, as a desk renders it.
type DigestEntry struct {
	Ticket Ticket
	First  bool // listed first: high reach, or a repeat complainer
	Again  bool // the customer wrote again since
}

// parkedAt is the NextAt of a parked root: after anything else, until it
// is let go. Far in the future, not zero, so that "due" stays one
// comparison in the stores.
var parkedAt = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// digestQueue is the outbox queue of digest posts: their own, so that they
// do not wait behind the roots they stand in for.
const digestQueue = "desk:digest"

// park decides, at the opening of t, whether its root waits: in a storm,
// or when one starts now (startStorm). In a storm every new complaint is
// listed, even when the queue is short again, so that a root posted at
// once does not overtake those still parked.
func (b *Bot) park(tx Tx, t Ticket, first Message, previous *Ticket, now time.Time) (bool, error) {
	if b.policy.Storm.Limit() == 0 {
		return false, nil
	}
	s, on, err := tx.CurrentStorm()
	if err != nil {
		return false, err
	}
	if !on {
		if s, on, err = b.startStorm(tx, now); err != nil || !on {
			return false, err
		}
	}
	l := Listing{Ticket: t.ID, Storm: s.ID, Message: first.ID, Channel: t.Channel,
		First: t.HighReach(b.policy.HighReach) || previous != nil, FirstRef: first.SourceRef, ParkedAt: now}
	if err := tx.AddListing(l); err != nil {
		return false, err
	}
	return true, digestDue(tx, now)
}

// startStorm starts a storm when the desk is behind: at least Limit posts
// queued, the oldest of them waiting Waited or more. Both, because the
// count alone is no delay on a desk that posts faster than Rate, and
// the wait alone may be one slow post. It tells the channels, and lists
// the roots queued but for the first few.
func (b *Bot) startStorm(tx Tx, now time.Time) (Storm, bool, error) {
	limit := b.policy.Storm.Limit()
	if limit == 0 {
		return Storm{}, false, nil
	}
	due, err := tx.DueLanes(deskQueue, now, limit)
	if err != nil || due < limit {
		return Storm{}, false, err
	}
	oldest, ok, err := tx.OldestDue(deskQueue, now)
	if err != nil || !ok || now.Sub(oldest) < b.policy.Storm.Waited() {
		return Storm{}, false, err
	}
	s := Storm{Started: now}
	if err := tx.StartStorm(&s); err != nil {
		return Storm{}, false, err
	}
	text := fmt.Sprintf("🌪️ *Storm mode*: complaints arrive faster than this channel can show them (%d posts queued). "+
		"New complaints are listed in digest posts here instead of a thread each, the most urgent first, each with a *Claim* button. "+
		"A ticket's thread opens when someone claims it, or when the desk has caught up; `/desk claim N` works as always.", due)
	if err := b.tellChannels(tx, text, now); err != nil {
		return Storm{}, false, err
	}
	b.log.Warn("storm mode: new complaints are listed in digests", "queued", due, "limit", limit, "waited", now.Sub(oldest).Round(time.Millisecond))
	if err := b.parkQueued(tx, s, now); err != nil {
		return Storm{}, false, err
	}
	return s, true, digestDue(tx, now)
}

// stormKeeps is how many of the roots queued when a storm starts still go
// as roots: about what the channel posts at once. The others are listed
// with the storm's complaints: one digest line each costs the channel far
// less than a post each, and the digests take the whole of its rate.
const stormKeeps = 5

// parkBatch is the most queued roots a storm's start lists.
const parkBatch = 10_000

// parkQueued parks the roots queued and not yet tried when storm s starts,
// all but the oldest stormKeeps, and lists their tickets: up to
// parkBatch, a bound on the work of one transaction; a larger queue
// posts the rest as it is.
func (b *Bot) parkQueued(tx Tx, s Storm, now time.Time) error {
	roots, err := tx.FreshDue(deskQueue, PostTicket, now, parkBatch)
	if err != nil || len(roots) <= stormKeeps {
		return err
	}
	for _, d := range roots[stormKeeps:] {
		if d.Conversation != "" || d.MessageID == 0 {
			continue // a moved ticket's new root: it has a thread already
		}
		if _, listed, err := tx.Listing(d.TicketID); err != nil || listed {
			if err != nil {
				return err
			}
			continue // let go by the storm before, and not posted yet
		}
		t, err := tx.Ticket(d.TicketID)
		if err != nil {
			return err
		}
		if t.Owner.ID != "" {
			continue // claimed before its root left: someone works on it
		}
		first, err := tx.Message(d.MessageID)
		if err != nil {
			return err
		}
		if err := tx.PostponeDelivery(d.ID, 0, parkedAt, ""); err != nil {
			return err
		}
		if err := tx.AddListing(Listing{Ticket: t.ID, Storm: s.ID, Message: first.ID, Channel: t.Channel,
			First: t.HighReach(b.policy.HighReach), FirstRef: first.SourceRef, ParkedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// rooted records that a listed ticket's root was posted, whether let go
// or caught on its way when the storm began, so that the storm does not
// wait for it, and its line links to the thread.
func rooted(tx Tx, ticket int64, now time.Time) error {
	l, ok, err := tx.Listing(ticket)
	if err != nil || !ok {
		return err
	}
	if l.Released.IsZero() {
		if err := tx.ReleaseListing(ticket, now); err != nil {
			return err
		}
	}
	return digestDue(tx, now)
}

// digestDue makes sure a run of the digest job is queued that has not
// started: it lists what is unlisted and edits what changed, so one
// waiting run serves every change made before it starts.
func digestDue(tx Tx, now time.Time) error {
	n, err := tx.FreshDeliveries(digestQueue)
	if err != nil || n > 0 {
		return err
	}
	return tx.Enqueue(&Delivery{Destination: digestQueue, Job: PostDigest, NextAt: now, CreatedAt: now})
}

// relist keeps a listed ticket's digest line up to date after a change,
// and lets its root go once someone owns it: whoever claimed it from the
// digest gets its thread now, not when the storm is over.
func relist(tx Tx, ticket int64, now time.Time) error {
	l, ok, err := tx.Listing(ticket)
	if err != nil || !ok {
		return err
	}
	if l.Released.IsZero() {
		t, err := tx.Ticket(ticket)
		if err != nil {
			return err
		}
		// Claimed, or moved to the team that owns it, it is someone's
		// work now. Resolved (spam, say) it waits for the drain: a thread
		// nobody works in is worth no post in a storm.
		if (t.Owner.ID != "" || t.Moves > 0) && t.State != Resolved {
			if err := release(tx, l, now); err != nil {
				return err
			}
		}
	}
	return digestDue(tx, now)
}

// release lets a parked root go to the desk's queue, due now.
func release(tx Tx, l Listing, now time.Time) error {
	if err := tx.ReleaseListing(l.Ticket, now); err != nil {
		return err
	}
	return tx.HurryDeliveries(PostTicket, l.Message, now)
}

// drain starts a storm the complaints did not (startStorm); in a storm it
// lets parked roots go while the desk's queue is short (under half the
// limit) and the digests are up to date, the most urgent first, and ends the storm once none is
// parked and the queue has caught up. The scheduler calls it each tick.
func (b *Bot) drain(tx Tx, now time.Time) error {
	s, on, err := tx.CurrentStorm()
	if err != nil {
		return err
	}
	if !on {
		// A burst that came all at once, with no complaint since to
		// notice the queue it left.
		_, _, err := b.startStorm(tx, now)
		return err
	}
	// Storm mode turned off while a storm lasts: what is parked still
	// goes, at the default's pace.
	limit := b.policy.Storm.Limit()
	if limit == 0 {
		limit = DefaultStormPolicy().Limit()
	}
	// Half the limit queued at first: the desk's own pace at one tick in
	// three seconds (the default's 15 in 10 s), with room for claims to
	// open their threads soon. A desk that posted all the last tick let
	// go has room for twice as many; one still busy with half, for half.
	base := limit / 2
	room := max(int(b.room.Load()), base)
	due, err := tx.DueLanes(deskQueue, now, room)
	if err != nil {
		return err
	}
	switch {
	case due == 0:
		room = min(room*2, parkBatch)
	case due > room/2:
		room = max(room/2, base)
	}
	b.room.Store(int64(room))
	// Roots wait while digests are behind: both take the channel's posts,
	// and a complaint not yet listed is not on the desk at all.
	listing, err := tx.Unlisted(1)
	if err != nil {
		return err
	}
	posting, err := tx.FreshDeliveries(digestQueue)
	if err != nil {
		return err
	}
	if due < room && len(listing) == 0 && posting == 0 {
		parked, err := tx.Parked(room - due)
		if err != nil {
			return err
		}
		for _, l := range parked {
			if err := release(tx, l, now); err != nil {
				return err
			}
		}
		due += len(parked)
	}
	left, err := tx.CountParked()
	if err != nil || left > 0 || due >= base {
		return err
	}
	b.room.Store(0)
	// Not waiting for the roots let go to leave: complaints that keep
	// coming between ticks are parked at each, and would keep a desk that
	// has caught up in storm mode for as long as they come.
	if err := tx.EndStorm(s.ID, now); err != nil {
		return err
	}
	text := fmt.Sprintf("🌤️ *Storm mode is over*: the desk has caught up. The %d complaints listed in digests since %s get their own threads in the next moments, if they have none yet; new complaints get a thread at once again.",
		s.Listed, At(s.Started, "t"))
	b.log.Info("storm mode is over", "listed", s.Listed, "lasted", now.Sub(s.Started).Round(time.Second))
	return b.tellChannels(tx, text, now)
}

// tellChannels announces text in the desk's channel and every team's:
// a storm lists each team's complaints in its own channel.
func (b *Bot) tellChannels(tx Tx, text string, now time.Time) error {
	channels := []string{""}
	for _, t := range b.policy.Teams {
		if t.Channel != "" && !slices.Contains(channels, t.Channel) {
			channels = append(channels, t.Channel)
		}
	}
	for _, ch := range channels {
		if err := tx.Enqueue(&Delivery{Destination: noticeQueue, Job: Announce, Conversation: ch, Text: text, NextAt: now, CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}
