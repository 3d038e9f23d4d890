package bot

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// noticeQueue is the outbox queue of the desk channel's notices that
// belong to no ticket and come from outside the core (a source that went
// quiet): their own queue, so that a storm of new tickets does not hold
// back the news that a source stopped bringing them.
const noticeQueue = "desk:notice"

// Announce queues text as a message of its own in the desk channel, sent
// through the outbox like every desk post. text is caredesk's own words,
// never a customer's.
func (b *Bot) Announce(ctx context.Context, text string) error {
	now := b.clock.Now().UTC()
	err := b.store.Update(ctx, func(tx Tx) error {
		return tx.Enqueue(&Delivery{Destination: noticeQueue, Job: Announce, Text: text, NextAt: now, CreatedAt: now})
	})
	if err != nil {
		return fmt.Errorf("queue an announcement for the desk channel: %w", err)
	}
	b.wake()
	return nil
}

// Alert queues text as an announcement in the desk's own channel, and
// private as a direct message to each person of ping: "lead" (every
// team's lead), "on_duty" (every team's primary on the rota now), or an
// agent's id. It does so once: only when every one of keys is new, which
// it reports, and then runs also (when not nil) in the same transaction,
// so that what an alert is about is recorded with it or not at all. text
// is caredesk's own words; outside text in it is quoted.
func (b *Bot) Alert(ctx context.Context, keys []string, text, private string, ping []string, also func(Tx) error) (bool, error) {
	now := b.clock.Now().UTC()
	fresh := false
	err := b.store.Update(ctx, func(tx Tx) (err error) {
		if fresh, err = firstSights(tx, now, keys...); err != nil || !fresh {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		if err := tx.Enqueue(&Delivery{Destination: noticeQueue, Job: Announce, Text: text, NextAt: now, CreatedAt: now}); err != nil {
			return err
		}
		people, err := b.pinged(tx, ping, now)
		if err != nil || private == "" {
			return err
		}
		for _, p := range people {
			if err := tx.Enqueue(&Delivery{Destination: dmQueue(p), Job: DirectMessage, Agent: p, Text: private, NextAt: now, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("queue an alert for the desk channel: %w", err)
	}
	if fresh {
		b.wake()
	}
	return fresh, nil
}

// pinged is the people of ping, each once.
func (b *Bot) pinged(tx Tx, ping []string, now time.Time) ([]string, error) {
	var out []string
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, p := range ping {
		switch p {
		case "lead":
			for _, team := range b.teams() {
				add(team.Escalation.Lead)
			}
		case "on_duty":
			changes, err := tx.RotaChanges()
			if err != nil {
				return nil, err
			}
			for _, team := range b.teams() {
				add(b.layered(team, changes).At(now).Primary.Agent)
			}
		default:
			add(p)
		}
	}
	return out, nil
}
