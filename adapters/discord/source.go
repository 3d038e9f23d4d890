package discord

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"time"

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
// words, its files (bot.Attachment, with their CDN addresses, which Fetch
// reads), and, in a server, the link that opens the message on Discord.
// A message of files without words reads "📎" and their names, so that
// the ticket says something in the channel's list; the files' addresses
// are not in the text, since the thread shows the files themselves. A DM
// (no guild) is private, the customer's alone with the brand; a message
// in a channel or its threads is public. Discord tells a bot neither the
// author's locale nor their zone, so Language and TimeZone stay "". ok is
// false for a message with nothing to read (an embed, a poll).
func inbound(m *discordgo.Message) (bot.Inbound, bool) {
	text, files := words(m), attachments(m, SourceName)
	if (text == "" && len(files) == 0) || m.Author == nil {
		return bot.Inbound{}, false
	}
	if text == "" {
		text = "📎 " + fileNames(files)
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
		Files:        files,
		Private:      m.GuildID == "",
	}
	if m.GuildID != "" {
		in.PostURL = "https://discord.com/channels/" + m.GuildID + "/" + m.ChannelID + "/" + m.ID
	}
	return in, true
}

// inboundEdit converts a customer's edit of their message into the core's
// Inbound with Edit: the message's id and words as they are now, when
// they were changed, and an event id of its own for each edit, since the
// message's id was seen already. Its files are the message's, which an
// edit cannot add to, so it carries none. ok is false for an update
// that is no edit (a link's preview that unfurled).
func inboundEdit(m *discordgo.Message) (bot.Inbound, bool) {
	if m.EditedTimestamp == nil || m.EditedTimestamp.IsZero() {
		return bot.Inbound{}, false
	}
	in, ok := inbound(m)
	if !ok {
		return bot.Inbound{}, false
	}
	in.Edit, in.Files, in.At = true, nil, m.EditedTimestamp.UTC()
	in.EventID = editEventID(m)
	return in, true
}

// editEventID names one edit of m: the same for the same edit told twice
// (a resumed session replays it), another for the next one.
func editEventID(m *discordgo.Message) string {
	return "edit:" + m.ID + ":" + m.EditedTimestamp.UTC().Format(time.RFC3339Nano)
}

// fileNames lists files by name, for a line of text.
func fileNames(files []bot.Attachment) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
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

// Send delivers an agent's reply to the customer's channel or DM: as a
// Discord reply to the customer's message m.ReplyTo when there is one (a
// deleted one does not stop delivery), in parts of at most 2000
// characters, with m.Files attached to the last part (or, without words,
// to a message of their own). Past Discord's 10 files or 25 MB of a
// message, the rest follow in messages of files alone. The customer is
// notified of the reply; nobody is pinged by what the text says.
//
// The ref returned names the channel and every message, "channel/t1,t2+f1"
// (see sentRef), so that EditSent and DeleteSent reach all of them, even
// after the ticket moved to another conversation.
//
// Each message carries a nonce made from m.Key, which Discord checks for
// a few minutes: a retry after a lost answer, or after a later message
// failed, does not send the customer the same one twice.
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
	if strings.TrimSpace(m.Text) == "" && len(m.Files) == 0 {
		return "", bot.Permanent(errors.New("the message is empty, and Discord does not send empty messages"))
	}
	if m.Purpose == bot.ForRating && m.Ticket.ID <= 0 {
		return "", bot.Permanent(errors.New("the satisfaction question names no ticket, so its answer could not be counted"))
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	allowed := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, RepliedUser: true}
	ref := sentRef{channel: m.Conversation}
	parts := []string{""}
	if strings.TrimSpace(m.Text) != "" {
		parts = split(m.Text, maxContent)
	}
	files := batches(m.Files)
	for i, part := range parts {
		send := &discordgo.MessageSend{Content: part, AllowedMentions: allowed}
		var attached []bot.Upload
		if i == len(parts)-1 {
			if m.Purpose == bot.ForRating {
				send.Components = ratingComponents(m.Ticket.ID)
			}
			if len(files) > 0 {
				attached, files = files[0], files[1:]
			}
		}
		if i == 0 && snowflake.MatchString(m.ReplyTo) {
			keep := false
			send.Reference = &discordgo.MessageReference{MessageID: m.ReplyTo, ChannelID: m.Conversation, FailIfNotExists: &keep}
		}
		sent, err := d.post(ctx, m.Conversation, send, attached, keyNonce(m.Key, i))
		if err != nil {
			return "", d.sendError(m.Conversation, attached, err)
		}
		ref.text = append(ref.text, sent.ID)
	}
	for j, batch := range files {
		sent, err := d.post(ctx, m.Conversation, &discordgo.MessageSend{AllowedMentions: allowed}, batch, keyNonce(m.Key, len(parts)+j))
		if err != nil {
			return "", d.sendError(m.Conversation, batch, err)
		}
		ref.files = append(ref.files, sent.ID)
	}
	return ref.String(), nil
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

// sendError classifies a failed reply, whose message carried files
// (none for words alone), and says what it means for the customer.
func (d *Discord) sendError(channel string, files []bot.Upload, err error) error {
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		return deliveryError("send reply", err)
	}
	status, code := restStatus(re)
	why := ""
	switch {
	case code == discordgo.ErrCodeCannotSendMessagesToThisUser:
		why = "the customer takes no direct messages from the bot (they left the server, blocked it, or turned DMs off); if they wrote in a channel too, ask them there to allow DMs from the server's members, or answer there"
	case code == discordgo.ErrCodeMissingPermissions && len(files) > 0:
		why = "the bot may not attach files in that channel: let its role Attach Files there, or send the reply without them"
	case code == discordgo.ErrCodeMissingPermissions || code == discordgo.ErrCodeMissingAccess:
		why = "the bot may not write in that channel: let its role View Channel, Send Messages and Read Message History there"
	case code == discordgo.ErrCodeUnknownChannel || status == http.StatusNotFound:
		why = "the channel or thread no longer exists"
	case (status == http.StatusRequestEntityTooLarge || code == discordgo.ErrCodeRequestEntityTooLarge) && len(files) > 0:
		var size int64
		for _, u := range files {
			size += u.File.Size
		}
		why = fmt.Sprintf("the files are too large for that server (%s together, caredesk's Discord file limit is %s): send smaller ones, or set the limit to what the server takes (10 MB without boosts)", bot.Bytes(size), bot.Bytes(d.maxFile()))
	}
	e := deliveryError("send reply", err)
	if why == "" {
		return e
	}
	return bot.Permanent(fmt.Errorf("Discord refused the reply in channel %s: %s: %w", channel, why, e))
}
