package bot

import (
	"context"
	"time"
)

// Store keeps tickets, messages, events, the outbox and the ids already seen.
// Every change the core makes happens inside one Update, so a crash leaves
// either all of it or none of it.
type Store interface {
	// Update runs fn in a read-write transaction, committed when fn returns
	// nil and rolled back otherwise. fn's error is returned as it is.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is what the core may do inside a transaction. Methods that look up one
// thing return an *Error with code ENOTFOUND when it is not there.
type Tx interface {
	// FirstSight records key and reports whether it is new. A key seen
	// before returns false and changes nothing. It de-duplicates network
	// events and "told once" notices.
	FirstSight(key string, at time.Time) (bool, error)

	// CreateTicket stores t and sets t.ID to the next ticket number.
	CreateTicket(t *Ticket) error
	// SaveTicket overwrites the stored ticket with t.ID.
	SaveTicket(t Ticket) error
	// Ticket returns ticket #id.
	Ticket(id int64) (Ticket, error)
	// TicketByThread returns the ticket whose desk root is thread.
	TicketByThread(thread string) (Ticket, error)
	// LatestTicket returns the newest ticket of the customer in the
	// conversation on the source.
	LatestTicket(source, conversation, customerID string) (Ticket, error)
	// TicketByPost returns the newest ticket whose PostURL is postURL (not
	// ""), or ENOTFOUND.
	TicketByPost(postURL string) (Ticket, error)
	// CustomerTicket returns the newest ticket of the customer on the
	// source, in any conversation.
	CustomerTicket(source, customerID string) (Ticket, error)
	// OpenTickets returns tickets that are not resolved, oldest first, at
	// most limit; with teams given, only those whose Team is one of them.
	OpenTickets(limit int, teams ...string) ([]Ticket, error)
	// TicketsOpened returns tickets opened in [from, until) in the order
	// they were opened (OpenedAt, then ID), at most limit; those opened at
	// from itself only when their ID is above afterID. A listing pages on
	// by passing its last ticket's OpenedAt and ID.
	TicketsOpened(from, until time.Time, afterID int64, limit int) ([]Ticket, error)
	// CountOpened counts the tickets opened in [from, until), by source;
	// sources with none are left out.
	CountOpened(from, until time.Time) (map[string]int, error)
	// FirstOpened returns when source's first ticket was opened;
	// ENOTFOUND when it has none.
	FirstOpened(source string) (time.Time, error)
	// OpenCounts counts the tickets that are not resolved.
	OpenCounts() (OpenCounts, error)
	// UnansweredTickets returns tickets that are not resolved and that no
	// first answer has reached, oldest first, at most limit.
	UnansweredTickets(limit int) ([]Ticket, error)

	// AddFormerThread records that thread, a desk root ticket ticketID
	// had before it moved to another team's channel, is the ticket's no
	// longer. Recording the same thread again changes nothing.
	AddFormerThread(thread string, ticketID int64) error
	// FormerThread returns the ticket whose former root is thread;
	// ENOTFOUND when no ticket left it.
	FormerThread(thread string) (ticketID int64, err error)

	// AddSurge stores s and sets s.ID.
	AddSurge(s *Surge) error
	// EndSurge ends source's newest surge that has not ended: at ended,
	// with peak if it is higher than the surge's. A source without one is
	// no error.
	EndSurge(source string, ended time.Time, peak int) error
	// Surges returns the surges that overlap [from, until): started before
	// until, and not ended before from; oldest first.
	Surges(from, until time.Time) ([]Surge, error)

	// Storm mode (see storm.go).
	//
	// CurrentStorm returns the storm that has not ended, with the number
	// of complaints listed in it; ok is false when there is none.
	CurrentStorm() (s Storm, ok bool, err error)
	// StartStorm stores s and sets s.ID.
	StartStorm(s *Storm) error
	// EndStorm ends storm id at ended.
	EndStorm(id int64, ended time.Time) error
	// AddListing records l, a ticket opened in a storm with its root parked.
	AddListing(l Listing) error
	// Listing returns ticket's listing; ok is false when it has none.
	Listing(ticket int64) (l Listing, ok bool, err error)
	// ReleaseListing records that ticket's root was let go at released.
	ReleaseListing(ticket int64, released time.Time) error
	// Parked returns up to limit listings whose root is still parked:
	// tickets not resolved first, then the First ones, then oldest first.
	Parked(limit int) ([]Listing, error)
	// CountParked counts the listings whose root is still parked.
	CountParked() (int, error)
	// Unlisted returns up to limit listings that have no digest line yet:
	// the First ones first, then oldest first.
	Unlisted(limit int) ([]Listing, error)
	// PlaceListing puts ticket's listing on line of digest.
	PlaceListing(ticket, digest int64, line int) error
	// AddDigest stores g, numbered after its storm's other digests (it
	// sets g.ID and g.Number).
	AddDigest(g *Digest) error
	// SaveDigest records g's Ref, Shown and Tried.
	SaveDigest(g Digest) error
	// LastDigest returns storm's newest digest in channel, with its
	// number of lines; ok is false when there is none.
	LastDigest(storm int64, channel string) (g Digest, ok bool, err error)
	// Digests returns the digests created since then, with their number
	// of lines, oldest first.
	Digests(since time.Time) ([]Digest, error)
	// DigestListings returns the listings on digest's lines, in order.
	DigestListings(digest int64) ([]Listing, error)

	// AddMessage stores m and sets m.ID.
	AddMessage(m *Message) error
	// SaveMessage overwrites the stored message with m.ID.
	SaveMessage(m Message) error
	// Message returns message id.
	Message(id int64) (Message, error)
	// Messages returns the ticket's latest messages, oldest first, at most limit.
	Messages(ticketID int64, limit int) ([]Message, error)

	// MessageBySource returns the newest customer message whose id on
	// the source is ref, in the conversation: what a customer's edit names.
	MessageBySource(source, conversation, ref string) (Message, error)
	// MessageByDeskRef returns the message the desk shows as ref: what an
	// agent's edit or deletion names.
	MessageByDeskRef(ref string) (Message, error)

	// AddAttachment stores a and sets a.ID.
	AddAttachment(a *Attachment) error
	// SaveAttachment overwrites the stored attachment with a.ID.
	SaveAttachment(a Attachment) error
	// Attachment returns attachment id.
	Attachment(id int64) (Attachment, error)
	// Attachments returns the ticket's files, oldest first.
	Attachments(ticketID int64) ([]Attachment, error)
	// KeptAttachments returns files whose bytes are stored (Stored) and
	// whose DoneAt is before the given time, oldest DoneAt first, at most
	// limit: those past their retention.
	KeptAttachments(before time.Time, limit int) ([]Attachment, error)

	// SameReplies counts the tickets other than ticketID that got a reply
	// of exactly text since the given time: a reply sent to many customers
	// reads as a template.
	SameReplies(text string, since time.Time, ticketID int64) (int, error)

	// AddEvent records a change of a ticket.
	AddEvent(e Event) error

	// Enqueue stores d in the outbox and sets d.ID.
	Enqueue(d *Delivery) error
	// DueDestinations returns destinations that have a due delivery at
	// now, at most limit, the one whose oldest pending delivery is oldest
	// first. A delivery is due when its NextAt has come, nothing older of
	// its lane is pending, and its destination is not paused.
	//
	// A lane is a destination's deliveries of one ticket (TicketID);
	// deliveries of no ticket (TicketID 0: announcements, direct messages,
	// greetings) are one lane of their own. Order is kept within a lane:
	// a delivery that is backing off holds back the rest of its lane, not
	// the other lanes of its destination.
	DueDestinations(now time.Time, limit int) ([]string, error)
	// NextDelivery returns the oldest delivery of destination that is due
	// at now (see DueDestinations); ok is false when none is.
	NextDelivery(destination string, now time.Time) (d Delivery, ok bool, err error)
	// FreshDelivery returns the oldest due head of destination's lanes
	// that was never tried (Attempts 0); ok is false when none is. A store
	// may look among only its oldest few hundred lanes. After an outage of
	// the destination the courier tries such a delivery first: a ticket
	// that failed before may be the trouble itself, and a new one tells
	// whether the destination works again.
	FreshDelivery(destination string, now time.Time) (d Delivery, ok bool, err error)
	// PauseDestination makes no delivery of destination due before until,
	// whatever its lane: a network's rate limit (429 Retry-After) is about
	// the whole destination. It replaces an earlier pause of destination;
	// a pause may be forgotten once the destination has no delivery left.
	PauseDestination(destination string, until time.Time) error
	// FinishDelivery removes delivery id from the outbox: it was delivered,
	// or failed for good and was dealt with.
	FinishDelivery(id int64) error
	// HurryDeliveries makes the deliveries of job about message messageID
	// (none, one or several) due at the given time, unless they are due
	// sooner. A delivery that waits for another (a post of files for
	// their download) is sent as soon as the other is done.
	HurryDeliveries(job Job, messageID int64, at time.Time) error
	// FreshDeliveries counts the deliveries of destination never tried.
	FreshDeliveries(destination string) (int, error)
	// OldestDue returns when the oldest of the deliveries at the heads of
	// destination's due lanes was queued; ok is false when none is due.
	OldestDue(destination string, now time.Time) (queued time.Time, ok bool, err error)
	// FreshDue returns up to limit deliveries of job to destination due
	// at now and never tried, oldest first.
	FreshDue(destination string, job Job, now time.Time, limit int) ([]Delivery, error)
	// DueLanes counts the lanes of destination whose head is due at now,
	// up to limit: how many posts it is behind, as far as the caller asks.
	DueLanes(destination string, now time.Time, limit int) (int, error)
	// PostponeDelivery records a failed attempt and the time of the next.
	PostponeDelivery(id int64, attempts int, next time.Time, lastError string) error

	// LeaseDestination takes or renews the lease of destination for
	// holder until the given time, unless another holder's lease runs past
	// now; ok is false when it does, and then nothing changes. Couriers of
	// several processes on one store deliver a destination only under its
	// lease, so that one of them at a time does: its order holds, and a
	// holder that died or paused is taken over once its lease ran out.
	// DueDestinations does not look at leases: a courier lists what is
	// due and skips a destination whose lease it is refused.
	LeaseDestination(destination, holder string, now, until time.Time) (ok bool, err error)
	// RenewDestination extends holder's lease of destination to until,
	// when holder holds it still: not taken over, not released, though it
	// may have run out with nobody taking it. ok is false otherwise, and
	// nothing changes: a courier whose delivery is on its way learns that
	// another may have delivered it meanwhile.
	RenewDestination(destination, holder string, until time.Time) (ok bool, err error)
	// ReleaseDestination ends holder's lease of destination, so another
	// holder may take it at once. A lease that is another's, or none, is
	// no error and stays as it is.
	ReleaseDestination(destination, holder string) error

	// AddTimer stores t and sets t.ID.
	AddTimer(t *Timer) error
	// DueTimers returns timers due at now, earliest first, at most limit.
	DueTimers(now time.Time, limit int) ([]Timer, error)
	// DeleteTimer removes timer id: it fired. ENOTFOUND if it is gone.
	DeleteTimer(id int64) error
	// CancelTimers removes the ticket's timers of the given alarms (all of
	// them when none is given).
	CancelTimers(ticketID int64, alarms ...Alarm) error

	// AddRotaChange stores c and sets c.ID.
	AddRotaChange(c *RotaChange) error
	// RotaChanges returns the changes in force, oldest first.
	RotaChanges() ([]RotaChange, error)
	// UndoRotaChange takes back the newest change in force whose Team is
	// one of teams and returns it; ENOTFOUND when there is none.
	UndoRotaChange(at time.Time, teams ...string) (RotaChange, error)
}

// OpenCounts is how many tickets wait, for reports and gauges.
type OpenCounts struct {
	Open       int // not resolved
	Unclaimed  int // not resolved, and nobody has claimed them
	Unanswered int // not resolved, and no first answer reached the customer
}

// Opener lists tickets by when they opened: a Tx, or a reader that takes
// a transaction of its own for each page.
type Opener interface {
	TicketsOpened(from, until time.Time, afterID int64, limit int) ([]Ticket, error)
}

// EachOpened calls fn with every ticket opened in [from, until), in the
// order they opened, reading page tickets at a time, until fn returns
// false or ctx ends.
func EachOpened(ctx context.Context, o Opener, from, until time.Time, page int, fn func(Ticket) bool) error {
	after := int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ts, err := o.TicketsOpened(from, until, after, page)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if !fn(t) {
				return nil
			}
		}
		if len(ts) < page {
			return nil
		}
		// The cursor is inclusive of its instant and exclusive of its id.
		last := ts[len(ts)-1]
		from, after = last.OpenedAt, last.ID
	}
}
