package bot

import (
	"fmt"
	"time"
)

// move gives a ticket routed to the wrong team to another team: a new
// thread in that team's channel with the history so far, under that team's
// escalation and rota. Its owner, if any, lets go: the new team claims it.
// The promise to the customer (the deadline) stays what it was.
func (b *Bot) move(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	if len(b.policy.Teams) == 0 {
		return "", Errorf(EINVALID, "This desk has no teams, so there is nowhere to move #%d. Teams are set in caredesk's YAML file (teams:).", t.ID)
	}
	if a.Team == "" {
		return "", Errorf(EINVALID, "Name the team: /desk move %d TEAM. %s", t.ID, b.teamNames())
	}
	to, err := b.actionTeam(Action{Team: a.Team})
	if err != nil {
		return "", err
	}
	from := b.teamOf(t)
	switch {
	case t.State == Resolved:
		return "", Errorf(ECONFLICT, "#%d is resolved; there is nothing to move. If the customer writes again, it reopens with %s.", t.ID, from.Name)
	case to.Name == from.Name:
		return "", Errorf(ECONFLICT, "#%d is %s's already.", t.ID, to.Name)
	case t.Moves >= maxMoves:
		return "", Errorf(ECONFLICT, "#%d has moved between teams %d times already; caredesk stops there so that the customer does not wait while it wanders. Ask a lead which team answers, and claim it here.", t.ID, t.Moves)
	}
	if err := b.relocate(tx, t, from, to, Mention(a.Agent), a.Agent.ID, now); err != nil {
		return "", err
	}
	return fmt.Sprintf("Moved #%d to %s: it has a new thread there, where %s claims it.", t.ID, teamLabel(to), to.Name), nil
}

// relocate gives t to team to: the old thread says where it went, a new
// root in to's channel carries the history, the owner lets go, and the
// reminders are to's. by is who moved it, as the notices write it; actor
// is their id for the event ("" for caredesk itself).
func (b *Bot) relocate(tx Tx, t Ticket, from, to Team, by, actor string, now time.Time) error {
	history, err := b.show(tx, t, now) // before the notice below joins it
	if err != nil {
		return err
	}
	if t.DeskThread != "" {
		// The old thread says where the ticket went, posted there whatever
		// the ticket's thread is by the time the courier gets to it.
		m := Message{TicketID: t.ID, Kind: Notice, At: now,
			Text: fmt.Sprintf("➡️ %s moved #%d to %s: it goes on in a new thread there, and this thread no longer reaches the customer.", by, t.ID, teamLabel(to))}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		d := b.desk(PostMessage, t.ID, m.ID, now)
		d.Conversation = former(t)
		if err := tx.Enqueue(d); err != nil {
			return err
		}
	}
	// The root the ticket leaves showed its first message; the new one will.
	var first int64
	if t.DeskThread != "" {
		m, err := tx.MessageByDeskRef(t.DeskThread)
		if err == nil && m.TicketID == t.ID {
			first = m.ID
		} else if err != nil && ErrorCode(err) != ENOTFOUND {
			return err
		}
	}
	// The ticket stays in its thread until the courier has posted the new
	// root (PostTicket "to:CHANNEL"): what was queued before the move is
	// posted in the thread it was meant for, and nothing waits for a
	// thread that is not there yet.
	owner := t.Owner
	t.Team, t.Routed = to.Name, fmt.Sprintf("moved from %s by %s", from.Name, by)
	t.Moves, t.UpdatedAt = t.Moves+1, now
	if t.State == Claimed {
		t.State, t.Owner = Open, Agent{}
	}
	if err := tx.SaveTicket(t); err != nil {
		return err
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "moved", Actor: actor, Detail: from.Name + " → " + to.Name, At: now}); err != nil {
		return err
	}
	if err := b.rearm(tx, t, to, now); err != nil {
		return err
	}
	root := b.desk(PostTicket, t.ID, first, now)
	root.Conversation = movingTo + to.Channel
	if err := tx.Enqueue(root); err != nil {
		return err
	}
	was := ""
	if owner.ID != "" {
		was = fmt.Sprintf(" %s owned it there.", Mention(owner))
	}
	came := teamLabel(from)
	if t.DeskThread != "" { // its thread there, which this one links
		came = fmt.Sprintf("%s (%s)", from.Name, ThreadLink(t.Channel, t.DeskThread))
		if from.Channel != "" {
			came = fmt.Sprintf("%s (<#%s>: %s)", from.Name, from.Channel, ThreadLink(t.Channel, t.DeskThread))
		}
	}
	if err := b.notice(tx, t, fmt.Sprintf("↪️ %s moved #%d here from %s; claim it to answer.%s So far:\n%s", by, t.ID, came, was, history), now); err != nil {
		return err
	}
	if !to.Calendar.Open(now) && len(to.Rota.Rotations) > 0 && t.FirstReplyAt.IsZero() {
		there := t
		there.Channel = to.Channel // where the page tells them to claim it
		if err := b.pageOnCall(tx, there, now); err != nil {
			return err
		}
	}
	return nil
}

// movingTo starts the Conversation of the PostTicket that gives a moved
// ticket its root in another channel: "to:CHANNEL".
const movingTo = "to:"

// rearm replaces the reminders and escalations of a moved ticket with the
// new team's, counted from now: the new team has not seen it yet. Breach
// timers stay, since the promise to the customer does not move.
func (b *Bot) rearm(tx Tx, t Ticket, team Team, now time.Time) error {
	if err := tx.CancelTimers(t.ID, RemindFirstReply, EscalatePrimary, EscalateBackup); err != nil {
		return err
	}
	if !t.FirstReplyAt.IsZero() {
		return nil // answered already: nobody needs chasing about a first answer
	}
	sla := team.SLA(t.Source)
	var keep []Timer
	for _, tm := range escalations(team, sla, now) {
		if tm.Alarm == RemindFirstReply {
			// Reminders are shares of the customer's time, which started
			// when the ticket opened.
			tm.DueAt = after(team, t.OpenedAt, sla.FirstResponse*time.Duration(tm.Share)/100, sla.BusinessHours)
			if !tm.DueAt.After(now) || !tm.DueAt.Before(t.Deadline) {
				continue
			}
		}
		keep = append(keep, tm)
	}
	return addTimers(tx, t, keep)
}
