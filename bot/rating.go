package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rating is a customer's answer to the satisfaction question, as a source
// adapter hands it to the core: a pressed button, a bridge's POST.
type Rating struct {
	Source     string // the source's name
	TicketID   int64  // the ticket asked about, from RatingData or the bridge
	CustomerID string // who answered; only the ticket's customer may
	Score      int    // 1 (bad) to 5 (great)
	EventID    string // the network's id of the answer; de-duplicates redeliveries
}

// ratingPrefix starts the data of a rating button, so that an adapter can
// tell it from its other buttons.
const ratingPrefix = "csat:"

// RatingData is what a rating button carries back (a Telegram callback_data,
// a Discord custom_id): "csat:TICKET:SCORE", short enough for both.
func RatingData(ticket int64, score int) string {
	return ratingPrefix + strconv.FormatInt(ticket, 10) + ":" + strconv.Itoa(score)
}

// ParseRatingData reads what RatingData wrote; ok is false for other data.
func ParseRatingData(data string) (ticket int64, score int, ok bool) {
	rest, found := strings.CutPrefix(data, ratingPrefix)
	if !found {
		return 0, 0, false
	}
	t, s, found := strings.Cut(rest, ":")
	if !found {
		return 0, 0, false
	}
	ticket, err := strconv.ParseInt(t, 10, 64)
	if err != nil || ticket <= 0 {
		return 0, 0, false
	}
	score, err = strconv.Atoi(s)
	if err != nil || score < 1 || score > 5 {
		return 0, 0, false
	}
	return ticket, score, true
}

// RatingPolicy says when a customer is asked how it went.
type RatingPolicy struct {
	// Question is what the customer reads above the five choices; ""
	// asks nobody.
	Question string
	// Delay is how long after the ticket is resolved: a customer who
	// writes again within it reopens the ticket instead of being asked.
	Delay time.Duration
	// Sources are the sources whose customers are asked; nil means all.
	Sources []string
	// Low is the highest score that counts as bad: the owner is pinged
	// and the customer's next words join the ticket's thread.
	Low int
	// FollowUp is what the customer reads after a low score; "" says
	// nothing more.
	FollowUp string
	// CommentWindow is how long after a low score the customer's next
	// message is taken as their comment on it rather than as a new
	// complaint.
	CommentWindow time.Duration
}

// DefaultRatingPolicy asks every customer ten minutes after their ticket is
// resolved, and listens for a comment for a day after a score of 1 or 2.
func DefaultRatingPolicy() RatingPolicy {
	return RatingPolicy{
		Question:      "How did we do? Tap a number: 1 is bad, 5 is great.",
		Delay:         10 * time.Minute,
		Low:           2,
		FollowUp:      "Sorry it was not better. If you tell us what went wrong, it goes straight to the person who helped you.",
		CommentWindow: 24 * time.Hour,
	}
}

// asks reports whether t's customer is to be asked when t is resolved.
func (p RatingPolicy) asks(t Ticket) bool {
	return p.Question != "" && t.RatingAskedAt.IsZero() && !t.listened() && (p.Sources == nil || slices.Contains(p.Sources, t.Source))
}

// askRating asks the customer of a resolved ticket how it went, unless the
// moment has passed: the ticket reopened, the customer wrote again
// (a newer ticket), they were asked already, or the last reply could not
// reach them (they blocked the bot or left).
func (b *Bot) askRating(tx Tx, t Ticket, now time.Time) error {
	if t.State != Resolved || !b.policy.Rating.asks(t) || t.Blocked {
		return nil
	}
	latest, err := tx.LatestTicket(t.Source, t.Conversation, t.Customer.ID)
	if err != nil || latest.ID != t.ID {
		return err
	}
	msgs, err := tx.Messages(t.ID, listLimit)
	if err != nil {
		return err
	}
	for _, m := range slices.Backward(msgs) {
		if m.Kind == Reply {
			if m.Status == Failed {
				return nil
			}
			break
		}
	}
	t.RatingAskedAt = now
	if err := tx.SaveTicket(t); err != nil {
		return err
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "rating_asked", At: now}); err != nil {
		return err
	}
	question := b.policy.Rating.Question
	if v := b.policy.Customer.Voice; v != nil {
		question = v.Say(t.Language, SayRating, Words{})
	}
	return tx.Enqueue(&Delivery{Destination: sourceQueue(t.Source, t.Conversation), Job: AskRating, TicketID: t.ID,
		Text: question, NextAt: now, CreatedAt: now})
}

// Rate records a customer's satisfaction score on the ticket asked about.
// A repeated answer (the same EventID, or a second press) changes nothing
// and returns nil: the first answer counts. An *Error says why an answer
// is refused: EINVALID for a score outside 1–5, ENOTFOUND when the ticket
// is not the answering customer's on that source or they were not asked.
func (b *Bot) Rate(ctx context.Context, r Rating) error {
	if r.Score < 1 || r.Score > 5 {
		return Errorf(EINVALID, "A score is a whole number from 1 to 5, not %d.", r.Score)
	}
	now := b.clock.Now().UTC()
	err := b.store.Update(ctx, func(tx Tx) error {
		fresh, err := firstSights(tx, now, keyIf(r.EventID, "rating:"+r.Source+":"+r.EventID))
		if err != nil || !fresh {
			return err
		}
		t, err := tx.Ticket(r.TicketID)
		if ErrorCode(err) == ENOTFOUND || err == nil && (t.Source != r.Source || t.Customer.ID != r.CustomerID || t.RatingAskedAt.IsZero()) {
			return Errorf(ENOTFOUND, "There is no question about ticket %d for that customer on %s.", r.TicketID, r.Source)
		} else if err != nil {
			return err
		}
		if t.Rating != 0 {
			return nil
		}
		t.Rating, t.RatedAt, t.UpdatedAt = r.Score, now, now
		if err := tx.SaveTicket(t); err != nil {
			return err
		}
		if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "rated", Detail: strconv.Itoa(r.Score), At: now}); err != nil {
			return err
		}
		text := fmt.Sprintf("⭐ The customer rated #%d %d/5.", t.ID, r.Score)
		low := r.Score <= b.policy.Rating.Low
		if low {
			text += fmt.Sprintf(" %s, anything they add in the next %s appears here.", Mention(t.Owner), span(b.policy.Rating.CommentWindow))
		}
		if err := b.notice(tx, t, text, now); err != nil {
			return err
		}
		if err := tx.Enqueue(b.desk(UpdateTicket, t.ID, 0, now)); err != nil {
			return err
		}
		if !low || b.policy.Rating.FollowUp == "" {
			return nil
		}
		if b.policy.Customer.Voice != nil {
			return b.speak(tx, t, SayFollowUp, "", now)
		}
		return tx.Enqueue(&Delivery{Destination: sourceQueue(t.Source, t.Conversation), Job: SendGreeting, TicketID: t.ID,
			Source: t.Source, Conversation: t.Conversation, Text: b.policy.Rating.FollowUp, NextAt: now, CreatedAt: now})
	})
	if err != nil {
		return fmt.Errorf("rating of #%d: %w", r.TicketID, err)
	}
	b.wake()
	return nil
}

// comment takes a customer's message after a low score as their comment on
// it: it joins the resolved ticket's thread and pings the owner, once, and
// does not reopen the ticket. ok is false when the message is no such
// comment.
func (b *Bot) comment(tx Tx, t Ticket, m *Message, now time.Time) (ok bool, err error) {
	p := b.policy.Rating
	if t.State != Resolved || t.Rating == 0 || t.Rating > p.Low || now.Sub(t.RatedAt) > p.CommentWindow {
		return false, nil
	}
	fresh, err := tx.FirstSight(fmt.Sprintf("rating-comment:%d", t.ID), now)
	if err != nil || !fresh {
		return false, err
	}
	if err := tx.AddMessage(m); err != nil {
		return false, err
	}
	if err := tx.Enqueue(b.desk(PostMessage, t.ID, m.ID, now)); err != nil {
		return false, err
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "rating_comment", At: now}); err != nil {
		return false, err
	}
	return true, b.notice(tx, t, fmt.Sprintf("💬 %s, the customer explained their %d/5 for #%d (above). The ticket stays resolved; if it needs more, claim and reply.",
		Mention(t.Owner), t.Rating, t.ID), now)
}
