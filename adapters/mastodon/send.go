package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"caredesk/adapters/chunk"
	"caredesk/bot"
	"caredesk/listen"
)

// MaxChars is how many characters a status may have on Mastodon's
// default configuration.
const MaxChars = 500

// Send posts m as the brand's reply to the customer's status (m.ReplyTo,
// else m.Conversation: the root of the customer's thread), starting with
// "@acct" of the ticket's customer (else of the status's author) so that
// the customer is notified, and returns the id of the reply's first
// status. A reply longer than a status is a thread, each part replying
// to the one before. Its visibility is never wider than the customer's
// post: a direct or followers-only post, or a ticket gone private, is
// answered directly. Each part carries the Idempotency-Key m.Key+"/"+its index,
// which Mastodon honours for an hour, so a retry does not post twice.
//
// A deleted post and a refused reply (422) are bot.Permanent with a
// sentence for the agent; a 429 is bot.RetryAfter.
func (l *Listener) Send(ctx context.Context, m bot.Outgoing) (string, error) {
	if strings.TrimSpace(m.Text) == "" {
		return "", bot.Permanent(errors.New("the reply is empty, and Mastodon does not post an empty status"))
	}
	target := m.ReplyTo
	if target == "" {
		target = m.Conversation
	}
	if target == "" {
		return "", bot.Permanent(errors.New("the reply names no Mastodon post to answer, so it cannot be sent"))
	}
	var orig status
	if err := l.call(ctx, http.MethodGet, "/api/v1/statuses/"+url.PathEscape(target), nil, nil, "", "the customer's post", &orig); err != nil {
		return "", l.sendError(err, m)
	}
	if orig.Account == nil || orig.Account.Acct == "" {
		return "", bot.Permanent(fmt.Errorf("the Mastodon instance did not say who wrote post %s, so the reply cannot mention them", target))
	}
	// The ticket's customer, who is the author of m.ReplyTo; without it
	// the target is the thread's root, which may be the brand's own post.
	mention := "@" + orig.Account.Acct
	if h := strings.TrimPrefix(strings.TrimSpace(m.Ticket.Customer.Handle), "@"); h != "" {
		mention = "@" + h
	}
	visibility := replyVisibility(orig.Visibility, m.Ticket.Private)
	lang := orig.Language
	if lang == "" {
		lang = m.Ticket.Language
	}
	lang, _, _ = strings.Cut(lang, "-") // Mastodon takes ISO 639 codes only
	pieces := chunk.Split(strings.TrimSpace(m.Text), chunk.Limit{Max: MaxChars - width(mention) - 1, Width: width})
	// The reply is in the target's thread: a customer's answer to it
	// finds its root without asking the instance.
	root, rooted := orig.ID, orig.InReplyToID == "" && orig.ID != ""
	if !rooted {
		root, rooted = l.knownRoot(target)
	}
	first, prev := "", target
	for i, piece := range pieces {
		form := url.Values{"status": {mention + " " + piece}, "in_reply_to_id": {prev}, "visibility": {visibility}}
		if lang != "" {
			form.Set("language", lang)
		}
		key := ""
		if m.Key != "" {
			key = m.Key + "/" + strconv.Itoa(i)
		}
		var posted status
		if err := l.call(ctx, http.MethodPost, "/api/v1/statuses", nil, form, key, "the reply", &posted); err != nil {
			return "", l.sendError(err, m)
		}
		if posted.ID == "" {
			return "", fmt.Errorf("the Mastodon instance took part %d of the reply without saying its id; it will be sent again", i+1)
		}
		if first == "" {
			first = posted.ID
		}
		if rooted {
			l.rememberRoot(root, posted.ID)
		}
		prev = posted.ID
	}
	l.log.Debug("reply posted on Mastodon", "ticket", m.Ticket.ID, "status", first, "parts", len(pieces), "visibility", visibility)
	return first, nil
}

// replyVisibility is the visibility of a reply to a post of visibility
// orig: public and unlisted stay as they were; everything else (direct,
// followers-only, a visibility caredesk does not know) and a ticket that
// went private is answered directly, so only the customer sees it.
func replyVisibility(orig string, private bool) string {
	if !private && (orig == "public" || orig == "unlisted") {
		return orig
	}
	return "direct"
}

var linkRe = regexp.MustCompile(`https?://\S+`)

// width counts s as Mastodon counts a status against its limit, or a
// little more: a link counts 23 characters however short (a longer one
// counts whole here, which only cuts earlier).
func width(s string) int {
	n := utf8.RuneCountInString(s)
	for _, link := range linkRe.FindAllString(s, -1) {
		if c := utf8.RuneCountInString(link); c < 23 {
			n += 23 - c
		}
	}
	return n
}

// sendError classifies a failed request of Send for the delivery
// workers, as a sentence an agent can act on.
func (l *Listener) sendError(err error, m bot.Outgoing) error {
	if until, ok := listen.IsBusy(err); ok {
		wait := max(time.Until(until), time.Second)
		return bot.RetryAfter(wait, fmt.Errorf("the Mastodon instance asks caredesk to slow down; the reply is sent again in %s", wait.Round(time.Second)))
	}
	var api *apiError
	if !errors.As(err, &api) {
		return fmt.Errorf("could not reach Mastodon at %s: %w; the reply will be sent again", l.host(), err)
	}
	switch {
	case api.Code == http.StatusNotFound:
		who := "the customer"
		if h := m.Ticket.Customer.Handle; h != "" {
			who = "@" + strings.TrimPrefix(h, "@")
		}
		return bot.Permanent(fmt.Errorf("the customer's Mastodon post was deleted, so the reply cannot be attached to it: write to %s in a new post if it still needs an answer", who))
	case api.Code == http.StatusUnauthorized:
		return bot.Permanent(fmt.Errorf("the Mastodon instance rejected the access token of source %s (401), so the reply was not posted: create a new token under Preferences → Development with read and write:statuses scopes, then send the reply again", l.o.Name))
	case api.Code == http.StatusForbidden:
		return bot.Permanent(fmt.Errorf("the Mastodon instance refused the reply (403: %s): give the access token of source %s the write:statuses scope, then send the reply again", api.Message, l.o.Name))
	case api.Code == http.StatusUnprocessableEntity:
		return bot.Permanent(fmt.Errorf("the Mastodon instance refused the reply (422): %s", api.Message))
	case api.Code >= 500 || api.Code == http.StatusRequestTimeout:
		return fmt.Errorf("the Mastodon instance failed to take the reply (%d): %s; it will be sent again", api.Code, api.Message)
	}
	return bot.Permanent(fmt.Errorf("the Mastodon instance refused the reply (%d): %s", api.Code, api.Message))
}

// OpenPrivate moves a ticket to private on Mastodon: the conversation
// stays the customer's post, and every reply from now on is a direct
// one under it (Send makes a private ticket's replies direct), which only
// the customer and the brand see.
func (l *Listener) OpenPrivate(_ context.Context, t bot.Ticket) (string, error) {
	return t.Conversation, nil
}
