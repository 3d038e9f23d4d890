package bot

import (
	"context"
	"strconv"
	"strings"
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

// Rate records a customer's satisfaction score on the ticket asked about.
// A repeated answer (the same EventID, or a second press) changes nothing
// and returns nil: the first answer counts. An *Error says why an answer
// is refused: EINVALID for a score outside 1–5, ENOTFOUND when the ticket
// is not the answering customer's on that source.
func (b *Bot) Rate(ctx context.Context, r Rating) error {
	return b.rate(ctx, r)
}

func (b *Bot) rate(ctx context.Context, r Rating) error { return Errorf(EINVALID, "Ratings are not taken yet.") }
