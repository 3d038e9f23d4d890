package bot

import (
	"context"
	"fmt"
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
