package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	slackapi "github.com/slack-go/slack"

	"caredesk/bot"
	"caredesk/handlers"
)

// deliveredEmoji is the sign on an agent's message that the customer got it.
const deliveredEmoji = "heavy_check_mark"

var _ bot.Desk = (*Desk)(nil)

// The metadata types of caredesk's posts: ticket roots and thread messages.
const (
	ticketEvent  = "caredesk_ticket"
	messageEvent = "caredesk_message"
)

// PostTicket shows t as a root message of the desk channel and returns its
// ts, which is the ticket's thread from then on.
func (d *Desk) PostTicket(ctx context.Context, t bot.Ticket) (string, error) {
	blocks, fallback := ticketMessage(handlers.NewViewWith(t, d.opts.Now(), d.opts.HighReach))
	_, ts, err := d.post(ctx, d.channel(t),
		slackapi.MsgOptionText(fallback, false),
		slackapi.MsgOptionBlocks(blocks...),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionDisableMediaUnfurl(),
		// The ticket number travels with the message, so the root can be
		// told apart from other posts by machines as well as people.
		slackapi.MsgOptionMetadata(slackapi.SlackMetadata{
			EventType:    ticketEvent,
			EventPayload: map[string]any{"ticket": t.ID, "source": t.Source, "opened": t.OpenedAt.UnixMilli()},
		}),
	)
	if err != nil {
		return "", deliveryError("chat.postMessage", err)
	}
	return ts, nil
}

// FindTicket looks for t's root among the desk channel's messages since t
// was opened, by the ticket number in the root's metadata, so that a root
// whose chat.postMessage answer was lost is not posted twice.
func (d *Desk) FindTicket(ctx context.Context, t bot.Ticket) (string, error) {
	params := &slackapi.GetConversationHistoryParameters{
		ChannelID: d.channel(t), IncludeAllMetadata: true, Limit: 200,
		Oldest: fmt.Sprintf("%d.000000", t.OpenedAt.Add(-time.Minute).Unix()),
	}
	for page := 0; page < 10; page++ {
		h, err := d.api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return "", deliveryError("conversations.history", err)
		}
		for _, m := range h.Messages {
			if m.Metadata.EventType == ticketEvent && isRootOf(m.Metadata.EventPayload, t) {
				return m.Timestamp, nil
			}
		}
		if !h.HasMore || h.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = h.ResponseMetaData.NextCursor
	}
	return "", nil
}

// isRootOf reports whether a root's metadata names t. The number alone is
// not enough: a new or restored database numbers its tickets again, and
// its #4 must not adopt the root another database posted for its own #4
// (the new #4 would then never show). Roots posted before "opened" was
// recorded match by number.
func isRootOf(payload map[string]any, t bot.Ticket) bool {
	n, ok := payload["ticket"].(float64)
	if !ok || int64(n) != t.ID {
		return false
	}
	opened, ok := payload["opened"].(float64)
	return !ok || int64(opened) == t.OpenedAt.UnixMilli()
}

// FindMessage looks for m in t's thread by the message id in its metadata.
func (d *Desk) FindMessage(ctx context.Context, t bot.Ticket, m bot.Message) (string, error) {
	params := &slackapi.GetConversationRepliesParameters{ChannelID: d.channel(t), Timestamp: t.DeskThread, IncludeAllMetadata: true, Limit: 200}
	for page := 0; page < 10; page++ {
		msgs, more, cursor, err := d.api.GetConversationRepliesContext(ctx, params)
		if err != nil {
			return "", deliveryError("conversations.replies", err)
		}
		for _, r := range msgs {
			if n, ok := r.Metadata.EventPayload["message"].(float64); ok && r.Metadata.EventType == messageEvent && int64(n) == m.ID {
				return r.Timestamp, nil
			}
		}
		if !more || cursor == "" {
			break
		}
		params.Cursor = cursor
	}
	return "", nil
}

// UpdateTicket re-renders the root of t. A ticket not yet on the desk has
// nothing to update: PostTicket will render it as it is then.
func (d *Desk) UpdateTicket(ctx context.Context, t bot.Ticket) error {
	if t.DeskThread == "" {
		return nil
	}
	blocks, fallback := ticketMessage(handlers.NewViewWith(t, d.opts.Now(), d.opts.HighReach))
	err := d.update(ctx, d.channel(t), t.DeskThread,
		slackapi.MsgOptionText(fallback, false),
		slackapi.MsgOptionBlocks(blocks...),
	)
	return deliveryError("chat.update", err)
}

// PostMessage writes m into t's thread and returns its ts.
func (d *Desk) PostMessage(ctx context.Context, t bot.Ticket, m bot.Message) (string, error) {
	if t.DeskThread == "" {
		return "", fmt.Errorf("slack: ticket #%d is not on the desk yet", t.ID)
	}
	if m.Kind == bot.Notice {
		m.Text = d.links(m.Text)
	}
	blocks, fallback := textMessage(threadText(t, m), m.Kind == bot.FromCustomer)
	_, ts, err := d.post(ctx, d.channel(t),
		slackapi.MsgOptionTS(t.DeskThread),
		slackapi.MsgOptionText(fallback, false),
		slackapi.MsgOptionBlocks(blocks...),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionDisableMediaUnfurl(),
		// The message's id travels with it, so FindMessage can tell
		// whether a post whose answer was lost is already there.
		slackapi.MsgOptionMetadata(slackapi.SlackMetadata{
			EventType:    messageEvent,
			EventPayload: map[string]any{"ticket": t.ID, "message": m.ID},
		}),
	)
	if err != nil {
		return "", deliveryError("chat.postMessage", err)
	}
	return ts, nil
}

// Whisper shows text to agentID only, in t's thread when it has one.
func (d *Desk) Whisper(ctx context.Context, t bot.Ticket, agentID, text string) error {
	return deliveryError("chat.postEphemeral", d.whisper(ctx, d.channel(t), agentID, t.DeskThread, text))
}

// channel is the desk channel of t's thread: its team's, or the desk's own.
func (d *Desk) channel(t bot.Ticket) string { return d.or(t.Channel) }

// or is channel, or the desk's own channel when it is "".
func (d *Desk) or(channel string) string {
	if channel == "" {
		return d.opts.ChannelID
	}
	return channel
}

// ours reports whether channel is one of the desk's: its own or a team's.
func (d *Desk) ours(channel string) bool {
	_, team := d.opts.TeamChannels[channel]
	return channel == d.opts.ChannelID || team
}

func (d *Desk) whisper(ctx context.Context, channel, agentID, thread, text string) error {
	blocks, fallback := textMessage(safe(text), false)
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(fallback, false), slackapi.MsgOptionBlocks(blocks...)}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
	}
	_, err := d.api.PostEphemeralContext(ctx, d.or(channel), agentID, opts...)
	return err
}

// Names writes Slack's user mentions in text as "@name", for text that
// leaves Slack (a reply to a customer). Names are looked up once per
// person; one that cannot be looked up stays "@someone from the team".
func (d *Desk) Names(ctx context.Context, text string) string {
	return userMention.ReplaceAllStringFunc(text, func(m string) string {
		sub := userMention.FindStringSubmatch(m)
		if sub[2] != "" {
			return "@" + sub[2]
		}
		if name, ok := d.names.Load(sub[1]); ok {
			return "@" + name.(string)
		}
		u, err := d.api.GetUserInfoContext(ctx, sub[1])
		if err != nil {
			return "@someone from the team"
		}
		name := u.Profile.DisplayName
		if name == "" {
			name = u.Name
		}
		d.names.Store(sub[1], name)
		return "@" + name
	})
}

// userMention is a Slack user mention with its optional label.
var userMention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|([^<>|]*))?>`)

// Announce posts text as a message of its own in channel (the desk's own
// when ""), such as a hand-over of the on-call duty.
func (d *Desk) Announce(ctx context.Context, channel, text string) error {
	blocks, fallback := textMessage(safe(text), false)
	_, _, err := d.post(ctx, d.or(channel),
		slackapi.MsgOptionText(fallback, false),
		slackapi.MsgOptionBlocks(blocks...),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionDisableMediaUnfurl(),
	)
	return deliveryError("chat.postMessage", err)
}

// DirectMessage writes text to agentID in their direct conversation with
// caredesk, which notifies them wherever they are.
func (d *Desk) DirectMessage(ctx context.Context, agentID, text string) error {
	ch, _, _, err := d.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{agentID}})
	if err != nil {
		return deliveryError("conversations.open", err)
	}
	blocks, fallback := textMessage(safe(text), false)
	_, _, err = d.post(ctx, ch.ID,
		slackapi.MsgOptionText(fallback, false),
		slackapi.MsgOptionBlocks(blocks...),
		slackapi.MsgOptionDisableLinkUnfurl(),
	)
	return deliveryError("chat.postMessage", err)
}

// MarkDelivered puts a check mark on the agent's message m.
func (d *Desk) MarkDelivered(ctx context.Context, t bot.Ticket, m bot.Message) error {
	if m.DeskRef == "" {
		// The message is on its way to the desk; the mark can follow.
		return fmt.Errorf("slack: message %d is not on the desk yet", m.ID)
	}
	err := d.api.AddReactionContext(ctx, deliveredEmoji, slackapi.ItemRef{Channel: d.channel(t), Timestamp: m.DeskRef})
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "already_reacted" {
		return nil // a retry after a lost answer: the mark is there
	}
	return deliveryError("reactions.add", err)
}

// permanent are Slack's error codes that no retry mends: the setup or the
// message itself is wrong.
var permanent = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "not_allowed_token_type": true,
	"ekm_access_denied": true, "team_access_not_granted": true, "access_denied": true,
	"msg_too_long": true, "no_text": true, "invalid_blocks": true, "invalid_blocks_format": true,
	"invalid_metadata_format": true, "invalid_metadata_schema": true, "metadata_too_large": true,
	"message_not_found": true, "cant_update_message": true, "edit_window_closed": true,
	"user_not_found": true, "user_not_in_channel": true, "invalid_name": true, "bad_timestamp": true,
	"too_many_emoji": true, "too_many_reactions": true, "no_item_specified": true,
	"restricted_action": true, "restricted_action_read_only_channel": true,
	"restricted_action_thread_only_channel": true, "restricted_action_non_threadable_channel": true,
	"invalid_arguments": true, "invalid_arg_name": true, "invalid_form_data": true, "invalid_charset": true,
	"method_deprecated": true, "deprecated_endpoint": true, "unknown_method": true,
}

// deliveryError tells the outbox how to retry a failed call: as Slack
// asked (429), never (permanent), or with backoff (anything else: 5xx,
// network, codes like internal_error).
func deliveryError(method string, err error) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("slack %s: %w", method, err)
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return bot.RetryAfter(rl.RetryAfter, wrapped)
	}
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) && permanent[se.Err] {
		return bot.Permanent(wrapped)
	}
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 &&
		sc.Code != http.StatusTooManyRequests && sc.Code != http.StatusRequestTimeout {
		return bot.Permanent(wrapped)
	}
	return wrapped
}
