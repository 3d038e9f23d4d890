package telegram

import (
	"context"
	"encoding/json"

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
func (c *Client) take(ctx context.Context, r Receiver, u update) error {
	if in, ok := inbound(u); ok {
		err := r.Receive(ctx, in)
		if err != nil && refused(err) {
			c.log.Warn("the core refused a Telegram message; it is dropped", "update_id", u.UpdateID, "err", c.redact(err))
			return nil
		}
		return err
	}
	if q, rt, ok := rating(u.Update); ok {
		return c.rate(ctx, q, rt)
	}
	if re, ok := reachability(u.Update); ok {
		return c.reach(ctx, re)
	}
	c.log.Debug("ignored a Telegram update that is no customer message", "update_id", u.UpdateID)
	return nil
}

// update is an update as caredesk reads it: the library's, and what the
// library (v5.5.1) leaves out of it.
type update struct {
	tgbotapi.Update
	// videoSticker says the message's sticker is a video sticker (WEBM),
	// whose is_video the library's Sticker lacks: without it the file
	// would be named and typed as a WEBP picture.
	videoSticker bool
}

// parseUpdate reads one update as Telegram sends it.
func parseUpdate(raw []byte) (update, error) {
	var u update
	if err := json.Unmarshal(raw, &u.Update); err != nil {
		return update{}, err
	}
	type sticker struct {
		IsVideo bool `json:"is_video"`
	}
	type message struct {
		Sticker *sticker `json:"sticker"`
	}
	var extra struct {
		Message       *message `json:"message"`
		EditedMessage *message `json:"edited_message"`
	}
	if json.Unmarshal(raw, &extra) == nil {
		for _, m := range []*message{extra.Message, extra.EditedMessage} {
			if m != nil && m.Sticker != nil && m.Sticker.IsVideo {
				u.videoSticker = true
			}
		}
	}
	return u, nil
}
