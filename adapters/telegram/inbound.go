package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/bot"
)

// SourceName is the name of this source in tickets and deliveries.
const SourceName = "telegram"

// Receiver takes a customer's message and stores it. The core's *bot.Bot is
// one. An update is acknowledged to Telegram only after Receive returned
// nil; an error means "not stored, deliver it again", except an application
// error (bot.Error) or a bot.Permanent one: that is the core refusing the
// message for good, and the update is acknowledged and dropped, so that one
// message the core will never take does not hold up every one behind it.
type Receiver interface {
	Receive(ctx context.Context, in bot.Inbound) error
}

// inbound converts an update into what the core receives. ok is false for
// updates that carry no customer message: messages of bots, callback
// queries, membership changes, service messages. Those are acknowledged
// without reaching the core. A contact the customer shared (their number,
// after /desk call, or anyone's card) comes as a Contact without text. A
// photo or file comes in Files, with its caption as the text, or a
// placeholder such as "[photo]" when it has none, so that a picture alone
// still opens a ticket.
//
// An edited_message is an Edit of the message it names: Telegram keeps the
// original's message_id, and the update_id tells the edit from a
// redelivery. Its Text is the new text, or the new caption of a photo or
// file, and its Files the message's file as it is now: a customer may
// replace the photo, and the core shows a file it has not seen.
func inbound(u update) (in bot.Inbound, ok bool) {
	m, edited := u.Message, false
	if m == nil && u.EditedMessage != nil {
		m, edited = u.EditedMessage, true
	}
	if m == nil || m.From == nil || m.From.IsBot || m.Chat == nil {
		return bot.Inbound{}, false
	}
	text := content(m)
	if text == "" {
		return bot.Inbound{}, false
	}
	in = bot.Inbound{
		Source:       SourceName,
		EventID:      strconv.Itoa(u.UpdateID),
		MessageID:    strconv.Itoa(m.MessageID),
		Conversation: strconv.FormatInt(m.Chat.ID, 10),
		Customer: bot.Customer{
			ID:     strconv.FormatInt(m.From.ID, 10),
			Name:   strings.TrimSpace(m.From.FirstName + " " + m.From.LastName),
			Handle: m.From.UserName,
		},
		Text: text,
		At:   time.Unix(int64(m.Date), 0).UTC(),
		// The language of the customer's app, as Telegram tags it ("tr",
		// "pt-br"); Telegram never says their time zone.
		Language: strings.TrimSpace(m.From.LanguageCode),
		Private:  m.Chat.IsPrivate(), // groups and supergroups are public
	}
	if edited {
		in.Edit = true
		if m.EditDate != 0 {
			in.At = time.Unix(int64(m.EditDate), 0).UTC()
		}
		if f, ok := attachment(m, u.videoSticker); ok {
			in.Files = []bot.Attachment{f}
		}
		return in, true
	}
	if c := m.Contact; c != nil {
		in.Text, in.Contact = "", &bot.Contact{Phone: c.PhoneNumber, FirstName: c.FirstName, LastName: c.LastName}
		if c.UserID != 0 {
			in.Contact.UserID = strconv.FormatInt(c.UserID, 10)
		}
		return in, true
	}
	if f, ok := attachment(m, u.videoSticker); ok {
		in.Files = []bot.Attachment{f}
	}
	in.Hello = isStart(m.Text)
	return in, true
}

// isStart reports whether text is Telegram's conversation opener: /start,
// possibly with a deep-link payload or addressed as /start@bot.
func isStart(text string) bool {
	cmd, _, _ := strings.Cut(text, " ")
	cmd, _, _ = strings.Cut(cmd, "@")
	return cmd == "/start"
}

// content is what the agent reads of a message: its text or caption, or a
// placeholder that says what was sent when there are no words. It is "" for
// service messages (a member joined, a pinned message), which are no
// complaint.
func content(m *tgbotapi.Message) string {
	if m.Text != "" {
		return m.Text
	}
	if m.Caption != "" {
		return m.Caption
	}
	switch {
	case len(m.Photo) > 0:
		return "[photo]"
	case m.Sticker != nil:
		return "[sticker]"
	case m.Voice != nil:
		return "[voice message]"
	case m.VideoNote != nil:
		return "[video message]"
	case m.Video != nil:
		return "[video]"
	case m.Animation != nil: // before Document: an animation also sets it
		return "[GIF]"
	case m.Audio != nil:
		return named("audio", strings.TrimSpace(m.Audio.Performer+" "+m.Audio.Title))
	case m.Document != nil:
		return named("document", m.Document.FileName)
	case m.Venue != nil: // before Location: a venue also sets it
		return named("venue", strings.TrimSpace(m.Venue.Title+", "+m.Venue.Address))
	case m.Location != nil:
		return "[location]"
	case m.Contact != nil:
		return named("contact", strings.TrimSpace(m.Contact.FirstName+" "+m.Contact.LastName+" "+m.Contact.PhoneNumber))
	case m.Poll != nil:
		return named("poll", m.Poll.Question)
	case m.Dice != nil:
		return fmt.Sprintf("[dice %s %d]", m.Dice.Emoji, m.Dice.Value)
	case m.Game != nil:
		return "[game]"
	}
	return ""
}

// named returns "[kind: name]", or "[kind]" when the name is empty.
func named(kind, name string) string {
	name = strings.Trim(name, " ,")
	if name == "" {
		return "[" + kind + "]"
	}
	return "[" + kind + ": " + name + "]"
}
