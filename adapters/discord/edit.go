//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Discord

package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
)

// EditMessage re-renders m where the thread shows it (m.DeskRef, the
// first part of a message longer than Discord's 2000 characters), as it
// reads now, with a line that says it was edited. A message that no
// longer fits in one is cut, saying so. The ticket's root is its starter
// message, which UpdateTicket renders.
func (d *Discord) EditMessage(ctx context.Context, t bot.Ticket, m bot.Message) error {
	if m.DeskRef == "" || t.DeskThread == "" {
		return fmt.Errorf("discord: message %d is not on the desk yet", m.ID)
	}
	if m.DeskRef == t.DeskThread {
		return d.UpdateTicket(ctx, t)
	}
	if m.EditedAt.IsZero() {
		m.EditedAt = d.opts.Now()
	}
	text := threadText(t, m)
	if units(text) > maxContent {
		const cut = "\n*…the rest is too long to show on Discord.*\n" + editedMark
		text = strings.TrimSpace(split(text, maxContent-units(cut))[0]) + cut
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	_, err := d.s.ChannelMessageEditComplex(&discordgo.MessageEdit{
		Channel: t.DeskThread, ID: m.DeskRef, Content: &text, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	return deliveryError("edit message in thread", err)
}

// sentRef is where a Send went, as its ref says it: the channel, the
// messages that carry the text's parts (the last of them also the first
// files; for files without words, the first message of files), and those
// that carry only more files. Written "channel/t1,t2+f1": the channel is
// in it because a ticket moved private answers in another conversation
// than its earlier replies went to.
type sentRef struct {
	channel string
	text    []string
	files   []string
}

func (r sentRef) String() string {
	s := r.channel + "/" + strings.Join(r.text, ",")
	if len(r.files) > 0 {
		s += "+" + strings.Join(r.files, ",")
	}
	return s
}

// parseRef reads a Send's ref. A ref of a message id alone (from before
// refs named their channel) is in conversation.
func parseRef(ref, conversation string) (sentRef, error) {
	channel, ids, ok := strings.Cut(ref, "/")
	if !ok {
		channel, ids = conversation, ref
	}
	text, files, _ := strings.Cut(ids, "+")
	r := sentRef{channel: channel, text: strings.Split(text, ",")}
	if files != "" {
		r.files = strings.Split(files, ",")
	}
	for _, id := range append([]string{channel}, append(r.text, r.files...)...) {
		if !snowflake.MatchString(id) {
			return sentRef{}, bot.Permanent(fmt.Errorf("%q does not name a message caredesk sent on Discord, so it cannot be changed", ref))
		}
	}
	return r, nil
}

// EditSent changes the customer's copy of a reply (ref, as Send returned
// it) to m.Text, as Send would write it: nobody pinged. A reply Discord
// showed in several messages keeps their number or shrinks (the messages
// left over are deleted, its files stay); one that would need more is
// refused, since the customer would read the new words out of order.
func (d *Discord) EditSent(ctx context.Context, ref string, m bot.Outgoing) error {
	r, err := parseRef(ref, m.Conversation)
	if err != nil {
		return err
	}
	parts := []string{""}
	if strings.TrimSpace(m.Text) != "" {
		parts = split(m.Text, maxContent)
	}
	switch {
	case len(parts) > len(r.text):
		return bot.Permanent(fmt.Errorf("the corrected reply is longer than the %d Discord message(s) of 2000 characters the customer got, so it cannot replace it: send the rest as a new reply", len(r.text)))
	case parts[0] == "" && len(r.files) == 0 && len(m.Files) == 0:
		return bot.Permanent(errors.New("Discord does not leave a message empty: delete the reply instead"))
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	// The new parts go to the first messages, the last part to the last
	// one, which carries the files; those in between are deleted.
	last := len(r.text) - 1
	targets := append(append([]string{}, r.text[:len(parts)-1]...), r.text[last])
	for i, id := range targets {
		_, err := d.s.ChannelMessageEditComplex(&discordgo.MessageEdit{
			Channel: r.channel, ID: id, Content: &parts[i], AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
		if err != nil {
			return correctError("edit", r.channel, err)
		}
	}
	for _, id := range r.text[len(parts)-1 : last] {
		if err := d.s.ChannelMessageDelete(r.channel, id, discordgo.WithContext(ctx)); err != nil && discordCode(err) != discordgo.ErrCodeUnknownMessage {
			return correctError("delete", r.channel, err)
		}
	}
	return nil
}

// DeleteSent takes a reply (ref, as Send returned it) back from the
// customer: every message it was sent in, its files included. Discord
// lets a bot delete its own messages however old, in channels and DMs.
func (d *Discord) DeleteSent(ctx context.Context, t bot.Ticket, ref string, _ time.Time) error {
	r, err := parseRef(ref, t.Conversation)
	if err != nil {
		return err
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	ids := append(append([]string{}, r.text...), r.files...)
	gone := 0
	for _, id := range ids {
		err := d.s.ChannelMessageDelete(r.channel, id, discordgo.WithContext(ctx))
		switch {
		case discordCode(err) == discordgo.ErrCodeUnknownMessage:
			gone++ // deleted by a moderator, or by an attempt whose answer was lost
		case err != nil:
			return correctError("delete", r.channel, err)
		}
	}
	if gone == len(ids) {
		return bot.Permanent(errors.New("the customer's copy is gone already: someone deleted it on Discord"))
	}
	return nil
}

// correctError says why the customer's copy of a reply could not be
// changed (op "edit") or deleted.
func correctError(op, channel string, err error) error {
	var re *discordgo.RESTError
	status, code := 0, discordCode(err)
	if errors.As(err, &re) {
		status, _ = restStatus(re)
	}
	switch {
	case code == discordgo.ErrCodeUnknownMessage:
		return bot.Permanent(fmt.Errorf("the customer's copy is gone already: someone deleted it on Discord: %w", describe(err)))
	case code == discordgo.ErrCodeUnknownChannel || status == http.StatusNotFound:
		return bot.Permanent(fmt.Errorf("the conversation of the customer's copy (channel %s) no longer exists: %w", channel, describe(err)))
	case code == discordgo.ErrCodeMissingPermissions || code == discordgo.ErrCodeMissingAccess || status == http.StatusForbidden:
		return bot.Permanent(fmt.Errorf("Discord does not let the bot %s its message in channel %s any more: let its role View Channel and Read Message History there: %w", op, channel, describe(err)))
	}
	return deliveryError(op+" the customer's copy", err)
}
