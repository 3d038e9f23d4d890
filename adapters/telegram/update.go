package telegram

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// allowedUpdates are the kinds of update caredesk asks Telegram for, by
// polling and by webhook alike. Telegram keeps the last list it was given
// (another program with the token may have narrowed it), so caredesk always
// names its own; my_chat_member tells that a customer blocked the bot.
var allowedUpdates = []string{
	tgbotapi.UpdateTypeMessage, tgbotapi.UpdateTypeEditedMessage,
	tgbotapi.UpdateTypeCallbackQuery, tgbotapi.UpdateTypeMyChatMember,
}

// take hands one update to the core: a customer's message to r, a press
// of a rating button to the Rater, a block or unblock to the Reacher. It
// returns an error only when the core could not store it, and the update
// must then come again; what the core refuses for good, and updates that
// are none of these, are done with.
func (c *Client) take(ctx context.Context, r Receiver, u tgbotapi.Update) error {
	if in, ok := inbound(u); ok {
		err := r.Receive(ctx, in)
		if err != nil && refused(err) {
			c.log.Warn("the core refused a Telegram message; it is dropped", "update_id", u.UpdateID, "err", c.redact(err))
			return nil
		}
		return err
	}
	if q, rt, ok := rating(u); ok {
		return c.rate(ctx, q, rt)
	}
	if re, ok := reachability(u); ok {
		return c.reach(ctx, re)
	}
	c.log.Debug("ignored a Telegram update that is no customer message", "update_id", u.UpdateID)
	return nil
}
