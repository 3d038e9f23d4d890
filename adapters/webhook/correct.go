package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
)

// EditSent asks the bridge to change the words of the reply it took as
// ref (the id it answered to Send) to m's Text: a Reply of kind "edit"
// with "message_id": ref and no attachments, since the files of a reply
// cannot be changed once posted. It is signed, keyed and classified as
// Send: a bridge whose network cannot edit answers a 4xx with its reason,
// which becomes a bot.Permanent error the thread shows.
func (c *Client) EditSent(ctx context.Context, ref string, m bot.Outgoing) error {
	if err := c.canPost("changes to replies"); err != nil {
		return err
	}
	if ref == "" {
		return bot.Permanent(errors.New("the bridge answered no id when it took the reply, so it cannot be told which one to change; write the correction as a new reply"))
	}
	if strings.TrimSpace(m.Text) == "" {
		return bot.Permanent(errors.New("the changed reply has no words, and the bridge can change only a reply's words; delete the reply instead"))
	}
	r := c.reply(m)
	r.Kind, r.ReplyID, r.MessageID, r.Scale = KindEdit, m.MessageID, ref, nil
	if _, err := c.post(ctx, "edit", m.Key, r); err != nil {
		return err
	}
	c.log.Debug("edit taken by the bridge", "ticket", m.Ticket.ID, "reply_id", m.MessageID, "ref", ref)
	return nil
}

// DeleteSent asks the bridge to take back from t's customer the reply it
// took as ref: a Reply of kind "delete" with "message_id": ref and no
// text. Its reply_id is 0, since caredesk names the message by the
// bridge's id, and its idempotency key is made from ref, so that every
// attempt at the same deletion carries the same one. Errors are
// classified as Send's: a bridge whose network cannot delete (too late, no
// permission) answers a 4xx with its reason, a bot.Permanent error.
func (c *Client) DeleteSent(ctx context.Context, t bot.Ticket, ref string, sentAt time.Time) error {
	if err := c.canPost("changes to replies"); err != nil {
		return err
	}
	if ref == "" {
		return bot.Permanent(errors.New("the bridge answered no id when it took the reply, so it cannot be told which one to delete"))
	}
	key := deleteKey(c.src.Name, t.ID, ref)
	r := Reply{
		Kind: KindDelete, Source: c.src.Name, Ticket: t.ID, MessageID: ref,
		InReplyTo:      InReplyTo{ConversationID: t.Conversation},
		IdempotencyKey: key,
	}
	if _, err := c.post(ctx, "deletion", key, r); err != nil {
		return err
	}
	c.log.Debug("deletion taken by the bridge", "ticket", t.ID, "ref", ref, "sent_at", sentAt)
	return nil
}

// deleteKey is the idempotency key of the deletion of ref: the same for
// every attempt, and a short token whatever ref holds.
func deleteKey(source string, ticket int64, ref string) string {
	sum := sha256.Sum256([]byte(source + "\n" + strconv.FormatInt(ticket, 10) + "\n" + ref))
	return "caredesk-delete-" + hex.EncodeToString(sum[:12])
}
