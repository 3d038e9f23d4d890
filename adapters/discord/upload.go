//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Discord

package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
	"caredesk/outside"
)

var _ bot.Uploader = (*Discord)(nil)

// Discord's limits on a message's files.
const (
	maxFiles   = 10   // attachments of one message
	maxAltText = 1024 // an attachment's description, its alt text
)

// reportsStarter starts the forum desk's announcements post when a report
// is the first thing to go there: a sentence of its own, so that the
// report's text and files still arrive as one message.
const reportsStarter = "caredesk's announcements and reports are posted here."

// Upload posts text with files in the desk channel (in a forum desk, in
// the announcements post, as Announce does), pinging whom the text names,
// or to agentID alone in their direct messages, pinging nobody.
//
// The files go with the text, in one message, so that an upload that
// fails leaves nothing behind for the courier's fallback to words to
// repeat. Discord has no titles on files, so each title is a line under
// the text, in the files' order; alt text is each attachment's
// description. A text longer than a message sends its first parts alone,
// and more files than a message holds go in the messages after it.
//
// Without files it is Announce or DirectMessage.
func (d *Discord) Upload(ctx context.Context, agentID, text string, files []bot.File) error {
	if len(files) == 0 {
		if agentID == "" {
			return d.Announce(ctx, "", text)
		}
		return d.DirectMessage(ctx, agentID, text)
	}
	for _, f := range files {
		if fileName(f) == "" {
			return bot.Permanent(errors.New("discord: a file without a name cannot be uploaded"))
		}
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	channel, allowed, err := d.uploadChannel(ctx, agentID, text)
	if err != nil {
		return err
	}
	// The files go with the first part of the text: if Discord refuses
	// them for good, nothing was posted, and the courier's words that stand
	// in for them do not repeat what is already there.
	parts := split(uploadText(text, files), maxContent)
	content := parts[0]
	for len(files) > 0 {
		n := min(len(files), maxFiles)
		if err := d.sendFiles(ctx, channel, &discordgo.MessageSend{Content: content, AllowedMentions: allowed}, files[:n]); err != nil {
			return d.uploadError(agentID, channel, files[:n], err)
		}
		files, content = files[n:], ""
	}
	for _, part := range parts[1:] {
		if _, err := d.send(ctx, channel, &discordgo.MessageSend{Content: part, AllowedMentions: allowed}, ""); err != nil {
			return d.uploadError(agentID, channel, nil, err)
		}
	}
	return nil
}

// uploadChannel returns where an upload goes and whom it may ping: the DM
// channel with agentID, or the desk.
func (d *Discord) uploadChannel(ctx context.Context, agentID, text string) (string, *discordgo.MessageAllowedMentions, error) {
	switch {
	case agentID != "":
		dm, err := d.s.UserChannelCreate(agentID, discordgo.WithContext(ctx))
		if err != nil {
			return "", nil, deliveryError("open DM", err)
		}
		return dm.ID, noMentions(), nil
	case d.opts.DeskChannelID == "":
		return "", nil, errNoDesk
	case d.forums[d.opts.DeskChannelID]:
		post, _, err := d.announcePost(ctx, d.opts.DeskChannelID, reportsStarter, noMentions())
		return post, pings(text), err
	}
	return d.opts.DeskChannelID, pings(text), nil
}

// uploadText is the text of an upload as the desk shows it, with the
// files' titles under it.
func uploadText(text string, files []bot.File) string {
	lines := []string{}
	if strings.TrimSpace(text) != "" {
		lines = append(lines, safe(text))
	}
	for _, f := range files {
		if title := outside.Line(outside.Clean(f.Title)); title != "" {
			lines = append(lines, "- "+escapeName(title))
		}
	}
	return strings.Join(lines, "\n")
}

// fileName is f's name cleaned of what would act instead of being read.
func fileName(f bot.File) string { return outside.Line(outside.Clean(f.Name)) }

// sendFiles posts m with files to channel, each with its alt text.
func (d *Discord) sendFiles(ctx context.Context, channel string, m *discordgo.MessageSend, files []bot.File) error {
	parts := make([]filePart, len(files))
	for i, f := range files {
		name := fileName(f)
		parts[i] = filePart{name: name, contentType: fileType(name), alt: clip(outside.Clean(f.Alt), maxAltText), r: bytes.NewReader(f.Data)}
	}
	_, err := d.sendParts(ctx, channel, m, parts, "")
	return err
}

// fileType is the media type of a file by its name, so that Discord
// shows a picture as one; "" leaves it to discordgo's default.
func fileType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ext == ".csv" {
		return "text/csv; charset=utf-8" // not in every system's table
	}
	return mime.TypeByExtension(ext)
}

// uploadError words what Discord refused for good as a sentence that says
// what to do, because the courier shows it when it falls back to words;
// the rest is classified as any other call (deliveryError). files are
// those of the message refused, nil for a message of text only.
func (d *Discord) uploadError(agentID, channel string, files []bot.File, err error) error {
	var re *discordgo.RESTError
	status, code := 0, discordCode(err)
	if errors.As(err, &re) {
		status, _ = restStatus(re)
	}
	var sentence string
	switch {
	case code == discordgo.ErrCodeMissingPermissions && files != nil:
		sentence = fmt.Sprintf("Discord refused the upload: the bot lacks the Attach Files permission in channel %s; grant Attach Files to caredesk's role in that channel's or the server's settings (Permissions)", channel)
	case status == http.StatusRequestEntityTooLarge || code == discordgo.ErrCodeRequestEntityTooLarge:
		size := 0
		for _, f := range files {
			size += len(f.Data)
		}
		sentence = fmt.Sprintf("Discord refused the upload: the files are %d bytes together, more than the server takes in one message (10 MiB unless it is boosted); send smaller files", size)
	case code == discordgo.ErrCodeCannotSendMessagesToThisUser && agentID != "":
		sentence = fmt.Sprintf("agent %s takes no direct messages from the bot (Privacy Settings → Direct Messages from server members is off)", agentID)
	default:
		return deliveryError("upload", err)
	}
	return bot.Permanent(fmt.Errorf("%s: %w", sentence, describe(err)))
}
