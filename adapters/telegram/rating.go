package telegram

import (
	"context"
	"strconv"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/bot"
)

// Rater takes a customer's answer to the satisfaction question. The core's
// *bot.Bot is one. Like Receive, nil means stored (or a repeat); an
// application error (bot.Error) or a bot.Permanent one is the core's final
// "no"; any other error means "not stored", and the update carrying the
// answer is not confirmed, so that Telegram delivers it again.
type Rater interface {
	Rate(ctx context.Context, r bot.Rating) error
}

// What the customer reads in the notification after pressing a rating
// button: thanks once the answer is stored (or was before), and
// RatingRefused when the core will not take it (the ticket is not theirs,
// or they were not asked about it).
const (
	RatingThanks  = "Thank you!"
	RatingRefused = "This question has expired."
)

// ratingLabels are the five buttons, 1 (bad) to 5 (great): short, so that
// one row fits a phone's width.
var ratingLabels = [5]string{"1 😞", "2 🙁", "3 😐", "4 🙂", "5 😀"}

// answerTimeout bounds the calls that tell the customer their press was
// taken; they hold up the updates behind it, and they are best effort.
const answerTimeout = 10 * time.Second

// ratingKeyboard is one row of the five answers about ticket, each
// carrying bot.RatingData back in its callback query.
func ratingKeyboard(ticket int64) tgbotapi.InlineKeyboardMarkup {
	row := make([]tgbotapi.InlineKeyboardButton, 0, len(ratingLabels))
	for i, label := range ratingLabels {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(label, bot.RatingData(ticket, i+1)))
	}
	return tgbotapi.NewInlineKeyboardMarkup(row)
}

// rating reads a press of a rating button. ok is false for every other
// update. The callback query's id is the answer's event id: Telegram sends
// the same one when it delivers the update again.
func rating(u tgbotapi.Update) (q *tgbotapi.CallbackQuery, r bot.Rating, ok bool) {
	q = u.CallbackQuery
	if q == nil || q.From == nil {
		return nil, bot.Rating{}, false
	}
	ticket, score, ok := bot.ParseRatingData(q.Data)
	if !ok {
		return nil, bot.Rating{}, false
	}
	return q, bot.Rating{
		Source: SourceName, TicketID: ticket, Score: score,
		CustomerID: strconv.FormatInt(q.From.ID, 10), EventID: q.ID,
	}, true
}

// rate hands a press of a rating button to the core, then tells the
// customer: thanks and the question's buttons replaced by their answer,
// or, when the core refuses it, why. It returns an error only when the
// core could not store the answer: the update is then to be delivered
// again, and the press is answered then (a callback query takes one
// answer). Telling the customer is best effort and never fails the update.
func (c *Client) rate(ctx context.Context, q *tgbotapi.CallbackQuery, r bot.Rating) error {
	if c.rater == nil {
		c.log.Debug("dropped a rating: no Rater is set", "ticket", r.TicketID, "score", r.Score)
		c.answerQuery(ctx, q.ID, "")
		return nil
	}
	first, err := c.rated(q, func() error { return c.rater.Rate(ctx, r) })
	switch {
	case err == nil:
		c.answerQuery(ctx, q.ID, RatingThanks)
		if first {
			c.showAnswer(ctx, q, r.Score)
		}
	case refused(err):
		c.log.Info("the core refused a rating", "ticket", r.TicketID, "customer", r.CustomerID, "err", c.redact(err))
		c.answerQuery(ctx, q.ID, RatingRefused)
	default:
		return err
	}
	return nil
}

// answerQuery stops the pressed button's spinner and shows text, if any,
// as a notification.
func (c *Client) answerQuery(ctx context.Context, id, text string) {
	api, stop := c.call(ctx, answerTimeout)
	defer stop()
	if _, err := api.Request(tgbotapi.NewCallback(id, text)); err != nil {
		// An answer after Telegram's timeout is refused; the press counts.
		c.log.Warn("could not answer a button press on Telegram", "err", c.redact(err))
	}
}

// showAnswer replaces the question's buttons with the chosen score, so
// that the customer sees what they answered and cannot press again.
func (c *Client) showAnswer(ctx context.Context, q *tgbotapi.CallbackQuery, score int) {
	m := q.Message
	if m == nil || m.Chat == nil || m.Date == 0 {
		return // a message Telegram no longer shows the bot (over 48 hours old)
	}
	api, stop := c.call(ctx, answerTimeout)
	defer stop()
	var edit tgbotapi.Chattable = tgbotapi.NewEditMessageReplyMarkup(m.Chat.ID, m.MessageID,
		tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}})
	// Without a reply_markup, an edit of the text takes the keyboard off.
	if text := m.Text + "\n\nYour answer: " + ratingLabels[score-1]; m.Text != "" && len(utf16.Encode([]rune(text))) <= maxMessageLen {
		edit = tgbotapi.NewEditMessageText(m.Chat.ID, m.MessageID, text)
	}
	if _, err := api.Request(edit); err != nil {
		// A second press edits a message already edited: "not modified".
		c.log.Debug("could not show the customer's rating on the question", "chat", m.Chat.ID, "message", m.MessageID, "err", c.redact(err))
	}
}

// rated calls rate, the core, with the questions' lock held, and reports
// whether the answer to q's question is yet to be shown, remembering that
// it is now. Of two quick presses (the webhook takes updates at once), only
// the one the core kept is shown: the first to rate is the first to show.
// It remembers the last maxProgress questions, within this process's life:
// enough for presses that come a moment apart.
func (c *Client) rated(q *tgbotapi.CallbackQuery, rate func() error) (first bool, err error) {
	c.rating.Lock()
	defer c.rating.Unlock()
	if err := rate(); err != nil {
		return false, err
	}
	if q.Message == nil || q.Message.Chat == nil {
		return true, nil
	}
	key := strconv.FormatInt(q.Message.Chat.ID, 10) + ":" + strconv.Itoa(q.Message.MessageID)
	if c.shown[key] {
		return false, nil
	}
	if c.shown == nil || len(c.shown) >= maxProgress {
		c.shown = map[string]bool{}
	}
	c.shown[key] = true
	return true, nil
}
