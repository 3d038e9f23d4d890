package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CustomerPolicy is how caredesk speaks to customers.
type CustomerPolicy struct {
	// Voice words what caredesk says; nil says nothing but the fixed
	// greeting and rating texts of the policy.
	Voice Voice
	// Ack says which sources' private conversations get an acknowledgement
	// of a new complaint; nil means Telegram and Discord.
	Ack []string
	// AckQuiet is how long after a customer's previous ticket opened a new
	// one is not acknowledged again.
	AckQuiet time.Duration
	// Sign ends the owner's replies with their first name ("— Ayşe").
	Sign bool
	// SameReplies is how many other customers may get the very same reply
	// in a day before its author is told it reads as a template; 0: never.
	SameReplies int
}

// DefaultCustomerPolicy acknowledges private complaints on Telegram and
// Discord once an hour at most, signs replies, and hints after the same
// reply went to three other customers in a day.
func DefaultCustomerPolicy() CustomerPolicy {
	return CustomerPolicy{AckQuiet: time.Hour, Sign: true, SameReplies: 3}
}

func (p CustomerPolicy) acknowledges(t Ticket) bool {
	if !t.Private || p.Voice == nil {
		return false
	}
	if p.Ack == nil {
		return t.Source == "telegram" || t.Source == "discord"
	}
	for _, s := range p.Ack {
		if s == t.Source {
			return true
		}
	}
	return false
}

// speak queues phrase p for t's customer, worded when it is delivered
// (the agent's name, the deadline as it is then). agent is who {agent}
// names; "" for none.
func (b *Bot) speak(tx Tx, t Ticket, p Phrase, agent string, now time.Time) error {
	if b.policy.Customer.Voice == nil || t.ownWordsHeld() {
		return nil
	}
	return tx.Enqueue(&Delivery{Destination: sourceQueue(t.Source, t.Conversation), Job: SendNotice, TicketID: t.ID,
		Agent: agent, Text: string(p), NextAt: now, CreatedAt: now})
}

// acknowledge tells the customer of a new ticket that a person will
// answer, and by when: once per ticket, and not again for a customer
// whose previous ticket opened within the quiet time.
func (b *Bot) acknowledge(tx Tx, t Ticket, previous *Ticket, now time.Time) error {
	p := b.policy.Customer
	if !p.acknowledges(t) || previous != nil && now.Sub(previous.OpenedAt) < p.AckQuiet {
		return nil
	}
	phrase := SayAck
	if !b.teamOf(t).Calendar.Open(now) {
		phrase = SayAckClosed
	}
	return b.speak(tx, t, phrase, "", now)
}

// greeting is the answer to a conversation opener, in the customer's
// language.
func (b *Bot) greeting(lang string) string {
	if v := b.policy.Customer.Voice; v != nil {
		return v.Say(lang, SayGreeting, Words{})
	}
	return b.policy.Greeting
}

// hint tells the author of a reply, privately, when it reads as a
// template: a stock phrase, or the same text sent to several other
// customers today. It never blocks or changes the reply.
func (b *Bot) hint(tx Tx, a Action, t Ticket, text string, now time.Time) error {
	p := b.policy.Customer
	if p.Voice == nil || strings.TrimSpace(text) == "" {
		return nil // files alone have no wording to hint about
	}
	var why string
	if c := p.Voice.Cliche(t.Language, text); c != "" {
		why = fmt.Sprintf("💡 Your reply to #%d says “%s”. It was sent as you wrote it; next time, try your own words — customers answer a person better than a template.", t.ID, Quote(c))
	} else if p.SameReplies > 0 {
		zone := b.policy.Calendar.Location
		if zone == nil {
			zone = time.UTC
		}
		local := now.In(zone)
		midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
		n, err := tx.SameReplies(text, midnight, t.ID)
		if err != nil {
			return err
		}
		if n >= p.SameReplies {
			why = fmt.Sprintf("💡 You sent the same words to %d other customers today. It was sent as you wrote it; a line about this customer's own case shows them a person read it.", n)
		}
	}
	if why == "" {
		return nil
	}
	return tx.Enqueue(b.whisper(t.ID, a.Agent.ID, why, now))
}

// call asks the customer for a number to call them on, or records a call
// that was made (done).
func (b *Bot) call(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	if err := b.ownerOnly(t, a.Agent, "call the customer"); err != nil {
		return "", err
	}
	if a.Verb == DoCallDone {
		detail := strings.TrimSpace(a.Text)
		if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "called", Actor: a.Agent.ID, Detail: detail, At: now}); err != nil {
			return "", err
		}
		text := fmt.Sprintf("📞 %s called the customer.", Mention(a.Agent))
		if detail != "" {
			text = fmt.Sprintf("📞 %s called the customer: %s", Mention(a.Agent), detail)
		}
		return fmt.Sprintf("Recorded the call on #%d.", t.ID), b.notice(tx, t, text, now)
	}
	switch {
	case t.Blocked:
		return "", Errorf(ECONFLICT, "The customer of #%d blocked the bot, so they cannot be asked for a number. Reach them another way.", t.ID)
	case !t.Private:
		return "", Errorf(ECONFLICT, "#%d is a public conversation: asking for a phone number there would ask them to post it for everyone. Move it to private first: /desk private %d.", t.ID, t.ID)
	case b.policy.Customer.Voice == nil:
		return "", Errorf(ECONFLICT, "caredesk has no words for customers set up, so it cannot ask for a number.")
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "call_asked", Actor: a.Agent.ID, At: now}); err != nil {
		return "", err
	}
	if err := b.speak(tx, t, SayCall, a.Agent.ID, now); err != nil {
		return "", err
	}
	return fmt.Sprintf("Asked the customer of #%d for a number to call; it will appear in the thread, for the team only.", t.ID), nil
}

// private moves a public conversation to a private one.
func (b *Bot) private(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	if err := b.ownerOnly(t, a.Agent, "move the conversation"); err != nil {
		return "", err
	}
	switch {
	case t.Private:
		return "", Errorf(ECONFLICT, "#%d is already a private conversation.", t.ID)
	case t.Blocked:
		return "", Errorf(ECONFLICT, "The customer of #%d blocked the bot.", t.ID)
	case t.Source == "telegram":
		return "", Errorf(ECONFLICT, "#%d is in a Telegram group, and a Telegram bot cannot start a private chat. Ask the customer there to write to the bot privately.", t.ID)
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "private", Actor: a.Agent.ID, At: now}); err != nil {
		return "", err
	}
	if err := tx.Enqueue(&Delivery{Destination: sourceQueue(t.Source, t.Conversation), Job: MovePrivate, TicketID: t.ID,
		Agent: a.Agent.ID, NextAt: now, CreatedAt: now}); err != nil {
		return "", err
	}
	return fmt.Sprintf("Moving #%d to a private conversation; the thread says when it is there.", t.ID), nil
}

// ownerOnly refuses an action on the customer's conversation to anyone but
// the owner; an open ticket is claimed by whoever acts, as with a reply.
func (b *Bot) ownerOnly(t Ticket, agent Agent, what string) error {
	switch {
	case t.State == Resolved:
		return Errorf(ECONFLICT, "#%d is resolved. /desk claim %d reopens it.", t.ID, t.ID)
	case t.State == Claimed && t.Owner.ID != agent.ID:
		return Errorf(EFORBIDDEN, "#%d belongs to %s; only the owner can %s.", t.ID, Mention(t.Owner), what)
	case t.State == Open:
		return Errorf(ECONFLICT, "Claim #%d first (/desk claim %d): the one who owns it can %s.", t.ID, t.ID, what)
	}
	return nil
}

// contact files a number the customer shared: in the thread for the team
// only, and on the ticket. A card of someone else is not the customer's
// consent to be called, and is left out with a note.
func (b *Bot) contact(tx Tx, in Inbound, t Ticket, now time.Time) error {
	c := in.Contact
	// Only a card that says it is the customer's own (Telegram's share
	// button does) is their consent to be called; one from their address
	// book names no user or another one.
	if c.UserID != in.Customer.ID {
		return b.notice(tx, t, fmt.Sprintf("The customer shared someone else's contact card (%s); it was left out. Ask them for their own number.", Quote(strings.TrimSpace(c.FirstName+" "+c.LastName))), now)
	}
	t.Phone, t.UpdatedAt = strings.TrimSpace(c.Phone), now
	if err := tx.SaveTicket(t); err != nil {
		return err
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "phone_shared", At: now}); err != nil {
		return err
	}
	who := "Nobody owns it yet."
	if t.Owner.ID != "" {
		who = Mention(t.Owner) + ", you can call them."
	}
	if err := b.notice(tx, t, fmt.Sprintf("📞 The customer shared their number: %s (for the team only). %s Then: /desk call done %d what you agreed.", Quote(t.Phone), who, t.ID), now); err != nil {
		return err
	}
	if err := tx.Enqueue(b.desk(UpdateTicket, t.ID, 0, now)); err != nil {
		return err
	}
	if t.Owner.ID == "" {
		return nil // nobody to promise a call from
	}
	return b.speak(tx, t, SayCallThanks, t.Owner.ID, now)
}

func (b *Bot) reachable(ctx context.Context, r Reachability) error {
	now := b.clock.Now().UTC()
	err := b.store.Update(ctx, func(tx Tx) error {
		fresh, err := firstSights(tx, now, keyIf(r.EventID, "reach:"+r.Source+":"+r.EventID))
		if err != nil || !fresh {
			return err
		}
		t, err := tx.LatestTicket(r.Source, r.Conversation, r.CustomerID)
		if ErrorCode(err) == ENOTFOUND {
			return nil // no ticket to tell about
		} else if err != nil {
			return err
		}
		if t.Blocked == r.Blocked {
			return nil
		}
		t.Blocked, t.UpdatedAt = r.Blocked, now
		if err := tx.SaveTicket(t); err != nil {
			return err
		}
		kind, text := "unblocked", fmt.Sprintf("✅ The customer started the bot on %s again: replies reach them.", NetworkOf(t))
		if r.Blocked {
			kind = "blocked"
			text = fmt.Sprintf("🚫 The customer blocked the bot on %s: replies cannot reach them until they start it again. Reach them another way if it matters.", NetworkOf(t))
			if t.Owner.ID != "" {
				text += " " + Mention(t.Owner)
			}
		}
		if err := tx.AddEvent(Event{TicketID: t.ID, Kind: kind, At: now}); err != nil {
			return err
		}
		if err := b.notice(tx, t, text, now); err != nil {
			return err
		}
		return tx.Enqueue(b.desk(UpdateTicket, t.ID, 0, now))
	})
	if err != nil {
		return fmt.Errorf("%s: customer %s blocked=%v: %w", r.Source, r.CustomerID, r.Blocked, err)
	}
	b.wake()
	return nil
}

// Speech is how the courier words caredesk's messages to customers.
type Speech struct {
	Voice Voice
	Zone  *time.Location // the team's clock: deadlines for customers whose zone is unknown
	Sign  bool           // agents' replies end with their first name
}

// CourierSpeech sets how the courier words messages to customers.
func CourierSpeech(s Speech) CourierOption { return func(k *Courier) { k.speech = s } }

// errBlocked fails a delivery to a customer who blocked the bot, at once.
var errBlocked = errors.New("the customer blocked the bot, so nothing reaches them until they start it again")

// words are what a phrase for t's customer fills in.
func (c *Courier) words(ctx context.Context, t Ticket, agent string) Words {
	zone := c.speech.Zone
	if z, err := time.LoadLocation(t.TimeZone); t.TimeZone != "" && err == nil {
		zone = z
	}
	if zone == nil {
		zone = time.UTC
	}
	name := c.firstName(ctx, agent)
	if name == "" && agent != "" && agent == t.Owner.ID {
		name = firstWord(t.Owner.Name)
	}
	return Words{Name: firstWord(t.Customer.Name), Agent: name, Due: t.Deadline, Zone: zone, Now: c.clock.Now()}
}

// firstName is how the customer knows an agent: the first name from the
// desk's profile, or "" when the desk does not know it.
func (c *Courier) firstName(ctx context.Context, agent string) string {
	if agent == "" {
		return ""
	}
	if p, ok := c.desk.(Profiles); ok {
		if name, err := p.FirstName(ctx, agent); err == nil {
			return name
		}
	}
	return ""
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// sendNotice delivers caredesk's own words to a ticket's customer.
func (c *Courier) sendNotice(ctx context.Context, d Delivery, t Ticket) error {
	if c.speech.Voice == nil || t.Blocked {
		return c.finish(ctx, d, nil) // nothing to say, or nobody to hear it
	}
	p := Phrase(d.Text)
	w := c.words(ctx, t, d.Agent)
	text := c.speech.Voice.Say(t.Language, p, w)
	if text == "" {
		return c.finish(ctx, d, nil)
	}
	purpose := ForNotice
	switch p {
	case SayCall:
		purpose = ForCall
	case SayPrivate:
		purpose = ForPrivate
	}
	src, err := c.source(t.Source)
	if err != nil {
		return err
	}
	if _, err := src.Send(ctx, Outgoing{Ticket: t, Conversation: t.Conversation, ReplyTo: t.LastInbound, Text: text, Purpose: purpose, AgentName: w.Agent, Key: d.Key()}); err != nil {
		return err
	}
	return c.finish(ctx, d, nil)
}

// movePrivate takes a public conversation private: on a source that can
// open one (Discord's DM) the ticket moves there, with a word in public
// and a hello in private; other sources get the invitation (a bridge
// posts it its network's way).
func (c *Courier) movePrivate(ctx context.Context, d Delivery, t Ticket) error {
	src, err := c.source(t.Source)
	if err != nil {
		return err
	}
	opener, ok := src.(PrivateOpener)
	if !ok {
		return c.sendNotice(ctx, Delivery{ID: d.ID, Destination: d.Destination, Job: SendNotice, TicketID: t.ID, Agent: d.Agent, Text: string(SayPrivate)}, t)
	}
	conversation, err := opener.OpenPrivate(ctx, t)
	if err != nil {
		return err
	}
	// In public first, under the customer's post, while the ticket still
	// points there; the move is recorded only once that is said.
	if c.speech.Voice != nil {
		w := c.words(ctx, t, d.Agent)
		text := c.speech.Voice.Say(t.Language, SayPrivate, w)
		if _, err := src.Send(ctx, Outgoing{Ticket: t, Conversation: t.Conversation, ReplyTo: t.LastInbound, Text: text, Purpose: ForPrivate, AgentName: w.Agent, Key: d.Key()}); err != nil {
			return err
		}
	}
	now := c.clock.Now().UTC()
	return c.finish(ctx, d, func(tx Tx) error {
		t, err := tx.Ticket(t.ID)
		if err != nil {
			return err
		}
		// The customer's last post is in the public channel: a reply in
		// private cannot quote it.
		t.Conversation, t.Private, t.LastInbound, t.UpdatedAt = conversation, true, "", now
		if err := tx.SaveTicket(t); err != nil {
			return err
		}
		if err := notice(tx, t.ID, fmt.Sprintf("🔒 #%d goes on in private: replies go to the customer's direct messages from now on.", t.ID), now); err != nil {
			return err
		}
		for _, q := range []*Delivery{
			{Destination: deskQueue, Job: UpdateTicket, TicketID: t.ID},
			{Destination: sourceQueue(t.Source, conversation), Job: SendNotice, TicketID: t.ID, Agent: d.Agent, Text: string(SayPrivateHello)},
		} {
			q.NextAt, q.CreatedAt = now, now
			if err := tx.Enqueue(q); err != nil {
				return err
			}
		}
		return nil
	})
}
