package telegram

import (
	"context"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/bot"
)

// Reacher takes the news that a customer blocked the bot, or started it
// again. The core's *bot.Bot is one. Like Receive, nil means stored (or a
// repeat); an application error (bot.Error) or a bot.Permanent one is the
// core's final "no"; any other error means "not stored", and the update is
// not confirmed, so that Telegram delivers it again.
type Reacher interface {
	Reachable(ctx context.Context, r bot.Reachability) error
}

// The bot's statuses in a private chat, in my_chat_member updates.
const (
	statusKicked = "kicked" // the customer blocked the bot
	statusMember = "member" // the customer started, or unblocked, it
)

// reachability reads a customer blocking or unblocking the bot, which
// Telegram tells in a my_chat_member update of their private chat. ok is
// false for every other update, the bot being added to or removed from a
// group included: that is no customer's choice about their messages.
func reachability(u tgbotapi.Update) (r bot.Reachability, ok bool) {
	m := u.MyChatMember
	if m == nil || !m.Chat.IsPrivate() {
		return bot.Reachability{}, false
	}
	var blocked bool
	switch m.NewChatMember.Status {
	case statusKicked:
		blocked = true
	case statusMember:
	default:
		return bot.Reachability{}, false
	}
	customer := m.From.ID
	if customer == 0 {
		customer = m.Chat.ID // in a private chat, the customer's id is the chat's
	}
	return bot.Reachability{
		Source:       SourceName,
		Conversation: strconv.FormatInt(m.Chat.ID, 10),
		CustomerID:   strconv.FormatInt(customer, 10),
		Blocked:      blocked,
		EventID:      strconv.Itoa(u.UpdateID), // as for messages: Telegram redelivers with the same update_id
	}, true
}

// reach hands a block or unblock to the core. It returns an error only
// when the core could not store it: the update is then to be delivered
// again. Without a Reacher the news is dropped.
func (c *Client) reach(ctx context.Context, r bot.Reachability) error {
	if c.reacher == nil {
		c.log.Debug("dropped a block or unblock: no Reacher is set", "chat", r.Conversation, "blocked", r.Blocked)
		return nil
	}
	err := c.reacher.Reachable(ctx, r)
	if err != nil && refused(err) {
		c.log.Warn("the core refused a customer's block or unblock of the bot; it is dropped", "chat", r.Conversation, "blocked", r.Blocked, "err", c.redact(err))
		return nil
	}
	return err
}
