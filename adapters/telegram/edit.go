//lint:file-ignore ST1005 these errors are sentences for whoever reads the thread, and start with the proper noun Telegram

package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
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

// EditSent changes the customer's copy of the reply ref (a Send's answer,
// see sentRef) in chat m.Conversation to m.Text. Words that went as text
// are cut as Send cuts them and go into the same messages, each edited in
// place (one that reads the same already is done): a correction that
// would need more messages than the reply went as is refused before
// anything changes, and one that needs fewer deletes the text messages
// left over. Words that went as the caption of a file change there. Files
// are never sent again, nor deleted. A message that is gone, or words too
// long to fit in place, are bot.Permanent errors that say what to do.
//
// A ref of one id (from before refs listed every message, or a reply of
// one text) names the words' message of either kind: the caption of a
// message that carries m.Files, else its text, and an edit Telegram
// answers "there is no caption (text) in the message" is made the other
// way. A reply such a ref names that Send had to cut into several
// messages changes in its last one only.
func (c *Client) EditSent(ctx context.Context, ref string, m bot.Outgoing) error {
	chatID, err := strconv.ParseInt(m.Conversation, 10, 64)
	if err != nil {
		return bot.Permanent(fmt.Errorf("%q is not a Telegram chat id, so the message cannot be changed", m.Conversation))
	}
	r, ok := parseRef(ref)
	if !ok {
		return bot.Permanent(fmt.Errorf("%q does not name the Telegram messages of a reply, so it cannot be changed; send the correction as a new reply", ref))
	}
	switch {
	case r.plain && len(m.Files) > 0:
		// Words too long for a caption were sent as a text: try that first.
		caption := chunk.UTF16(m.Text) <= maxCaptionLen
		err = c.edit(ctx, chatID, r.texts[0], m.Text, caption)
		if desc := refusedWith(err); strings.Contains(desc, noCaptionToEdit) || strings.Contains(desc, noTextToEdit) {
			err = c.edit(ctx, chatID, r.texts[0], m.Text, !caption)
		}
		return err
	case r.plain:
		err = c.editParts(ctx, chatID, r.texts, m.Text)
		if strings.Contains(refusedWith(err), noTextToEdit) {
			err = c.edit(ctx, chatID, r.texts[0], m.Text, true)
		}
		return err
	case len(r.texts) == 0:
		return c.edit(ctx, chatID, r.files[0], m.Text, true)
	}
	return c.editParts(ctx, chatID, r.texts, m.Text)
}

// errEmptyEdit refuses an edit to no words.
var errEmptyEdit = errors.New("the new text is empty, and Telegram keeps no empty message; delete the reply instead")

// editParts puts text, cut as Send cuts it, into the text messages texts
// of a reply, and deletes those it no longer needs.
func (c *Client) editParts(ctx context.Context, chatID int64, texts []int, text string) error {
	if strings.TrimSpace(text) == "" {
		return bot.Permanent(errEmptyEdit)
	}
	parts := chunk.Split(text, chunk.Limit{Max: maxMessageLen, Width: chunk.UTF16})
	if len(parts) > len(texts) {
		return bot.Permanent(fmt.Errorf("the corrected reply is longer than the messages it was sent as; send the rest as a new reply (it needs %d Telegram messages of up to %d characters, and went as %d)", len(parts), maxMessageLen, len(texts)))
	}
	// The messages left over go first: Telegram deletes only within 48
	// hours, and when it refuses, the words have not changed yet.
	if extra := texts[len(parts):]; len(extra) > 0 {
		refused, err := c.deleteEach(ctx, chatID, extra)
		if err != nil {
			return err
		}
		if len(refused) > 0 {
			return bot.Permanent(fmt.Errorf("the corrected reply needs %d of the %d messages it was sent as, and Telegram did not delete the ones left over: %s; the words were not changed: keep the reply's length, or delete it and send a new one", len(parts), len(texts), refused))
		}
	}
	// From the last part back: a part an earlier, shorter correction
	// deleted is found missing before the first words change.
	for i := len(parts) - 1; i >= 0; i-- {
		err := c.edit(ctx, chatID, texts[i], parts[i], false)
		switch {
		case err == nil:
		case i > 0 && strings.Contains(refusedWith(err), "message to edit not found"):
			return bot.Permanent(&explained{msg: fmt.Sprintf("the corrected reply needs %d messages, but the customer's copy has no message %d of the reply any more (an earlier, shorter correction deleted it, or the customer did); send the rest as a new reply", len(parts), i+1), err: err})
		case len(parts) == 1:
			return err
		default:
			return fmt.Errorf("part %d of %d of the corrected reply: %w", i+1, len(parts), err)
		}
	}
	return nil
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
		return bot.Permanent(errEmptyEdit)
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

// tooOld is why Telegram does not delete a message any more.
const tooOld = "Telegram lets bots delete a message only within 48 hours of sending it"

// DeleteSent deletes every message of the reply ref (a Send's answer, see
// sentRef: its text parts and its files) in t's chat, one deleteMessage
// call each rather than one deleteMessages: that one does not say which
// messages it skipped or why, and the simulator the tests run against
// (sim/telegramsim) does not have it. Telegram
// lets bots delete their messages within 48 hours of sending them: an
// older reply (by sentAt, which is then not even tried, or by Telegram's
// answer) is a bot.Permanent error that says the customer still sees it.
// A message already gone is done. When Telegram deletes some and refuses
// others, the error is bot.Permanent and names those the customer still
// sees; a temporary failure stops at the message it failed on, and a
// retry finds those deleted before gone.
func (c *Client) DeleteSent(ctx context.Context, t bot.Ticket, ref string, sentAt time.Time) error {
	chatID, err := strconv.ParseInt(t.Conversation, 10, 64)
	if err != nil {
		return bot.Permanent(fmt.Errorf("%q is not a Telegram chat id, so the message cannot be deleted", t.Conversation))
	}
	r, ok := parseRef(ref)
	if !ok {
		return bot.Permanent(fmt.Errorf("%q does not name the Telegram messages of a reply, so it cannot be deleted; the customer still sees it", ref))
	}
	if !sentAt.IsZero() && time.Since(sentAt) >= maxDeleteAge {
		return bot.Permanent(errors.New(tooOld + "; the customer still sees it"))
	}
	ids := r.all()
	refused, err := c.deleteEach(ctx, chatID, ids)
	switch {
	case err != nil:
		return err
	case len(refused) == 0:
		return nil
	case len(refused) == 1 && len(refused[0].ids) == len(ids):
		// One reason for them all: it says what it says for one message.
		return refused[0].err
	}
	n := 0
	for _, f := range refused {
		n += len(f.ids)
	}
	if n == len(ids) {
		return bot.Permanent(fmt.Errorf("Telegram deleted none of the reply's %d messages: %s; the customer still sees them", len(ids), refused))
	}
	them := "them"
	if n == 1 {
		them = "it"
	}
	return bot.Permanent(fmt.Errorf("Telegram deleted %d of the reply's %d messages but not %s; the customer still sees %s", len(ids)-n, len(ids), refused, them))
}

// refusedDeletion is messages Telegram would not delete, for one reason.
type refusedDeletion struct {
	ids []int
	why string // the reason, without what it means for the customer
	err error  // the refusal of the first, as DeleteSent returns it for one message
}

// refusedDeletions lists the refused messages by reason.
type refusedDeletions []refusedDeletion

func (rs refusedDeletions) String() string {
	var s []string
	for _, r := range rs {
		ids := make([]string, len(r.ids))
		for i, id := range r.ids {
			ids[i] = strconv.Itoa(id)
		}
		noun := "message "
		if len(ids) > 1 {
			noun = "messages "
		}
		s = append(s, noun+strings.Join(ids, ", ")+" ("+r.why+")")
	}
	return strings.Join(s, "; ")
}

// deleteEach deletes the messages ids in chatID, one call each. A message
// already gone counts as deleted; refused are those Telegram refuses for
// good, by reason. err is a failure worth trying again (the network,
// Telegram's 5xx, flood control), which stops at the message it hit.
func (c *Client) deleteEach(ctx context.Context, chatID int64, ids []int) (refused refusedDeletions, err error) {
	for _, id := range ids {
		why, err := c.deleteOne(ctx, chatID, id)
		switch {
		case err == nil:
			continue
		case !bot.IsPermanent(err):
			return nil, err
		}
		i := slices.IndexFunc(refused, func(r refusedDeletion) bool { return r.why == why })
		if i < 0 {
			refused = append(refused, refusedDeletion{why: why, err: err})
			i = len(refused) - 1
		}
		refused[i].ids = append(refused[i].ids, id)
	}
	return refused, nil
}

// deleteOne makes one deleteMessage call. A message already gone is
// deleted; a refusal for good is a bot.Permanent err, with why it was
// refused in a few words.
func (c *Client) deleteOne(ctx context.Context, chatID int64, messageID int) (why string, err error) {
	api, stop := c.call(ctx, callTimeout)
	defer stop()
	_, err = api.Request(tgbotapi.DeleteMessageConfig{ChatID: chatID, MessageID: messageID})
	desc := refusedWith(err)
	switch {
	case err == nil, strings.Contains(desc, "message to delete not found"):
		return "", nil // gone already: the customer, or an earlier try, deleted it
	case strings.Contains(desc, "message can't be deleted"):
		return tooOld, bot.Permanent(&explained{msg: tooOld + "; the customer still sees it", err: err})
	}
	err = c.redact(c.apiError("the deletion of a message in chat "+strconv.FormatInt(chatID, 10), err))
	return err.Error(), err
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
