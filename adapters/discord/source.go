package discord

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
)

// Receiver takes a customer's message and stores it. The core's *bot.Bot is
// one. An error means "not stored", except an application error
// (bot.Error) or a bot.Permanent one: that is the core refusing the message
// for good, and it is dropped.
type Receiver interface {
	Receive(ctx context.Context, in bot.Inbound) error
}

// refused reports whether Receive's error is a deliberate, final "no" of
// the core rather than a failure to store.
func refused(err error) bool {
	return bot.ErrorCode(err) != "" || bot.IsPermanent(err)
}

// inbound converts a customer's message into what the core receives: its
// words, the addresses of its files (the core lists them under the text),
// and, in a server, the link that opens the message on Discord. A DM (no
// guild) is private, the customer's alone with the brand; a message in a
// channel or its threads is public. Discord tells a bot neither the
// author's locale nor their zone, so Language and TimeZone stay "". ok is
// false for a message with nothing to read (an embed, a poll).
func inbound(m *discordgo.Message) (bot.Inbound, bool) {
	text, files := words(m), files(m)
	if (text == "" && len(files) == 0) || m.Author == nil {
		return bot.Inbound{}, false
	}
	name := m.Author.GlobalName
	if name == "" {
		name = m.Author.Username
	}
	in := bot.Inbound{
		Source:       SourceName,
		MessageID:    m.ID,
		Conversation: m.ChannelID,
		Customer:     bot.Customer{ID: m.Author.ID, Name: name, Handle: m.Author.Username},
		Text:         text,
		At:           m.Timestamp.UTC(),
		Attachments:  files,
		Private:      m.GuildID == "",
	}
	if m.GuildID != "" {
		in.PostURL = "https://discord.com/channels/" + m.GuildID + "/" + m.ChannelID + "/" + m.ID
	}
	return in, true
}

// words is the text of a message and its stickers, which have no address
// of their own to show.
func words(m *discordgo.Message) string {
	lines := []string{}
	if t := strings.TrimSpace(m.Content); t != "" {
		lines = append(lines, t)
	}
	for _, s := range m.StickerItems {
		lines = append(lines, "[sticker: "+s.Name+"]")
	}
	return strings.Join(lines, "\n")
}

// files are the addresses of a message's attachments, valid for a day on
// Discord's servers: long enough for an agent to look at a screenshot.
func files(m *discordgo.Message) []string {
	var out []string
	for _, a := range m.Attachments {
		if a.URL != "" {
			out = append(out, a.URL)
		}
	}
	return out
}

// content is what an agent wrote in a ticket's thread: the text, then a
// line for each file with its address, since the customer gets text only.
func content(m *discordgo.Message) string {
	lines := []string{}
	if t := words(m); t != "" {
		lines = append(lines, t)
	}
	for _, a := range m.Attachments {
		kind := "file"
		switch {
		case strings.HasPrefix(a.ContentType, "image/"):
			kind = "image"
		case strings.HasPrefix(a.ContentType, "video/"):
			kind = "video"
		case strings.HasPrefix(a.ContentType, "audio/"):
			kind = "audio"
		}
		lines = append(lines, strings.TrimSpace(fmt.Sprintf("[%s: %s] %s", kind, a.Filename, a.URL)))
	}
	return strings.Join(lines, "\n")
}

// Send delivers an agent's reply to the customer's channel or DM: as a
// Discord reply to the customer's message m.ReplyTo when there is one (a
// deleted one does not stop delivery), in parts of at most 2000
// characters, and the id of the last part is returned. The customer is
// notified of the reply; nobody is pinged by what the text says.
//
// Each part carries a nonce made from m.Key, which Discord checks for a
// few minutes: a retry after a lost answer, or after a later part failed,
// does not send the customer the same part twice.
//
// With purpose ForRating, the (last) message carries one row of five buttons, 1
// (bad) to 5 (great), whose presses come back through Run as ratings of
// m.Ticket (see Options.Rater). Every other purpose is words alone: Discord
// has no button that shares a phone number (ForCall), and going private
// is OpenPrivate's (ForPrivate).
func (d *Discord) Send(ctx context.Context, m bot.Outgoing) (string, error) {
	if !snowflake.MatchString(m.Conversation) {
		return "", bot.Permanent(fmt.Errorf("%q is not a Discord channel id, so the message cannot be delivered", m.Conversation))
	}
	if strings.TrimSpace(m.Text) == "" {
		return "", bot.Permanent(errors.New("the message is empty, and Discord does not send empty messages"))
	}
	if m.Purpose == bot.ForRating && m.Ticket.ID <= 0 {
		return "", bot.Permanent(errors.New("the satisfaction question names no ticket, so its answer could not be counted"))
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	allowed := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, RepliedUser: true}
	ref := ""
	parts := split(m.Text, maxContent)
	for i, part := range parts {
		send := &discordgo.MessageSend{Content: part, AllowedMentions: allowed}
		if m.Purpose == bot.ForRating && i == len(parts)-1 {
			send.Components = ratingComponents(m.Ticket.ID)
		}
		if i == 0 && snowflake.MatchString(m.ReplyTo) {
			keep := false
			send.Reference = &discordgo.MessageReference{MessageID: m.ReplyTo, ChannelID: m.Conversation, FailIfNotExists: &keep}
		}
		sent, err := d.send(ctx, m.Conversation, send, keyNonce(m.Key, i))
		if err != nil {
			return "", sendError(m.Conversation, err)
		}
		ref = sent.ID
	}
	return ref, nil
}

// keyNonce is the nonce of part i of the delivery with idempotency key.
func keyNonce(key string, i int) string {
	if key == "" {
		return ""
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return nonce("r", int64(h.Sum64()>>1), int64(i))
}

// sendError classifies a failed reply and says what it means for the
// customer.
func sendError(channel string, err error) error {
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		return deliveryError("send reply", err)
	}
	status, code := restStatus(re)
	why := ""
	switch {
	case code == discordgo.ErrCodeCannotSendMessagesToThisUser:
		why = "the customer takes no direct messages from the bot (they left the server, blocked it, or turned DMs off); if they wrote in a channel too, ask them there to allow DMs from the server's members, or answer there"
	case code == discordgo.ErrCodeMissingPermissions || code == discordgo.ErrCodeMissingAccess:
		why = "the bot may not write in that channel: let its role View Channel, Send Messages and Read Message History there"
	case code == discordgo.ErrCodeUnknownChannel || status == http.StatusNotFound:
		why = "the channel or thread no longer exists"
	}
	e := deliveryError("send reply", err)
	if why == "" {
		return e
	}
	return bot.Permanent(fmt.Errorf("Discord refused the reply in channel %s: %s: %w", channel, why, e))
}
