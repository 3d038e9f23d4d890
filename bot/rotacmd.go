package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// duty answers the commands about the rota and the SLA clock.
// They answer for the team of the channel they were typed in, or the
// team they name.
func (b *Bot) duty(tx Tx, a Action, now time.Time) (string, error) {
	team, err := b.actionTeam(a)
	if err != nil {
		return "", err
	}
	r, err := b.rota(tx, team)
	if err != nil {
		return "", err
	}
	switch a.Verb {
	case DoSLA:
		return b.slaList(tx, team, now)
	case DoRota:
		return rotaNow(team, r, now), nil
	case DoRotaWeek:
		return rotaWeek(team, r, now), nil
	case DoOverride:
		return b.override(tx, team, a, now)
	case DoSwap:
		return b.swap(tx, team, r, a, now)
	case DoUndo:
		return b.undo(tx, team, a, now)
	}
	return "", Errorf(EINVALID, "I don't know how to %q. Try /desk help.", a.Verb)
}

func rotaNow(team Team, r Rota, now time.Time) string {
	var s strings.Builder
	if team.Name != "" {
		fmt.Fprintf(&s, "Team %s: ", team.Name)
	}
	if team.Calendar.Open(now) {
		fmt.Fprintf(&s, "It is business hours: the whole channel answers until %s.\n", At(team.Calendar.NextClose(now), "f"))
	} else {
		fmt.Fprintf(&s, "Out of hours until %s: the rota answers.\n", At(team.Calendar.NextOpen(now), "f"))
	}
	on := r.At(now)
	if on.Primary.Agent == "" {
		s.WriteString("Nobody is on duty now: the rota is empty here.")
		return s.String()
	}
	fmt.Fprintf(&s, "On duty now: %s (primary) until %s", Mention(Agent{ID: on.Primary.Agent}), At(on.Primary.Until, "f"))
	if on.Backup.Agent != "" {
		fmt.Fprintf(&s, ", %s (backup)", Mention(Agent{ID: on.Backup.Agent}))
	}
	s.WriteString(".")
	if next := r.At(on.Primary.Until); next.Primary.Agent != "" {
		fmt.Fprintf(&s, "\nNext: %s (primary) from %s", Mention(Agent{ID: next.Primary.Agent}), At(next.Primary.From, "f"))
		if next.Backup.Agent != "" {
			fmt.Fprintf(&s, ", %s (backup)", Mention(Agent{ID: next.Backup.Agent}))
		}
		s.WriteString(".")
	}
	return s.String()
}

func rotaWeek(team Team, r Rota, now time.Time) string {
	end := now.AddDate(0, 0, 7)
	var s strings.Builder
	fmt.Fprintf(&s, "The rota%s for the coming 7 days:", ofTeam(team))
	for _, layer := range []Layer{Primary, Backup} {
		for _, sh := range r.Shifts(layer, now, end) {
			if sh.Agent == "" {
				continue
			}
			mark := ""
			if sh.Override {
				mark = " (changed)"
			}
			fmt.Fprintf(&s, "\n• %s → %s: %s (%s)%s", At(sh.From, "f"), At(sh.Until, "f"), Mention(Agent{ID: sh.Agent}), layer, mark)
		}
	}
	if !strings.Contains(s.String(), "•") {
		return fmt.Sprintf("Nobody is on the rota%s in the coming 7 days.", ofTeam(team))
	}
	return s.String()
}

// wall reads t's clock fields as a time in the team's zone.
func wall(team Team, t time.Time) time.Time {
	loc := team.Calendar.Location
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc)
}

func (b *Bot) override(tx Tx, team Team, a Action, now time.Time) (string, error) {
	from, until := wall(team, a.From), wall(team, a.Until)
	switch {
	case a.To.ID == "":
		return "", Errorf(EINVALID, "Name who covers: /desk rota override @someone 2026-12-05T18:00 2026-12-06T09:00.")
	case !until.After(from):
		return "", Errorf(EINVALID, "The end (%s) must come after the start (%s).", At(until, "f"), At(from, "f"))
	case !until.After(now):
		return "", Errorf(EINVALID, "That time is over already (it ended %s).", At(until, "R"))
	}
	summary := fmt.Sprintf("%s covers %s → %s%s (override by %s)", Mention(a.To), At(from, "f"), At(until, "f"), ofTeam(team), Mention(a.Agent))
	c := RotaChange{Kind: "override", By: a.Agent.ID, At: now, Summary: summary, Team: team.Name,
		Overrides: []Override{{Layer: Primary, Agent: a.To.ID, From: from.UTC(), Until: until.UTC(), Note: "override by " + a.Agent.ID}}}
	return b.recordChange(tx, team, c, now)
}

func (b *Bot) swap(tx Tx, team Team, r Rota, a Action, now time.Time) (string, error) {
	if a.To.ID == "" || a.Other.ID == "" {
		return "", Errorf(EINVALID, "Name both people: /desk rota swap @alice @bob.")
	}
	os, err := r.Swap(a.To.ID, a.Other.ID, now)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, o := range os {
		parts = append(parts, fmt.Sprintf("%s covers %s → %s", Mention(Agent{ID: o.Agent}), At(o.From, "f"), At(o.Until, "f")))
	}
	summary := fmt.Sprintf("%s and %s swap shifts%s: %s (by %s)", Mention(a.To), Mention(a.Other), ofTeam(team), strings.Join(parts, "; "), Mention(a.Agent))
	return b.recordChange(tx, team, RotaChange{Kind: "swap", By: a.Agent.ID, At: now, Summary: summary, Overrides: os, Team: team.Name}, now)
}

// recordChange stores a change of the team's rota and tells its channel,
// so that a change made by one person is seen by all.
func (b *Bot) recordChange(tx Tx, team Team, c RotaChange, now time.Time) (string, error) {
	if err := tx.AddRotaChange(&c); err != nil {
		return "", err
	}
	if err := tx.Enqueue(announce(team, "🗓️ Rota change: "+c.Summary+".", now)); err != nil {
		return "", err
	}
	return "Done: " + c.Summary + ". The channel has been told; /desk rota undo takes it back.", nil
}

func (b *Bot) undo(tx Tx, team Team, a Action, now time.Time) (string, error) {
	names, err := b.changeTeams(tx, team)
	if err != nil {
		return "", err
	}
	c, err := tx.UndoRotaChange(now, names...)
	if ErrorCode(err) == ENOTFOUND {
		return "", Errorf(ENOTFOUND, "There is no rota change%s to take back.", ofTeam(team))
	}
	if err != nil {
		return "", err
	}
	text := fmt.Sprintf("↩️ %s took back a rota change: %s.", Mention(a.Agent), c.Summary)
	if err := tx.Enqueue(announce(team, text, now)); err != nil {
		return "", err
	}
	return "Taken back: " + c.Summary + ".", nil
}

// slaList lists the team's tickets still waiting for a first answer, by
// time left, the breached ones first.
func (b *Bot) slaList(tx Tx, team Team, now time.Time) (string, error) {
	open, err := b.openOf(tx, team, openScan)
	if err != nil {
		return "", err
	}
	var waiting []Ticket
	for _, t := range open {
		if t.FirstReplyAt.IsZero() {
			waiting = append(waiting, t)
		}
	}
	if len(waiting) == 0 {
		return fmt.Sprintf("Every open ticket%s has had its first answer. Nothing is waiting.", ofTeam(team)), nil
	}
	slices.SortStableFunc(waiting, func(x, y Ticket) int { return cmp.Compare(x.Deadline.UnixNano(), y.Deadline.UnixNano()) })
	var s strings.Builder
	breached := 0
	for _, t := range waiting {
		if now.After(t.Deadline) {
			breached++
		}
	}
	fmt.Fprintf(&s, "%d waiting for a first answer%s, %d past the target:", len(waiting), ofTeam(team), breached)
	for i, t := range waiting {
		if i == listLimit {
			fmt.Fprintf(&s, "\n…and %d more.", len(waiting)-listLimit)
			break
		}
		owner := "unclaimed"
		if t.State == Claimed {
			owner = Mention(t.Owner)
		}
		left := fmt.Sprintf("%s left (due %s)", span(t.Deadline.Sub(now)), At(t.Deadline, "t"))
		if now.After(t.Deadline) {
			left = fmt.Sprintf("🚨 overdue by %s", span(now.Sub(t.Deadline)))
		}
		fmt.Fprintf(&s, "\n• #%d %s, %s: %s, %s", t.ID, NetworkOf(t), t.Customer.displayName(), left, owner)
	}
	return s.String(), nil
}

// Shifts returns who is on duty in the team called team ("" for the
// default team), primary and backup, from the start of the current shift
// until `ahead` from now, with the changes made from the desk. The window
// opens at a hand-over so that calendar feeds built from it keep stable
// event ids. An unknown team is an *Error with code ENOTFOUND.
func (b *Bot) Shifts(ctx context.Context, team string, ahead time.Duration) ([]Shift, error) {
	now := b.clock.Now().UTC()
	tm, err := b.actionTeam(Action{Team: team})
	if err != nil {
		return nil, err
	}
	var out []Shift
	err = b.store.View(ctx, func(tx Tx) error {
		r, err := b.rota(tx, tm)
		if err != nil {
			return err
		}
		cur := r.At(now)
		for _, layer := range []Layer{Primary, Backup} {
			from := now
			if layer == Primary && !cur.Primary.From.IsZero() {
				from = cur.Primary.From
			} else if layer == Backup && !cur.Backup.From.IsZero() {
				from = cur.Backup.From
			}
			for _, s := range r.Shifts(layer, from, now.Add(ahead)) {
				if s.Agent != "" {
					out = append(out, s)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("shifts of the rota: %w", err)
	}
	return out, nil
}
