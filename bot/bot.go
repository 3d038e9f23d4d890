package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// Policy holds the promises caredesk keeps, with their defaults.
type Policy struct {
	// SLA is the promise to a source's customers.
	SLA func(source string) SLA
	// Calendar says when the team is at work; out of it the rota answers.
	Calendar Calendar
	// Rota is who is on duty out of hours, as configured; changes made
	// from the desk are stored and laid over it.
	Rota Rota
	// Escalation says who is pinged when a ticket waits.
	Escalation Escalation
	// ReopenWindow is how long after resolving a ticket a new message from
	// the same customer reopens it rather than opening a new one.
	ReopenWindow time.Duration
	// Greeting answers a conversation opener such as Telegram's /start.
	Greeting string
	// HighReach is the follower count from which a complaint is urgent
	// whatever its wording: /desk list shows such tickets first. 0: never.
	HighReach int
	// Rating is when the customer is asked how it went.
	Rating RatingPolicy
	// Digest is when the desk posts its figures by itself.
	Digest DigestPolicy
	// Customer is how caredesk speaks to customers.
	Customer CustomerPolicy
	// Storm is when new complaints are listed in digests instead of a
	// root each (storm mode); the zero policy, DefaultPolicy's, never is:
	// only a desk that is a Digester can list them.
	Storm StormPolicy
	// Teams split the desk: each new complaint goes to the team Route
	// names (DefaultTeam when it names none), in that team's channel,
	// under its hours, SLA, escalation and rota. Without teams, the fields
	// above are the one team's.
	Teams       []Team
	DefaultTeam string
	Route       Router
}

// DefaultPolicy is a one-hour first response and a seven-day reopen window.
func DefaultPolicy() Policy {
	return Policy{
		SLA:          func(string) SLA { return SLA{FirstResponse: time.Hour} },
		Calendar:     DefaultCalendar(time.UTC),
		Rota:         Rota{Location: time.UTC},
		Escalation:   DefaultEscalation(),
		ReopenWindow: 7 * 24 * time.Hour,
		Greeting:     "Hi! Tell us what happened and a person from our team will answer you here.",
		HighReach:    10_000,
		Rating:       DefaultRatingPolicy(),
		Digest:       DefaultDigestPolicy(),
		Customer:     DefaultCustomerPolicy(),
	}
}

// Bot applies the rules of a ticket's life. It changes the store, and queues
// what must leave the process in the outbox; a Courier delivers it.
type Bot struct {
	store  Store
	clock  Clock
	policy Policy
	log    *slog.Logger
	wake   func() // tells the courier there is new work
	// room is how many roots the drain keeps queued in a storm (see
	// drain); it grows while the desk posts them all between two ticks.
	room atomic.Int64
}

// Option configures a Bot.
type Option func(*Bot)

// WithClock sets the clock (tests use a fake one).
func WithClock(c Clock) Option { return func(b *Bot) { b.clock = c } }

// WithPolicy sets SLA, reopen window and greeting.
func WithPolicy(p Policy) Option { return func(b *Bot) { b.policy = p } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(b *Bot) { b.log = l } }

// WithWake sets what to call after a change queued deliveries, usually
// Courier.Wake, so deliveries leave at once instead of at the next poll.
func WithWake(f func()) Option { return func(b *Bot) { b.wake = f } }

// New returns a Bot that keeps its state in s.
func New(s Store, opts ...Option) *Bot {
	b := &Bot{store: s, clock: SystemClock, policy: DefaultPolicy(), log: slog.Default(), wake: func() {}}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Desk and aside are the outbox's queues for the desk: ticket roots and
// threads keep their order in one queue; whispers and reactions go in
// another so they never wait behind a storm of new tickets.
const (
	deskQueue  = "desk"
	asideQueue = "desk:aside"
)

func sourceQueue(source, conversation string) string { return source + ":" + conversation }

// Receive takes one message from a customer: it opens a ticket, adds to the
// customer's open one, or reopens a recently resolved one, and queues what
// the desk must show. When Receive returns nil the message is stored and the
// source may acknowledge it to its network; a redelivered message (same
// EventID or MessageID) changes nothing. An *Error means the message can
// never be filed, so the source should acknowledge and drop it rather than
// retry; any other error is worth retrying.
func (b *Bot) Receive(ctx context.Context, in Inbound) error {
	_, err := b.Received(ctx, in)
	return err
}

// Received is Receive that also says whether the message was new: false
// for one stored before (a network's redelivery, a Discord session's
// catch-up), which changes nothing and is not to be counted again.
func (b *Bot) Received(ctx context.Context, in Inbound) (fresh bool, err error) {
	if in.Source == "" || in.Conversation == "" || in.Customer.ID == "" {
		return false, Errorf(EINVALID, "A message from %q without source, conversation or customer id cannot be filed.", in.Source)
	}
	now := b.clock.Now().UTC()
	if in.At.IsZero() {
		in.At = now
	}
	for _, a := range in.Attachments {
		in.Text = strings.TrimSpace(in.Text + "\n📎 " + a)
	}
	msgKey := keyIf(in.MessageID, "in:"+in.Source+":msg:"+in.Conversation+":"+in.MessageID)
	if in.Edit {
		msgKey = "" // an edit names a message already seen
	}
	err = b.store.Update(ctx, func(tx Tx) (err error) {
		fresh, err = firstSights(tx, now, keyIf(in.EventID, "in:"+in.Source+":event:"+in.EventID), msgKey)
		if err != nil || !fresh {
			return err
		}
		if in.PostKey != "" && !in.Edit {
			// The same post heard by another listener opens no second
			// ticket; it may take over the first one (see adopt).
			first, err := tx.FirstSight("in:post:"+in.PostKey, now)
			if err != nil || !first {
				fresh = false
				if err == nil {
					// Taken over, the post counts as this source's.
					fresh, err = b.adopt(tx, in, now)
				}
				return err
			}
		}
		if in.Edit {
			return b.customerEdit(tx, in, now)
		}
		if in.Hello {
			return tx.Enqueue(&Delivery{
				Destination: sourceQueue(in.Source, in.Conversation), Job: SendGreeting,
				Source: in.Source, Conversation: in.Conversation, Text: b.greeting(in.Language),
				NextAt: now, CreatedAt: now,
			})
		}
		return b.file(tx, in, now)
	})
	if err != nil {
		return false, fmt.Errorf("receive %s message from %s: %w", in.Source, in.Customer.ID, err)
	}
	b.wake()
	return fresh, nil
}

// file adds the message to the right ticket, creating or reopening it.
func (b *Bot) file(tx Tx, in Inbound, now time.Time) error {
	t, err := tx.LatestTicket(in.Source, in.Conversation, in.Customer.ID)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		if in.Contact != nil {
			return nil // a number with no ticket to go with: nobody asked
		}
		// The customer's newest ticket on the source, in any conversation:
		// a bridge's customer writes a new post for each complaint.
		previous, err := tx.CustomerTicket(in.Source, in.Customer.ID)
		if ErrorCode(err) == ENOTFOUND {
			return b.open(tx, in, nil, now)
		} else if err != nil {
			return err
		}
		return b.open(tx, in, &previous, now)
	case err == nil && t.State == Resolved && now.Sub(t.ResolvedAt) > b.policy.ReopenWindow && in.Contact == nil:
		return b.open(tx, in, &t, now)
	case err != nil:
		return err
	}
	if in.Contact != nil {
		return b.contact(tx, in, t, now)
	}
	m := Message{TicketID: t.ID, Kind: FromCustomer, Author: in.Customer.ID, AuthorName: in.Customer.Name, Text: in.Text, SourceRef: in.MessageID, At: in.At}
	if ok, err := b.comment(tx, t, &m, now); err != nil || ok {
		if err != nil {
			return err
		}
		return b.attach(tx, t, m, in.Files, now) // a photo of what went wrong
	}
	if err := tx.AddMessage(&m); err != nil {
		return err
	}
	if err := tx.Enqueue(b.desk(PostMessage, t.ID, m.ID, now)); err != nil {
		return err
	}
	if err := b.attach(tx, t, m, in.Files, now); err != nil {
		return err
	}
	if t.State == Resolved {
		t.State, t.ResolvedAt, t.Reopens = Open, time.Time{}, t.Reopens+1
		if t.Owner.ID != "" {
			t.State = Claimed // the same person picks up where they left off
		}
		if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "reopened", At: now}); err != nil {
			return err
		}
		notice := "Reopened: the customer wrote again."
		if t.Owner.ID != "" {
			notice = "Reopened: the customer wrote again. " + Mention(t.Owner) + ", it is yours again."
		}
		if err := b.notice(tx, t, notice, now); err != nil {
			return err
		}
		if err := tx.Enqueue(b.desk(UpdateTicket, t.ID, 0, now)); err != nil {
			return err
		}
	}
	if in.MessageID != "" {
		t.LastInbound = in.MessageID
	}
	if in.Language != "" {
		t.Language = in.Language // they may switch; answer in the latest
	}
	if in.Private && !t.Private {
		// A bridge's customer went on in private (after move_private).
		t.Private = true
	}
	if in.TimeZone != "" {
		t.TimeZone = in.TimeZone
	}
	t.Customer = in.Customer
	t.UpdatedAt = now
	if err := tx.SaveTicket(t); err != nil {
		return err
	}
	return relist(tx, t.ID, now) // a storm's digest line says they wrote again
}

func (b *Bot) open(tx Tx, in Inbound, previous *Ticket, now time.Time) error {
	t := Ticket{
		Source: in.Source, Conversation: in.Conversation, Customer: in.Customer,
		Network: in.Network, PostURL: in.PostURL, Language: in.Language,
		Text: in.Text, State: Open, LastInbound: in.MessageID,
		OpenedAt: now, UpdatedAt: now, Private: in.Private, TimeZone: in.TimeZone,
	}
	b.route(&t)
	team := b.teamOf(t)
	sla := team.SLA(in.Source)
	t.Deadline = after(team, now, sla.FirstResponse, sla.BusinessHours)
	if err := tx.CreateTicket(&t); err != nil {
		return err
	}
	if err := b.setTimers(tx, t, sla, now); err != nil {
		return err
	}
	// The first message is what the root shows, so it is stored but not
	// posted into the thread a second time.
	m := Message{TicketID: t.ID, Kind: FromCustomer, Author: in.Customer.ID, AuthorName: in.Customer.Name, Text: in.Text, SourceRef: in.MessageID, DeskRef: rootPending, At: in.At}
	if err := tx.AddMessage(&m); err != nil {
		return err
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "opened", Detail: in.Source, At: now}); err != nil {
		return err
	}
	// The root shows the first message: its DeskRef becomes the root's, so
	// that an edit of it re-renders the root.
	root := b.desk(PostTicket, t.ID, m.ID, now)
	parked, err := b.park(tx, t, m, previous, now)
	if err != nil {
		return err
	}
	if parked {
		root.NextAt = parkedAt
	}
	if err := tx.Enqueue(root); err != nil {
		return err
	}
	if err := b.attach(tx, t, m, in.Files, now); err != nil {
		return err
	}
	if err := b.acknowledge(tx, t, previous, now); err != nil {
		return err
	}
	// After the root, so that the page lands in the ticket's thread. A team
	// without a rota has no one to page; its channel is the audience.
	if !team.Calendar.Open(now) && len(team.Rota.Rotations) > 0 {
		return b.pageOnCall(tx, t, now)
	}
	return nil
}

// notice stores a line caredesk writes into the ticket's thread and queues it.
func (b *Bot) notice(tx Tx, t Ticket, text string, now time.Time) error {
	return notice(tx, t.ID, text, now)
}

// notice is (*Bot).notice for the courier, which reports in the thread
// what happened to a delivery.
func notice(tx Tx, ticket int64, text string, now time.Time) error {
	m := Message{TicketID: ticket, Kind: Notice, Text: text, At: now}
	if err := tx.AddMessage(&m); err != nil {
		return err
	}
	return tx.Enqueue(&Delivery{Destination: deskQueue, Job: PostMessage, TicketID: ticket, MessageID: m.ID, NextAt: now, CreatedAt: now})
}

func (b *Bot) desk(job Job, ticket, message int64, now time.Time) *Delivery {
	return &Delivery{Destination: deskQueue, Job: job, TicketID: ticket, MessageID: message, NextAt: now, CreatedAt: now}
}

func (b *Bot) whisper(ticket int64, agent, text string, now time.Time) *Delivery {
	return &Delivery{Destination: asideQueue, Job: Whisper, TicketID: ticket, Agent: agent, Text: text, NextAt: now, CreatedAt: now}
}

func keyIf(id, key string) string {
	if strings.TrimSpace(id) == "" {
		return ""
	}
	return key
}

// firstSights records every non-empty key and reports whether all were new.
// Every key is recorded even when one was seen, so that a message that comes
// back under a new event id is still recognised next time.
func firstSights(tx Tx, now time.Time, keys ...string) (bool, error) {
	fresh := true
	for _, k := range keys {
		if k == "" {
			continue
		}
		ok, err := tx.FirstSight(k, now)
		if err != nil {
			return false, err
		}
		fresh = fresh && ok
	}
	return fresh, nil
}
