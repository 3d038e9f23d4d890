package bluesky

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"caredesk/adapters/chunk"
	"caredesk/bot"
	"caredesk/listen"
)

// chatProxy names Bluesky's chat service in the atproto-proxy header: the
// PDS forwards chat.bsky.* calls to it with the brand's credentials.
const chatProxy = "did:web:api.bsky.chat#bsky_chat"

// dmPrefix starts the conversation of a ticket that went private: "dm:"
// and the chat service's conversation id.
const dmPrefix = "dm:"

// dmLimit is the chat service's limit on a message: 1000 graphemes,
// counted as runes (see postLimit).
var dmLimit = chunk.Limit{Max: 1000}

// dmRetry is how long the listener leaves direct messages alone after
// the chat service refused its app password, before asking again.
const dmRetry = time.Hour

// convo is chat.bsky.convo.defs#convoView, as much as caredesk reads.
type convo struct {
	ID          string   `json:"id"`
	Members     []author `json:"members"`
	UnreadCount int      `json:"unreadCount"`
	Status      string   `json:"status"` // "request" or "accepted"
}

// message is chat.bsky.convo.defs#messageView (a deleted message has no
// text, and is skipped).
type message struct {
	Type   string `json:"$type"`
	ID     string `json:"id"`
	Text   string `json:"text"`
	Sender struct {
		DID string `json:"did"`
	} `json:"sender"`
	SentAt string `json:"sentAt"`
}

// scopeError is the chat service refusing an app password made without
// access to direct messages.
type scopeError struct{ name string }

func (e *scopeError) Error() string {
	return fmt.Sprintf("the app password of Bluesky source %s does not allow direct messages: create one with \"Allow access to your direct messages\" ticked under Settings → Privacy and security → App passwords", e.name)
}

// chat is callVia to the chat service, telling an app password without
// the scope for it.
func (l *Listener) chat(ctx context.Context, nsid string, query url.Values, body, out any) error {
	err := l.callVia(ctx, chatProxy, nsid, query, body, out)
	var xe *xrpcError
	if errors.As(err, &xe) && xe.badScope() {
		return &scopeError{name: l.name}
	}
	return err
}

// OpenPrivate returns the direct conversation between the brand and t's
// customer ("dm:" and its id), which the chat service opens when there
// is none: the desk's replies go there once a ticket went private.
func (l *Listener) OpenPrivate(ctx context.Context, t bot.Ticket) (string, error) {
	if !strings.HasPrefix(t.Customer.ID, "did:") {
		return "", bot.Permanent(fmt.Errorf("the ticket's customer %q is not a Bluesky account, so no direct conversation can be opened", t.Customer.ID))
	}
	var answer struct {
		Convo convo `json:"convo"`
	}
	err := l.chat(ctx, "chat.bsky.convo.getConvoForMembers", url.Values{"members": {t.Customer.ID}}, nil, &answer)
	if err != nil {
		return "", l.dmError(err, "the direct conversation could not be opened")
	}
	if answer.Convo.ID == "" {
		return "", errors.New("the Bluesky chat service answered no conversation; asking again")
	}
	return dmPrefix + answer.Convo.ID, nil
}

// sendDM sends m into the direct conversation id, in pieces of at most a
// message's length. The chat service takes no idempotency key, so a
// piece is taken as sent by an earlier attempt when the conversation
// already holds it from the brand after the customer's last message: the
// brand never means to say the same thing twice in a row.
func (l *Listener) sendDM(ctx context.Context, id string, m bot.Outgoing) (string, error) {
	s, err := l.session(ctx)
	if err != nil {
		return "", l.dmError(err, "the reply could not be sent")
	}
	recent, err := l.messages(ctx, id, 50)
	if err != nil {
		return "", l.dmError(err, "the reply could not be sent")
	}
	sent := map[string]string{} // text → id, of the brand's messages since the customer last wrote
	for _, msg := range recent {
		if msg.Sender.DID != s.did {
			break
		}
		sent[msg.Text] = msg.ID
	}
	first := ""
	for _, piece := range chunk.Split(m.Text, dmLimit) {
		ref, ok := sent[piece]
		if !ok {
			var made message
			in := map[string]any{"convoId": id, "message": map[string]string{"text": piece}}
			if err := l.chat(ctx, "chat.bsky.convo.sendMessage", nil, in, &made); err != nil {
				return "", l.dmError(err, "the reply could not be sent")
			}
			ref = made.ID
		}
		if first == "" {
			first = ref
		}
	}
	return dmPrefix + id + "/" + first, nil
}

// messages returns the newest messages of the conversation id, newest
// first.
func (l *Listener) messages(ctx context.Context, id string, limit int) ([]message, error) {
	var page struct {
		Messages []message `json:"messages"`
	}
	q := url.Values{"convoId": {id}, "limit": {fmt.Sprint(limit)}}
	if err := l.chat(ctx, "chat.bsky.convo.getMessages", q, nil, &page); err != nil {
		return nil, err
	}
	return page.Messages, nil
}

// dmError classifies an error of the chat service for the delivery
// workers; what says what failed.
func (l *Listener) dmError(err error, what string) error {
	var se *scopeError
	if errors.As(err, &se) {
		return bot.Permanent(fmt.Errorf("%s: %w", what, se))
	}
	var xe *xrpcError
	if errors.As(err, &xe) && xe.Status == 400 && !xe.expired() {
		return bot.Permanent(fmt.Errorf("%s: Bluesky's chat service said %q — the customer may not take direct messages from the brand; answer in public instead", what, cmp.Or(xe.Message, xe.Name)))
	}
	return l.sendError(err)
}

// directMessages hands r the customers' unread direct messages, and
// marks a conversation read once all its messages were stored. An app
// password without access to them is a warning, once an hour, not a
// failed poll: mentions and searches still work.
func (l *Listener) directMessages(ctx context.Context, r Receiver, own string, cutoff time.Time) error {
	l.mu.Lock()
	off := l.now().Before(l.dmOffUntil)
	l.mu.Unlock()
	if off {
		return nil
	}
	unread := map[string]convo{}
	// Requests (from people the brand does not follow) and accepted
	// conversations are listed apart: a customer's first message is
	// usually a request.
	for _, status := range []string{"request", "accepted"} {
		var page struct {
			Convos []convo `json:"convos"`
		}
		q := url.Values{"limit": {"50"}, "readState": {"unread"}, "status": {status}}
		if err := l.chat(ctx, "chat.bsky.convo.listConvos", q, nil, &page); err != nil {
			var se *scopeError
			if errors.As(err, &se) {
				l.log.Warn("direct messages are not read", "why", se.Error())
				l.mu.Lock()
				l.dmOffUntil = l.now().Add(dmRetry)
				l.mu.Unlock()
				return nil
			}
			return err
		}
		for _, c := range page.Convos {
			if c.UnreadCount > 0 {
				unread[c.ID] = c
			}
		}
	}
	for _, c := range unread {
		if err := l.readConvo(ctx, r, c, own, cutoff); err != nil {
			return err
		}
	}
	return nil
}

// readConvo hands r the customer's messages of c not handed yet, oldest
// first, then marks c read up to its newest message.
func (l *Listener) readConvo(ctx context.Context, r Receiver, c convo, own string, cutoff time.Time) error {
	msgs, err := l.messages(ctx, c.ID, 50)
	if err != nil {
		return err
	}
	var customer author
	for _, m := range c.Members {
		if m.DID != own {
			customer = m
		}
	}
	slices.Reverse(msgs)
	all := true
	for _, m := range msgs {
		at := listen.Time(m.SentAt)
		l.mu.Lock()
		_, done := l.handed[dmPrefix+m.ID]
		l.mu.Unlock()
		if done || m.ID == "" || m.Text == "" || m.Sender.DID == own || m.Sender.DID != customer.DID || at.Before(cutoff) {
			continue
		}
		in := l.dmInbound(ctx, c.ID, customer, m, at)
		if err := r.Receive(ctx, in); err != nil {
			l.log.Error("a Bluesky direct message was not stored; it is handed again at the next poll", "convo", c.ID, "err", err)
			all = false
			continue
		}
		l.mu.Lock()
		l.handed[dmPrefix+m.ID] = at
		l.mu.Unlock()
	}
	if !all || len(msgs) == 0 {
		return nil
	}
	in := map[string]string{"convoId": c.ID, "messageId": msgs[len(msgs)-1].ID}
	if err := l.chat(ctx, "chat.bsky.convo.updateRead", nil, in, nil); err != nil {
		l.log.Warn("could not mark a Bluesky conversation read; its messages are looked at again", "convo", c.ID, "err", err)
	}
	return nil
}

// dmInbound is the direct message m of customer as the core takes it:
// private, with no public address.
func (l *Listener) dmInbound(ctx context.Context, id string, customer author, m message, at time.Time) bot.Inbound {
	name := customer.DisplayName
	if strings.TrimSpace(name) == "" {
		name = customer.Handle
	}
	if at.IsZero() {
		at = l.now()
	}
	return bot.Inbound{
		Source: SourceName(l.name), MessageID: m.ID, Conversation: dmPrefix + id,
		Customer: bot.Customer{
			ID: customer.DID, Name: name, Handle: customer.Handle,
			ProfileURL: "https://bsky.app/profile/" + profileID(customer),
			Followers:  l.reach(ctx, customer),
		},
		Text: m.Text, At: at, Network: Network, Private: true,
	}
}
