//lint:file-ignore ST1005 these errors are sentences for whoever reads the thread, and start with the proper noun Telegram

package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/adapters/chunk"
	"caredesk/bot"
)

// maxDeleteAge is how long after sending a bot may delete its message:
// Telegram lets it delete messages "sent less than 48 hours ago".
const maxDeleteAge = 48 * time.Hour

// Telegram's words for an edit that cannot go the way it was asked: a text
// edit of a photo, a caption edit of a text.
const (
	noTextToEdit    = "there is no text in the message to edit"
	noCaptionToEdit = "there is no caption in the message to edit"
)

// EditSent changes the customer's copy of the message ref (a Send's
// answer) in chat m.Conversation to m.Text: the caption of a message that
// carries m.Files, else its text. Send's ref is the message with the
// words, which is a text when they did not fit a caption, so an edit
// Telegram answers "there is no caption (text) in the message" is made
// the other way. An edit that changes nothing is done; a message that is
// gone, or words too long to fit in place, are bot.Permanent errors that
// say what to do. A reply Send had to cut into several messages changes
// in its last one only.
func (c *Client) EditSent(ctx context.Context, ref string, m bot.Outgoing) error {
	chatID, err := strconv.ParseInt(m.Conversation, 10, 64)
	if err != nil {
		return bot.Permanent(fmt.Errorf("%q is not a Telegram chat id, so the message cannot be changed", m.Conversation))
	}
	messageID, err := strconv.Atoi(ref)
	if err != nil || messageID <= 0 {
		return bot.Permanent(fmt.Errorf("%q is not a Telegram message id, so the message cannot be changed; send the correction as a new reply", ref))
	}
	// Words too long for a caption were sent as a text: try that first.
	caption := len(m.Files) > 0 && chunk.UTF16(m.Text) <= maxCaptionLen
	err = c.edit(ctx, chatID, messageID, m.Text, caption)
	if desc := refusedWith(err); strings.Contains(desc, noCaptionToEdit) || strings.Contains(desc, noTextToEdit) {
		err = c.edit(ctx, chatID, messageID, m.Text, !caption)
	}
	return err
}

// edit makes one editMessageCaption (caption) or editMessageText call.
func (c *Client) edit(ctx context.Context, chatID int64, messageID int, text string, caption bool) error {
	base := tgbotapi.BaseEdit{ChatID: chatID, MessageID: messageID}
	var config tgbotapi.Chattable
	switch n := chunk.UTF16(text); {
	case caption && n > maxCaptionLen:
		return bot.Permanent(fmt.Errorf("the new text is %d characters, longer than the %d Telegram allows under a photo or file, so it is too long to edit in place; send a new reply", n, maxCaptionLen))
	case caption:
		config = tgbotapi.EditMessageCaptionConfig{BaseEdit: base, Caption: text}
	case strings.TrimSpace(text) == "":
		return bot.Permanent(errors.New("the new text is empty, and Telegram keeps no empty message; delete the reply instead"))
	case n > maxMessageLen:
		return bot.Permanent(fmt.Errorf("the new text is %d characters, longer than the %d of one Telegram message, so it is too long to edit in place; send a new reply", n, maxMessageLen))
	default:
		config = tgbotapi.EditMessageTextConfig{BaseEdit: base, Text: text}
	}
	api, stop := c.call(ctx, callTimeout)
	defer stop()
	_, err := api.Request(config)
	desc := refusedWith(err)
	switch {
	case err == nil, strings.Contains(desc, "message is not modified"):
		return nil // the customer reads the words already
	case strings.Contains(desc, "message to edit not found"):
		return bot.Permanent(&explained{msg: fmt.Sprintf("the customer's copy is gone: they may have deleted the chat (telegram: %s)", desc), err: err})
	case strings.Contains(desc, "message can't be edited"):
		return bot.Permanent(&explained{msg: fmt.Sprintf("Telegram no longer lets caredesk change that message (%s); send the correction as a new reply", desc), err: err})
	}
	return c.redact(c.apiError("the edit of a message in chat "+strconv.FormatInt(chatID, 10), err))
}

// DeleteSent deletes the message ref (a Send's answer) in t's chat.
// Telegram lets bots delete their messages within 48 hours of sending
// them: an older one (by sentAt, or by Telegram's answer) is a
// bot.Permanent error that says the customer still sees it. A message
// already gone is done.
func (c *Client) DeleteSent(ctx context.Context, t bot.Ticket, ref string, sentAt time.Time) error {
	chatID, err := strconv.ParseInt(t.Conversation, 10, 64)
	if err != nil {
		return bot.Permanent(fmt.Errorf("%q is not a Telegram chat id, so the message cannot be deleted", t.Conversation))
	}
	messageID, err := strconv.Atoi(ref)
	if err != nil || messageID <= 0 {
		return bot.Permanent(fmt.Errorf("%q is not a Telegram message id, so the message cannot be deleted; the customer still sees it", ref))
	}
	tooOld := errors.New("Telegram lets bots delete a message only within 48 hours of sending it; the customer still sees it")
	if !sentAt.IsZero() && time.Since(sentAt) >= maxDeleteAge {
		return bot.Permanent(tooOld)
	}
	api, stop := c.call(ctx, callTimeout)
	defer stop()
	_, err = api.Request(tgbotapi.DeleteMessageConfig{ChatID: chatID, MessageID: messageID})
	desc := refusedWith(err)
	switch {
	case err == nil, strings.Contains(desc, "message to delete not found"):
		return nil // gone already: the customer, or an earlier try, deleted it
	case strings.Contains(desc, "message can't be deleted"):
		return bot.Permanent(&explained{msg: tooOld.Error(), err: err})
	}
	return c.redact(c.apiError("the deletion of a message in chat "+t.Conversation, err))
}

// refusedWith is the description of Telegram's 400 refusal of a call, in
// lower case, or "" when err is none.
func refusedWith(err error) string {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) && apiErr.Code == http.StatusBadRequest {
		return strings.ToLower(apiErr.Message)
	}
	return ""
}
