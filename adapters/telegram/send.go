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

// maxMessageLen is Telegram's limit on a message's text. Telegram counts in
// UTF-16 code units, so an emoji outside the BMP counts twice; counting
// runes would let a reply full of emoji through as too long.
const maxMessageLen = 4096

// maxProgress bounds how many partly sent replies the Client remembers;
// see Send.
const maxProgress = 1024

// progress is how far an earlier attempt got with a reply of several
// messages.
type progress struct {
	sig     string  // what was being sent; see signature
	parts   int     // text parts delivered
	batches int     // batches of files delivered (a photo, a file or an album)
	sent    sentRef // the messages delivered so far, which Send's ref lists
}

// Send delivers m to the customer's chat as plain text: an agent's words
// are not markup, so no parse_mode is set. m.ReplyTo, when it is a Telegram
// message id, makes the reply quote the customer's message; a quoted
// message the customer deleted does not stop delivery. Text longer than
// Telegram's 4096-character limit goes as several messages, cut at line
// breaks where possible. With
// purpose ForRating, the message carries five buttons below, "1 😞" to "5 😀", whose
// presses come back as ratings of m.Ticket (see Options.Rater), and quotes
// nothing. With purpose ForCall, the message brings a keyboard of one
// button that shares the customer's phone number, which comes back as an
// Inbound with a Contact; it quotes nothing either. Telegram offers that
// button in private chats only, so in a group the question goes as words.
//
// m.Files go as a photo (sendPhoto) or a document (sendDocument), or 2 to
// 10 of them as an album (sendMediaGroup), more as several albums; see
// sendFiles for which goes how. The text is the caption of the first when
// it fits Telegram's 1024 characters; otherwise it goes first, as text, and
// the files follow without one.
//
// The ref returned lists every message the reply became, the one with the
// words first (see sentRef): "105", "105,106+107", "+105,106". EditSent
// changes the words through it, and DeleteSent takes back every message.
//
// When a later message fails, the ones already sent are remembered under
// m.Key, so the retry continues where this attempt stopped instead of
// sending the customer the beginning twice (within this process's life;
// Telegram has no idempotency key to do better).
//
// Errors are classified for the delivery workers: 429 carries Telegram's
// retry_after (bot.RetryAfter), a request Telegram refuses for good such as
// a customer who blocked the bot is bot.Permanent, and anything else (5xx,
// network, an answer that is not the Bot API's) is temporary.
func (c *Client) Send(ctx context.Context, m bot.Outgoing) (string, error) {
	chatID, err := strconv.ParseInt(m.Conversation, 10, 64)
	if err != nil {
		return "", bot.Permanent(fmt.Errorf("%q is not a Telegram chat id, so the message cannot be delivered", m.Conversation))
	}
	words := strings.TrimSpace(m.Text) != ""
	if !words && len(m.Files) == 0 {
		return "", bot.Permanent(errors.New("the message is empty, and Telegram does not send empty messages"))
	}
	if m.Purpose == bot.ForRating && m.Ticket.ID <= 0 {
		return "", bot.Permanent(errors.New("the satisfaction question names no ticket, so its answer could not be counted"))
	}
	replyTo, _ := strconv.Atoi(m.ReplyTo) // not a message id: send without quoting
	buttons := m.Purpose == bot.ForRating || m.Purpose == bot.ForCall
	if buttons {
		replyTo = 0 // the question is about the whole conversation, not one message
	}
	var parts []string
	caption := ""
	switch {
	case !words:
	case len(m.Files) > 0 && !buttons && chunk.UTF16(m.Text) <= maxCaptionLen:
		caption = m.Text // buttons go under a text, which the files then follow
	default:
		parts = chunk.Split(m.Text, chunk.Limit{Max: maxMessageLen, Width: chunk.UTF16})
	}
	batches := batch(m.Files)
	sig := signature(m)
	p := c.resume(m.Key, sig)
	for i := p.parts; i < len(parts); i++ {
		msg := tgbotapi.NewMessage(chatID, parts[i])
		msg.AllowSendingWithoutReply = true
		if i == 0 {
			msg.ReplyToMessageID = replyTo
		}
		switch {
		case i < len(parts)-1:
		case m.Purpose == bot.ForRating:
			msg.ReplyMarkup = ratingKeyboard(m.Ticket.ID)
		case m.Purpose == bot.ForCall && chatID > 0: // users' ids, and so private chats', are positive; groups' are not
			msg.ReplyMarkup = callKeyboard()
		}
		sent, err := c.sendOne(ctx, msg)
		if err != nil {
			c.remember(m.Key, p)
			return "", c.redact(c.sendError(m.Conversation, err))
		}
		p.parts = i + 1
		p.sent.texts = append(p.sent.texts, sent.MessageID)
	}
	for b := p.batches; b < len(batches); b++ {
		quote, under := 0, ""
		if b == 0 {
			under = caption
			if len(parts) == 0 {
				quote = replyTo // the files come first: they quote the customer
			}
		}
		ids, err := c.sendFiles(ctx, chatID, batches[b], under, quote)
		if err != nil {
			c.remember(m.Key, p)
			return "", c.redact(err)
		}
		p.batches = b + 1
		p.sent.files = append(p.sent.files, ids...)
	}
	c.remember(m.Key, progress{})
	return p.sent.String(), nil
}

// signature tells one reply from another for resume: its text, and its
// files by id and name.
func signature(m bot.Outgoing) string {
	var s strings.Builder
	s.WriteString(m.Text)
	for _, u := range m.Files {
		fmt.Fprintf(&s, "\x00%d/%s", u.File.ID, u.File.Name)
	}
	return s.String()
}

// callButton is the label of the button that shares the customer's number.
// It is language-free, a phone, as the adapter does not know the words of
// every customer's language; the question above it is in their language.
const callButton = "📞"

// callKeyboard replaces the customer's letters with the one button that
// shares their phone number; it hides itself once pressed.
func callKeyboard() tgbotapi.ReplyKeyboardMarkup {
	return tgbotapi.ReplyKeyboardMarkup{
		Keyboard:        [][]tgbotapi.KeyboardButton{{tgbotapi.NewKeyboardButtonContact(callButton)}},
		OneTimeKeyboard: true,
		ResizeKeyboard:  true, // one button, not a keyboard's height
	}
}

// sendOne makes one sendMessage call.
func (c *Client) sendOne(ctx context.Context, msg tgbotapi.MessageConfig) (tgbotapi.Message, error) {
	api, stop := c.call(ctx, callTimeout)
	defer stop()
	return api.Send(msg)
}

// resume returns how far an earlier attempt under key got with the reply
// sig, or nothing when there was none.
func (c *Client) resume(key, sig string) progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.progress[key]; ok && key != "" && p.sig == sig {
		// Copies: this attempt appends to them, and the remembered
		// progress must not change under it.
		p.sent.texts, p.sent.files = slices.Clone(p.sent.texts), slices.Clone(p.sent.files)
		return p
	}
	return progress{sig: sig}
}

// remember records p for key; a p with nothing sent forgets it.
func (c *Client) remember(key string, p progress) {
	if key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.parts == 0 && p.batches == 0 {
		delete(c.progress, key)
		return
	}
	if c.progress == nil {
		c.progress = map[string]progress{}
	}
	if len(c.progress) >= maxProgress {
		for k := range c.progress { // forget any one: the worst is a repeated first part
			delete(c.progress, k)
			break
		}
	}
	c.progress[key] = p
}

// sendError classifies a failed send and says what it means for the
// customer.
func (c *Client) sendError(chat string, err error) error {
	return c.apiError("the message to chat "+chat, err)
}

// apiError classifies a failed call about what (a message, an edit, a
// deletion) for the delivery workers: 429 carries Telegram's retry_after,
// a refusal for good (400, 403, 404, 413) is bot.Permanent, and anything
// else is temporary.
func (c *Client) apiError(what string, err error) error {
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("could not send %s through the Bot API at %s: %w; it will be tried again", what, c.apiURL, err)
	}
	switch apiErr.Code {
	case http.StatusTooManyRequests:
		wait := time.Duration(apiErr.RetryAfter) * time.Second
		return bot.RetryAfter(wait, &explained{
			msg: fmt.Sprintf("telegram asks caredesk to slow down (429 %s): %s waits %s", apiErr.Message, what, wait),
			err: err,
		})
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge:
		return bot.Permanent(&explained{
			msg: fmt.Sprintf("telegram refused %s (%d %s): %s", what, apiErr.Code, apiErr.Message, refusal(apiErr.Message)),
			err: err,
		})
	case http.StatusUnauthorized:
		return &explained{
			msg: fmt.Sprintf("TELEGRAM_BOT_TOKEN was rejected by Telegram (%d %s): the token was revoked; copy the new one from @BotFather and restart — %s waits", apiErr.Code, apiErr.Message, what),
			err: err,
		}
	}
	return &explained{
		msg: fmt.Sprintf("telegram failed to take %s (%d %s); it will be tried again", what, apiErr.Code, apiErr.Message),
		err: err,
	}
}

// refusal explains Telegram's usual reasons for refusing a message.
func refusal(desc string) string {
	d := strings.ToLower(desc)
	switch {
	case strings.Contains(d, "blocked by the user"):
		return "the customer blocked the bot, so nothing reaches them on Telegram until they unblock it"
	case strings.Contains(d, "user is deactivated"):
		return "the customer deleted their Telegram account"
	case strings.Contains(d, "chat not found"):
		return "the chat does not exist, or the customer never wrote to this bot"
	case strings.Contains(d, "kicked"), strings.Contains(d, "not a member"):
		return "the bot is no longer in that chat"
	case strings.Contains(d, "caption is too long"):
		return "the text under the file is longer than the 1024 characters Telegram allows"
	case strings.Contains(d, "too long"):
		return "the text is longer than Telegram allows"
	case strings.Contains(d, "too big"), strings.Contains(d, "too large"):
		return "the file is larger than Telegram takes from bots (50 MB, and 10 MB for a photo)"
	}
	return "sending it again would not help"
}
