package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// after is when d has passed from t: on the clock, or counting the team's
// business hours only for sources answered in office hours.
func after(team Team, t time.Time, d time.Duration, businessHours bool) time.Time {
	if businessHours {
		return team.Calendar.AddOpen(t, d).UTC()
	}
	return t.Add(d)
}

// setTimers arms a new ticket's reminders, escalations and breaches.
func (b *Bot) setTimers(tx Tx, t Ticket, sla SLA, now time.Time) error {
	team := b.teamOf(t)
	timers := escalations(team, sla, now)
	timers = append(timers, Timer{Alarm: BreachFirstReply, DueAt: t.Deadline})
	if sla.Resolution > 0 {
		timers = append(timers, Timer{Alarm: BreachResolution, DueAt: after(team, now, sla.Resolution, sla.BusinessHours)})
	}
	return addTimers(tx, t, timers)
}

// escalations are the timers that remind the thread and page people while
// a ticket waits from now: the team's, which a move to another team
// replaces.
func escalations(team Team, sla SLA, now time.Time) []Timer {
	esc := team.Escalation
	var timers []Timer
	for _, share := range esc.Reminders {
		due := after(team, now, sla.FirstResponse*time.Duration(share)/100, sla.BusinessHours)
		timers = append(timers, Timer{Alarm: RemindFirstReply, Share: share, DueAt: due})
	}
	if esc.UnclaimedAfter > 0 {
		timers = append(timers, Timer{Alarm: EscalatePrimary, DueAt: now.Add(esc.UnclaimedAfter)})
		if esc.BackupAfter > 0 {
			timers = append(timers, Timer{Alarm: EscalateBackup, DueAt: now.Add(esc.UnclaimedAfter + esc.BackupAfter)})
		}
	}
	return timers
}

func addTimers(tx Tx, t Ticket, timers []Timer) error {
	for _, tm := range timers {
		tm.TicketID = t.ID
		if err := tx.AddTimer(&tm); err != nil {
			return err
		}
	}
	return nil
}

// rota is the team's configured rota with the changes made from the desk
// laid over it, the newest winning.
func (b *Bot) rota(tx Tx, team Team) (Rota, error) {
	changes, err := tx.RotaChanges()
	if err != nil {
		return team.Rota, err
	}
	return b.layered(team, changes), nil
}

// layered is team's configured rota with those of changes that are the
// team's laid over it: what rota reads, for callers that look at every
// team and read the changes once.
func (b *Bot) layered(team Team, changes []RotaChange) Rota {
	r := team.Rota
	r.Overrides = append([]Override(nil), r.Overrides...)
	for _, c := range changes {
		if b.team(c.Team).Name == team.Name {
			r.Overrides = append(r.Overrides, c.Overrides...)
		}
	}
	return r
}

// page tells agent, in the ticket's thread and privately, what needs them.
func (b *Bot) page(tx Tx, t Ticket, agent, thread, private string, now time.Time) error {
	if err := b.notice(tx, t, thread, now); err != nil {
		return err
	}
	if agent == "" {
		return nil
	}
	return tx.Enqueue(&Delivery{Destination: dmQueue(agent), Job: DirectMessage, Agent: agent, Text: private, NextAt: now, CreatedAt: now})
}

func dmQueue(agent string) string { return "desk:dm:" + agent }

// pageOnCall is the page of a complaint that arrives out of hours: whoever
// is on duty hears of it at once.
func (b *Bot) pageOnCall(tx Tx, t Ticket, now time.Time) error {
	r, err := b.rota(tx, b.teamOf(t))
	if err != nil {
		return err
	}
	primary := r.At(now).Primary.Agent
	if primary == "" {
		return b.notice(tx, t, fmt.Sprintf("%s Out of hours, and nobody is on the rota: who can take #%d?", Here, t.ID), now)
	}
	return b.page(tx, t, primary,
		fmt.Sprintf("🌙 Out of hours: %s, you are on duty. #%d waits for a first answer by %s.", Mention(Agent{ID: primary}), t.ID, At(t.Deadline, "t")),
		fmt.Sprintf("🌙 New complaint #%d from %s on %s, while you are on duty: “%s” Answer due %s (%s). Claim it in %s.",
			t.ID, t.Customer.displayName(), NetworkOf(t), Quote(oneLine(t.Text, 200)), At(t.Deadline, "t"), At(t.Deadline, "R"), channelOf(t)),
		now)
}

// tickBatch bounds one transaction of the scheduler, so that a backlog of
// due timers after downtime never holds the write lock for long.
const tickBatch = 100

// Tick fires what is due at the current time: the tickets' timers, the
// hand-over of the on-call duty, and the notice before a weekend. It is
// safe to call at any rate and after any crash: each thing fires once,
// because firing is recorded in the transaction that queues its messages.
// It returns how many timers fired.
func (b *Bot) Tick(ctx context.Context) (int, error) {
	now := b.clock.Now().UTC()
	fired := 0
	for {
		n := 0
		err := b.store.Update(ctx, func(tx Tx) error {
			timers, err := tx.DueTimers(now, tickBatch)
			if err != nil {
				return err
			}
			n = len(timers)
			rotas := map[string]Rota{}
			for _, tm := range timers {
				if err := b.fire(tx, tm, rotas, now); err != nil {
					return fmt.Errorf("fire %s of ticket #%d: %w", tm.Alarm, tm.TicketID, err)
				}
			}
			return nil
		})
		if err != nil {
			return fired, err
		}
		fired += n
		if n < tickBatch {
			break
		}
	}
	if err := b.store.Update(ctx, func(tx Tx) error {
		changes, err := tx.RotaChanges()
		if err != nil {
			return err
		}
		for _, team := range b.teams() {
			r := b.layered(team, changes)
			if err := b.handOver(tx, team, r, now); err != nil {
				return fmt.Errorf("hand-over of %s: %w", teamLabel(team), err)
			}
			if err := b.weekendNotice(tx, team, r, now); err != nil {
				return fmt.Errorf("weekend notice of %s: %w", teamLabel(team), err)
			}
		}
		if err := b.drain(tx, now); err != nil {
			return fmt.Errorf("storm mode: %w", err)
		}
		return b.digests(tx, now)
	}); err != nil {
		return fired, err
	}
	b.wake()
	return fired, nil
}

// fire carries out one timer, if it still applies. rotas keeps each
// team's rota for the timers of one tick.
func (b *Bot) fire(tx Tx, tm Timer, rotas map[string]Rota, now time.Time) error {
	if err := tx.DeleteTimer(tm.ID); err != nil {
		return err
	}
	t, err := tx.Ticket(tm.TicketID)
	if err != nil {
		return err
	}
	if tm.Alarm == AskForRating {
		return b.askRating(tx, t, now)
	}
	team := b.teamOf(t)
	r, ok := rotas[team.Name]
	if !ok {
		if r, err = b.rota(tx, team); err != nil {
			return err
		}
		rotas[team.Name] = r
	}
	waiting := t.FirstReplyAt.IsZero() && t.State != Resolved
	unclaimed := t.State == Open
	inHours := team.Calendar.Open(now)
	on := r.At(now)
	switch tm.Alarm {
	case RemindFirstReply:
		if !waiting {
			return nil
		}
		who := "Nobody has claimed it yet."
		if t.State == Claimed {
			who = Mention(t.Owner) + ", it is yours."
		}
		if err := b.notice(tx, t, fmt.Sprintf("⏰ %d%% of the time for a first answer to #%d is gone: due %s (%s). %s",
			tm.Share, t.ID, At(t.Deadline, "t"), At(t.Deadline, "R"), who), now); err != nil {
			return err
		}
		return tx.Enqueue(b.desk(UpdateTicket, t.ID, 0, now))
	case EscalatePrimary:
		if !unclaimed {
			return nil
		}
		waited := span(now.Sub(t.OpenedAt))
		if inHours || on.Primary.Agent == "" {
			return b.notice(tx, t, fmt.Sprintf("%s #%d has waited %s and nobody has claimed it. Answer due %s.", Here, t.ID, waited, At(t.Deadline, "t")), now)
		}
		return b.page(tx, t, on.Primary.Agent,
			fmt.Sprintf("📟 %s, #%d has waited %s unclaimed and you are on duty. Answer due %s.", Mention(Agent{ID: on.Primary.Agent}), t.ID, waited, At(t.Deadline, "t")),
			fmt.Sprintf("📟 #%d has waited %s and nobody has claimed it; you are on duty. Answer due %s (%s).", t.ID, waited, At(t.Deadline, "t"), At(t.Deadline, "R")),
			now)
	case EscalateBackup:
		if !unclaimed || inHours || on.Backup.Agent == "" {
			return nil // in hours the whole channel was pinged already
		}
		waited := span(now.Sub(t.OpenedAt))
		return b.page(tx, t, on.Backup.Agent,
			fmt.Sprintf("📟 %s (backup), #%d has waited %s and %s has not claimed it. Answer due %s.", Mention(Agent{ID: on.Backup.Agent}), t.ID, waited, Mention(Agent{ID: on.Primary.Agent}), At(t.Deadline, "t")),
			fmt.Sprintf("📟 You are the backup on duty: #%d has waited %s unclaimed. Answer due %s (%s).", t.ID, waited, At(t.Deadline, "t"), At(t.Deadline, "R")),
			now)
	case BreachFirstReply:
		if !waiting {
			return nil
		}
		return b.breach(tx, t, on, inHours, fmt.Sprintf("missed its first-response target (due %s)", At(t.Deadline, "t")), "breached", now)
	case BreachResolution:
		if t.State == Resolved {
			return nil
		}
		return b.breach(tx, t, on, inHours, fmt.Sprintf("is still not resolved %s after it arrived", span(now.Sub(t.OpenedAt))), "breached_resolution", now)
	}
	return nil
}

// breach announces a missed target once, pinging the owner (or whoever is
// on duty), the lead and the channel, and says who was pinged.
func (b *Bot) breach(tx Tx, t Ticket, on OnCall, inHours bool, what, event string, now time.Time) error {
	var pinged []string
	var people []string
	switch {
	case t.State == Claimed:
		pinged = append(pinged, Mention(t.Owner)+" (owner)")
		people = append(people, t.Owner.ID)
	case !inHours && on.Primary.Agent != "":
		pinged = append(pinged, Mention(Agent{ID: on.Primary.Agent})+" (on duty)")
		people = append(people, on.Primary.Agent)
	}
	if lead := b.teamOf(t).Escalation.Lead; lead != "" && !slices.Contains(people, lead) {
		pinged = append(pinged, Mention(Agent{ID: lead})+" (lead)")
		people = append(people, lead)
	}
	pinged = append(pinged, "the channel")
	if err := b.notice(tx, t, fmt.Sprintf("🚨 %s #%d %s. Pinged: %s.", Here, t.ID, what, strings.Join(pinged, ", ")), now); err != nil {
		return err
	}
	for _, p := range people {
		if err := tx.Enqueue(&Delivery{Destination: dmQueue(p), Job: DirectMessage, Agent: p, NextAt: now, CreatedAt: now,
			Text: fmt.Sprintf("🚨 #%d from %s on %s %s.", t.ID, t.Customer.displayName(), NetworkOf(t), what)}); err != nil {
			return err
		}
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: event, At: now}); err != nil {
		return err
	}
	return tx.Enqueue(b.desk(UpdateTicket, t.ID, 0, now))
}

// handOver announces a new primary on duty of team, once per shift, and
// sends them the team's open tickets.
func (b *Bot) handOver(tx Tx, team Team, r Rota, now time.Time) error {
	on := r.At(now)
	if on.Primary.Agent == "" {
		return nil
	}
	fresh, err := tx.FirstSight(b.teamKey(team, fmt.Sprintf("handover:%s:%d", on.Primary.Agent, on.Primary.From.Unix())), now)
	if err != nil || !fresh {
		return err
	}
	open, err := b.openOf(tx, team, listLimit)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("🔁 Hand-over: %s takes the out-of-hours duty (primary)%s until %s", Mention(Agent{ID: on.Primary.Agent}), ofTeam(team), At(on.Primary.Until, "f"))
	if on.Backup.Agent != "" {
		text += ", " + Mention(Agent{ID: on.Backup.Agent}) + " (backup)"
	}
	text += fmt.Sprintf(". %s.", ticketCount(len(open)))
	if err := tx.Enqueue(announce(team, text, now)); err != nil {
		return err
	}
	dm := fmt.Sprintf("🔁 You have the out-of-hours duty%s from now until %s: complaints that arrive outside business hours come to you.", ofTeam(team), At(on.Primary.Until, "f"))
	if len(open) > 0 {
		dm += " Open tickets:"
		for _, t := range open {
			dm += fmt.Sprintf("\n• #%d %s, %s: %s", t.ID, NetworkOf(t), t.Customer.displayName(), due(t, now))
		}
	} else {
		dm += " No tickets are open."
	}
	return tx.Enqueue(&Delivery{Destination: dmQueue(on.Primary.Agent), Job: DirectMessage, Agent: on.Primary.Agent, Text: dm, NextAt: now, CreatedAt: now})
}

func ticketCount(n int) string {
	switch n {
	case 0:
		return "No tickets open"
	case 1:
		return "1 ticket open"
	}
	return fmt.Sprintf("%d tickets open", n)
}

// closedStretch is how long a closure must last to be worth a notice: a
// weekend or a holiday, not a night.
const closedStretch = 36 * time.Hour

// weekendNotice tells the channel, shortly before a weekend or holiday,
// who covers it.
func (b *Bot) weekendNotice(tx Tx, team Team, r Rota, now time.Time) error {
	notice := team.Escalation.WeekendNotice
	if notice <= 0 || len(r.Rotations) == 0 {
		return nil // without a rota there is nobody to name
	}
	from, until, ok := team.Calendar.ClosedStretch(now, closedStretch)
	if !ok || now.Before(from.Add(-notice)) || !now.Before(from) {
		return nil
	}
	fresh, err := tx.FirstSight(b.teamKey(team, fmt.Sprintf("closed:%d", from.Unix())), now)
	if err != nil || !fresh {
		return err
	}
	open, err := b.openOf(tx, team, listLimit)
	if err != nil {
		return err
	}
	name := "While we are closed"
	if weekend(from, until, team.Calendar.Location) {
		name = "This weekend"
	}
	count := ticketCount(len(open)) // "No tickets open", mid-sentence here
	text := fmt.Sprintf("📅 %s%s (%s → %s): %s — %s.", name, ofTeam(team), At(from, "f"), At(until, "f"), coverage(r, from, until), strings.ToLower(count[:1])+count[1:])
	return tx.Enqueue(announce(team, text, now))
}

// announce is a message of its own in the team's channel.
func announce(team Team, text string, now time.Time) *Delivery {
	return &Delivery{Destination: deskQueue, Job: Announce, Conversation: team.Channel, Text: text, NextAt: now, CreatedAt: now}
}

// teamKey is key for one team. The default team keeps the keys a desk
// without teams has: a desk that takes on teams, its channel becoming the
// default team's, announces nothing twice.
func (b *Bot) teamKey(team Team, key string) string {
	if team.Name == "" || team.Name == b.policy.DefaultTeam {
		return key
	}
	return "team:" + team.Name + ":" + key
}

// ofTeam names the team in a sentence about it, " for ro-care"; nothing
// on a desk without teams.
func ofTeam(team Team) string {
	if team.Name == "" {
		return ""
	}
	return " for " + team.Name
}

// channelOf says where a ticket's thread is, for a direct message.
func channelOf(t Ticket) string {
	if t.Channel == "" {
		return "the desk channel"
	}
	return "<#" + t.Channel + ">"
}

// weekend reports whether the stretch takes in a Saturday or a Sunday.
func weekend(from, until time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	for d := from.In(loc); d.Before(until); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			return true
		}
	}
	return false
}

// coverage says who is on duty over [from, until): "<@A> (primary), <@B>
// (backup)", with hand-overs inside the stretch spelled out.
func coverage(r Rota, from, until time.Time) string {
	var parts []string
	for _, layer := range []Layer{Primary, Backup} {
		shifts := r.Shifts(layer, from, until)
		var names []string
		for i, s := range shifts {
			if s.Agent == "" || i > 0 && shifts[i-1].Agent == s.Agent {
				continue // a hand-over to the same person is no news
			}
			name := Mention(Agent{ID: s.Agent})
			if i > 0 {
				name += " from " + At(s.From, "f")
			}
			names = append(names, name)
		}
		if len(names) > 0 {
			parts = append(parts, strings.Join(names, ", then ")+" ("+string(layer)+")")
		}
	}
	if len(parts) == 0 {
		return "nobody is on the rota"
	}
	return strings.Join(parts, "; ")
}
