package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Act carries out what an agent did and returns the sentence to show them.
// Errors of kind *Error are refusals written for the agent ("#12 is already
// claimed by …"); anything else is internal. An action whose EventID was seen
// before changes nothing and says nothing.
//
// With a.Whisper, the answer or refusal is queued as a whisper to the agent
// instead, because the desk had no way to answer the action directly.
func (b *Bot) Act(ctx context.Context, a Action) (Result, error) {
	now := b.clock.Now().UTC()
	var res Result
	var ticket int64
	var place string // where a refusal is whispered, when not in the ticket's thread
	err := b.store.Update(ctx, func(tx Tx) error {
		res, ticket, place = Result{}, 0, ""
		msgKey := keyIf(a.Ref, "desk:msg:"+a.Ref)
		if a.Verb == DoEdit || a.Verb == DoDelete {
			msgKey = "" // they name a message already seen
		}
		fresh, err := firstSights(tx, now, keyIf(a.EventID, "desk:event:"+a.EventID), msgKey)
		if err != nil || !fresh {
			return err
		}
		switch a.Verb {
		case DoList:
			res.Text, err = b.list(tx, a, now)
			return err
		case DoSLA, DoRota, DoRotaWeek, DoOverride, DoSwap, DoUndo:
			res.Text, err = b.duty(tx, a, now)
			return err
		}
		t, err := b.find(tx, a)
		if err != nil {
			if t.ID != 0 { // the thread it left: the agent is told there
				ticket, place = t.ID, a.Channel+" "+a.Thread
			}
			return err
		}
		ticket = t.ID
		res.Text, err = b.apply(tx, a, t, now)
		if err == nil {
			err = relist(tx, t.ID, now)
		}
		if err == nil && a.Whisper && res.Text != "" {
			err = tx.Enqueue(b.whisper(t.ID, a.Agent.ID, res.Text, now))
		}
		return err
	})
	var refusal *Error
	switch {
	case ErrorCode(err) == ENOTFOUND && a.Ticket == 0 && a.Whisper:
		// An emoji or a message on something that is no ticket: agents talk
		// in the desk channel too, and that is none of caredesk's business.
		return Result{}, nil
	case errors.As(err, &refusal) && a.Whisper:
		// The refusal rolled the action back; the agent is still told why,
		// once, even when the desk delivers the event again.
		if werr := b.store.Update(ctx, func(tx Tx) error {
			fresh, err := firstSights(tx, now, keyIf(a.EventID, "desk:event:"+a.EventID))
			if err != nil || !fresh {
				return err
			}
			d := b.whisper(ticket, a.Agent.ID, refusal.Message, now)
			d.Conversation = place
			return tx.Enqueue(d)
		}); werr != nil {
			return Result{}, fmt.Errorf("%s: whisper %q: %w", a.Verb, refusal.Message, werr)
		}
		b.wake()
		return Result{}, nil
	case err != nil:
		return Result{}, err
	}
	b.wake()
	if a.Whisper {
		return Result{}, nil
	}
	return res, nil
}

func (b *Bot) find(tx Tx, a Action) (Ticket, error) {
	if a.Ticket != 0 {
		t, err := tx.Ticket(a.Ticket)
		if ErrorCode(err) == ENOTFOUND {
			return t, Errorf(ENOTFOUND, "There is no ticket #%d. /desk list shows the open ones.", a.Ticket)
		}
		return t, err
	}
	if a.Thread == "" {
		return Ticket{}, Errorf(EINVALID, "Which ticket? Add its number, like /desk %s 12.", a.Verb)
	}
	t, err := tx.TicketByThread(a.Thread)
	if ErrorCode(err) == ENOTFOUND {
		return b.moved(tx, a)
	}
	return t, err
}

// moved answers an action in a thread a ticket left for another team's
// channel. An agent's edit or deletion of their own message there still
// reaches the customer's copy; anything else is refused with where the
// ticket went, so that an answer written there is not dropped in silence.
func (b *Bot) moved(tx Tx, a Action) (Ticket, error) {
	id, err := tx.FormerThread(a.Thread)
	if ErrorCode(err) == ENOTFOUND {
		return Ticket{}, Errorf(ENOTFOUND, "That message is not a ticket. Use the ticket's number, like /desk %s 12.", a.Verb)
	} else if err != nil {
		return Ticket{}, err
	}
	t, err := tx.Ticket(id)
	if err != nil || a.Verb == DoEdit || a.Verb == DoDelete {
		return t, err
	}
	return t, Errorf(ECONFLICT, "#%d moved to %s: this thread no longer reaches the customer. Write in its thread in %s (nothing was sent).", t.ID, b.teamOf(t).Name, channelOf(t))
}

func (b *Bot) apply(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	switch a.Verb {
	case DoClaim:
		return b.claim(tx, a.Agent, t, now)
	case DoReply:
		return b.reply(tx, a, t, now)
	case DoNote:
		return b.note(tx, a, t, now)
	case DoSay:
		return b.say(tx, a, t, now)
	case DoTransfer:
		return b.transfer(tx, a, t, now)
	case DoResolve:
		return b.resolve(tx, a, t, now)
	case DoShow:
		return b.show(tx, t, now)
	case DoCall, DoCallDone:
		return b.call(tx, a, t, now)
	case DoPrivate:
		return b.private(tx, a, t, now)
	case DoEdit:
		return b.edit(tx, a, t, now)
	case DoDelete:
		return b.unsend(tx, a, t, now)
	case DoMove:
		return b.move(tx, a, t, now)
	}
	return "", Errorf(EINVALID, "I don't know how to %q. Try /desk help.", a.Verb)
}

func (b *Bot) claim(tx Tx, agent Agent, t Ticket, now time.Time) (string, error) {
	switch {
	case t.State == Claimed && t.Owner.ID == agent.ID:
		return fmt.Sprintf("You already own #%d.", t.ID), nil
	case t.State == Claimed:
		return "", Errorf(ECONFLICT, "#%d is already claimed by %s — ask them or use /desk transfer %d.", t.ID, Mention(t.Owner), t.ID)
	}
	kind := "claimed"
	if t.State == Resolved {
		kind = "reopened"
		t.ResolvedAt = time.Time{}
		t.Reopens++
	}
	t.State, t.Owner, t.UpdatedAt = Claimed, agent, now
	if err := b.change(tx, t, Event{Kind: kind, Actor: agent.ID}, now); err != nil {
		return "", err
	}
	return fmt.Sprintf("You own #%d now. What you write in its thread goes to %s on %s; start with \"note:\" to keep it inside the team.",
		t.ID, t.Customer.displayName(), NetworkOf(t)), nil
}

// change saves t, records the event, disarms the timers that no longer
// apply, and re-renders the root.
func (b *Bot) change(tx Tx, t Ticket, e Event, now time.Time) error {
	if err := tx.SaveTicket(t); err != nil {
		return err
	}
	switch t.State {
	case Claimed:
		if err := tx.CancelTimers(t.ID, EscalatePrimary, EscalateBackup); err != nil {
			return err
		}
	case Resolved:
		if err := tx.CancelTimers(t.ID); err != nil {
			return err
		}
	}
	e.TicketID, e.At = t.ID, now
	if err := tx.AddEvent(e); err != nil {
		return err
	}
	return tx.Enqueue(b.desk(UpdateTicket, t.ID, 0, now))
}

// reply sends the owner's text to the customer. A reply to an unclaimed
// ticket claims it: answering quickly matters more than the ceremony, and
// there is still one owner.
func (b *Bot) reply(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	if strings.TrimSpace(a.Text) == "" && len(a.Files) == 0 {
		return "", Errorf(EINVALID, "Write the reply after the number: /desk reply %d <text>.", t.ID)
	}
	if !t.Answerable() {
		return "", unanswerable(t)
	}
	switch {
	case t.State == Resolved:
		return "", Errorf(ECONFLICT, "#%d is resolved. /desk claim %d reopens it, then reply.", t.ID, t.ID)
	case t.State == Claimed && t.Owner.ID != a.Agent.ID:
		return "", Errorf(EFORBIDDEN, "#%d belongs to %s; only the owner answers the customer. Use /desk note %d to help them.", t.ID, Mention(t.Owner), t.ID)
	}
	// Asked only of a reply that would go: a refused one must not use up
	// the agent's one warning.
	if ask, ok, err := confirmPublic(tx, a, t, now); !ok || err != nil {
		return ask, err
	}
	if t.State == Open {
		t.State, t.Owner, t.UpdatedAt = Claimed, a.Agent, now
		if err := b.change(tx, t, Event{Kind: "claimed", Actor: a.Agent.ID}, now); err != nil {
			return "", err
		}
	}
	m := Message{TicketID: t.ID, Kind: Reply, Author: a.Agent.ID, AuthorName: a.Agent.Name, Text: a.Text, DeskRef: a.Ref, Status: Pending, At: now}
	if err := tx.AddMessage(&m); err != nil {
		return "", err
	}
	if err := b.attach(tx, t, m, a.Files, now); err != nil {
		return "", err
	}
	if a.Ref == "" {
		// Typed as a command, so the thread does not show it yet.
		if err := tx.Enqueue(b.desk(PostMessage, t.ID, m.ID, now)); err != nil {
			return "", err
		}
	}
	if err := tx.Enqueue(&Delivery{Destination: sourceQueue(t.Source, t.Conversation), Job: SendReply, TicketID: t.ID, MessageID: m.ID, NextAt: now, CreatedAt: now}); err != nil {
		return "", err
	}
	if err := b.hint(tx, a, t, a.Text, now); err != nil {
		return "", err
	}
	return fmt.Sprintf("Sending your reply to %s on %s; a ✔ appears on it in the thread once delivered.", t.Customer.displayName(), NetworkOf(t)), nil
}

func (b *Bot) note(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	if strings.TrimSpace(a.Text) == "" {
		return "", Errorf(EINVALID, "Write the note after the number: /desk note %d <text>.", t.ID)
	}
	m := Message{TicketID: t.ID, Kind: Note, Author: a.Agent.ID, AuthorName: a.Agent.Name, Text: a.Text, DeskRef: a.Ref, At: now}
	if err := tx.AddMessage(&m); err != nil {
		return "", err
	}
	if a.Ref == "" {
		if err := tx.Enqueue(b.desk(PostMessage, t.ID, m.ID, now)); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("Noted on #%d; only the team sees it.", t.ID), nil
}

// say is a message written in a ticket's thread: the owner's goes to the
// customer, unless it starts with "note:"; everyone else's stays a note, and
// its author is told why, once per ticket.
func (b *Bot) say(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	text := strings.TrimSpace(a.Text)
	if after, ok := cutPrefixFold(text, "note:"); ok {
		a.Text = strings.TrimSpace(after)
		_, err := b.note(tx, a, t, now)
		return "", err
	}
	if t.State == Claimed && t.Owner.ID == a.Agent.ID && t.Answerable() {
		_, err := b.reply(tx, a, t, now)
		return "", err
	}
	if _, err := b.note(tx, a, t, now); err != nil {
		return "", err
	}
	var why string
	switch {
	case !t.Answerable():
		why = unanswerable(t).Error() + " Your message stays a team note."
	case t.State == Open:
		why = fmt.Sprintf("Not sent to the customer: nobody has claimed #%d yet, so your message stays a team note. Claim it (:raising_hand: on the ticket, or /desk claim %d) and write again.", t.ID, t.ID)
	case t.State == Claimed:
		why = fmt.Sprintf("Not sent to the customer: #%d belongs to %s, so your messages in its thread stay team notes.", t.ID, Mention(t.Owner))
	case t.State == Resolved:
		why = fmt.Sprintf("Not sent to the customer: #%d is resolved. /desk claim %d reopens it.", t.ID, t.ID)
	}
	told, err := tx.FirstSight(fmt.Sprintf("told:%d:%s:%s", t.ID, a.Agent.ID, t.State), now)
	if err != nil || !told {
		return "", err
	}
	return why, nil
}

func (b *Bot) transfer(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	switch {
	case a.To.ID == "":
		return "", Errorf(EINVALID, "Name the new owner: /desk transfer %d @someone.", t.ID)
	case t.State == Resolved:
		return "", Errorf(ECONFLICT, "#%d is resolved; there is nothing to hand over.", t.ID)
	case t.Owner.ID == a.To.ID && t.State == Claimed:
		return "", Errorf(ECONFLICT, "%s already owns #%d.", Mention(a.To), t.ID)
	case t.State == Claimed && t.Owner.ID != a.Agent.ID:
		return "", Errorf(EFORBIDDEN, "Only %s, who owns #%d, can hand it over.", Mention(t.Owner), t.ID)
	case t.State == Claimed && t.Handovers >= 1:
		return "", Errorf(ECONFLICT, "#%d was already handed over once. caredesk allows one hand-over so the customer does not explain twice; %s gives the final answer.", t.ID, Mention(t.Owner))
	}
	from := t.Owner
	if t.State == Claimed {
		t.Handovers++
	}
	t.State, t.Owner, t.UpdatedAt = Claimed, a.To, now
	if err := b.change(tx, t, Event{Kind: "transferred", Actor: a.Agent.ID, Detail: from.ID + " → " + a.To.ID}, now); err != nil {
		return "", err
	}
	if err := b.notice(tx, t, fmt.Sprintf("%s handed #%d over to %s.", Mention(a.Agent), t.ID, Mention(a.To)), now); err != nil {
		return "", err
	}
	if err := b.speak(tx, t, SayHandover, a.To.ID, now); err != nil {
		return "", err
	}
	return fmt.Sprintf("#%d is %s's now; they have been told in the thread.", t.ID, Mention(a.To)), nil
}

func (b *Bot) resolve(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	agent := a.Agent
	link, err := elsewhere(t, a.Text)
	if err != nil {
		return "", err
	}
	switch {
	case t.State == Resolved && link == "":
		return fmt.Sprintf("#%d is already resolved.", t.ID), nil
	case t.State == Claimed && t.Owner.ID != agent.ID:
		return "", Errorf(EFORBIDDEN, "#%d belongs to %s — ask them to resolve it, or to hand it over to you.", t.ID, Mention(t.Owner))
	}
	if t.Owner.ID == "" {
		t.Owner = agent // who closed it, for the record
	}
	if link != "" {
		// An answer given on the network itself counts as the first one,
		// in the reports as on the root: the customer was answered.
		if t.FirstReplyAt.IsZero() {
			t.FirstReplyAt, t.FirstReplyBy = now, agent
		}
		if err := b.notice(tx, t, fmt.Sprintf("✅ %s answered elsewhere: %s", Mention(agent), link), now); err != nil {
			return "", err
		}
		if t.State == Resolved {
			t.UpdatedAt = now
			if err := b.change(tx, t, Event{Kind: "answered_elsewhere", Actor: agent.ID, Detail: link}, now); err != nil {
				return "", err
			}
			return fmt.Sprintf("Recorded #%d as answered elsewhere.", t.ID), nil
		}
		if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "answered_elsewhere", Actor: agent.ID, Detail: link, At: now}); err != nil {
			return "", err
		}
	}
	t.State, t.ResolvedAt, t.UpdatedAt = Resolved, now, now
	if err := b.change(tx, t, Event{Kind: "resolved", Actor: agent.ID}, now); err != nil {
		return "", err
	}
	if b.policy.Rating.asks(t) {
		if err := tx.AddTimer(&Timer{TicketID: t.ID, Alarm: AskForRating, DueAt: now.Add(b.policy.Rating.Delay)}); err != nil {
			return "", err
		}
	}
	if link != "" {
		return fmt.Sprintf("Resolved #%d, answered elsewhere. If the customer writes again within %s, it reopens.", t.ID, days(b.policy.ReopenWindow)), nil
	}
	return fmt.Sprintf("Resolved #%d. If the customer writes again within %s, it reopens.", t.ID, days(b.policy.ReopenWindow)), nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// displayName is how caredesk's sentences name the customer; the name
// is theirs, so it is quoted (see Quote).
func (c Customer) displayName() string {
	if c.Name != "" {
		return Quote(c.Name)
	}
	if c.Handle != "" {
		return Quote("@" + c.Handle)
	}
	return "the customer"
}
