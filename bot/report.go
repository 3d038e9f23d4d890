package bot

import (
	"context"
	"fmt"
	"strings"
)

// ReplyReport is what a source's network says about a reply after it
// accepted it: a bridge that posts to X or a forum later, and says whether
// it worked and where the reply can be seen.
type ReplyReport struct {
	Source  string // the source the reply went to
	Reply   int64  // the reply's message id, as sent in Outgoing.MessageID
	Status  Status // Delivered or Failed
	Reason  string // why it failed
	URL     string // the reply's public address, once posted
	EventID string // the report's own id; a repeated one changes nothing
}

// ReportReply records a network's report on a reply and shows it in the
// ticket's thread. An *Error means the report names no reply of that source.
func (b *Bot) ReportReply(ctx context.Context, r ReplyReport) error {
	if r.Status != Delivered && r.Status != Failed {
		return Errorf(EINVALID, "A report's status must be %q or %q, not %q.", Delivered, Failed, r.Status)
	}
	now := b.clock.Now().UTC()
	err := b.store.Update(ctx, func(tx Tx) error {
		fresh, err := firstSights(tx, now, keyIf(r.EventID, "report:"+r.Source+":"+r.EventID))
		if err != nil || !fresh {
			return err
		}
		m, err := tx.Message(r.Reply)
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(ENOTFOUND, "There is no reply %d.", r.Reply)
		} else if err != nil {
			return err
		}
		t, err := tx.Ticket(m.TicketID)
		if err != nil {
			return err
		}
		if m.Kind != Reply || t.Source != r.Source {
			return Errorf(ENOTFOUND, "There is no reply %d to %s.", r.Reply, r.Source)
		}
		m.Status, m.Reason = r.Status, r.Reason
		if err := tx.SaveMessage(m); err != nil {
			return err
		}
		// The reason and the address are the bridge's words: quoted, so a
		// reason like "<!here>" is printed, not obeyed.
		text := fmt.Sprintf("✅ %s posted the reply of %s", NetworkOf(t), Mention(Agent{ID: m.Author}))
		if r.URL != "" {
			text += ": " + Quote(r.URL)
		}
		if r.Status == Failed {
			text = fmt.Sprintf("⚠️ %s, %s could NOT post your reply: %s. Try again with /desk reply %d, or answer another way.",
				Mention(Agent{ID: m.Author}), NetworkOf(t), orUnknown(r.Reason), t.ID)
		}
		return b.notice(tx, t, text, now)
	})
	if err != nil {
		return fmt.Errorf("report on reply %d from %s: %w", r.Reply, r.Source, err)
	}
	b.wake()
	return nil
}

// NetworkOf is the name people use for the ticket's source: the one its
// network gave ("X (Twitter)"), or "Telegram" for "telegram".
func NetworkOf(t Ticket) string {
	if t.Network != "" {
		return t.Network
	}
	switch t.Source {
	case "telegram":
		return "Telegram"
	case "discord":
		return "Discord"
	}
	if name, ok := strings.CutPrefix(t.Source, "webhook:"); ok {
		return name
	}
	return t.Source
}

// orUnknown is a network's reason, quoted, or caredesk's own words when
// it gave none.
func orUnknown(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return "no reason given"
	}
	return Quote(reason)
}

// Reachable records that a customer blocked the brand's bot or started it
// again. While blocked, replies to them fail at once and visibly instead
// of being retried, and the ticket shows it.
func (b *Bot) Reachable(ctx context.Context, r Reachability) error {
	return b.reachable(ctx, r)
}
