//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Slack

package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	slackapi "github.com/slack-go/slack"

	"caredesk/adapters/chunk"
	"caredesk/bot"
	"caredesk/outside"
)

var _ bot.Uploader = (*Desk)(nil)

// Slack's limits on what an upload may carry.
const (
	maxAltText         = 1000  // alt_txt of files.getUploadURLExternal, in characters
	maxComment         = 40000 // initial_comment: a message's text
	maxFilesPerMessage = 10    // files one message shares, as Slack's own clients attach at most
)

// Upload shares files in the desk channel, or with agentID alone in their
// direct conversation with caredesk, with text as the message that
// carries them. Each file is uploaded (files.getUploadURLExternal, then
// its bytes to the address Slack gives), and then all are shared at once
// by files.completeUploadExternal with text as the initial comment,
// rather than text first and files after: the figures and their charts
// arrive as one message and one notification, and an upload that fails
// leaves nothing on the desk, so the courier's fallback to words does not
// repeat a text already posted. Files Slack was given but never shared
// stay private to the app and are dropped.
//
// Without files it is Announce or DirectMessage.
func (d *Desk) Upload(ctx context.Context, agentID, text string, files []bot.File) error {
	if len(files) == 0 {
		if agentID == "" {
			return d.Announce(ctx, "", text)
		}
		return d.DirectMessage(ctx, agentID, text)
	}
	channel := d.opts.ChannelID
	if agentID != "" {
		ch, _, _, err := d.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{agentID}})
		if err != nil {
			return d.uploadError("conversations.open", channel, nil, err)
		}
		channel = ch.ID
	}
	comment := safe(text)
	if parts := split(comment, maxComment); len(parts) > 1 {
		comment = parts[0] + "…"
	}
	var shared []slackapi.FileSummary
	for i := range files {
		sum, err := d.upload(ctx, channel, files[i])
		if err != nil {
			return err
		}
		shared = append(shared, sum)
	}
	for len(shared) > 0 {
		n := min(len(shared), maxFilesPerMessage)
		_, err := d.api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{
			Files: shared[:n], Channel: channel, InitialComment: comment,
		})
		if err != nil {
			return d.uploadError("files.completeUploadExternal", channel, nil, err)
		}
		shared, comment = shared[n:], ""
	}
	return nil
}

// upload gives Slack the bytes of f and returns what shares it.
func (d *Desk) upload(ctx context.Context, channel string, f bot.File) (slackapi.FileSummary, error) {
	if len(f.Data) == 0 {
		return slackapi.FileSummary{}, bot.Permanent(fmt.Errorf("slack: file %s is empty, and Slack takes no empty files", outside.Line(outside.Clean(f.Name))))
	}
	return d.stage(ctx, channel, staged{name: f.Name, title: f.Title, alt: f.Alt, size: int64(len(f.Data))}, bytes.NewReader(f.Data))
}

// staged is what Slack is told of a file before its bytes.
type staged struct {
	name, title, alt string
	size             int64
}

// stage uploads r's bytes (files.getUploadURLExternal, then the bytes to
// the address Slack gives, streamed) and returns what shares them. Names,
// titles and alt text are plain text to Slack, so they are only cleaned
// of what would act instead of being read.
func (d *Desk) stage(ctx context.Context, channel string, f staged, r io.Reader) (slackapi.FileSummary, error) {
	name := outside.Line(outside.Clean(f.name))
	switch {
	case name == "":
		return slackapi.FileSummary{}, bot.Permanent(errors.New("slack: a file without a name cannot be uploaded"))
	case f.size <= 0:
		return slackapi.FileSummary{}, bot.Permanent(fmt.Errorf("slack: file %s is empty, and Slack takes no empty files", name))
	}
	u, err := d.api.GetUploadURLExternalContext(ctx, slackapi.GetUploadURLExternalParameters{
		FileName: name, FileSize: int(f.size), AltTxt: chunk.Clip(outside.Clean(f.alt), chunk.Limit{Max: maxAltText}),
	})
	if err != nil {
		return slackapi.FileSummary{}, d.uploadError("files.getUploadURLExternal", channel, &f, err)
	}
	err = d.bulk.UploadToURL(ctx, slackapi.UploadToURLParameters{UploadURL: u.UploadURL, Reader: r, Filename: name})
	if err != nil {
		return slackapi.FileSummary{}, d.uploadError("upload of "+name, channel, &f, err)
	}
	return slackapi.FileSummary{ID: u.FileID, Title: outside.Line(outside.Clean(f.title))}, nil
}

// uploadError words what Slack refused for good as a sentence that says
// what to do, because the courier shows it when it falls back to words;
// the rest is classified as any other call (deliveryError). f is the file
// at fault, nil when the call was not about one.
func (d *Desk) uploadError(method, channel string, f *staged, err error) error {
	if err == nil {
		return nil
	}
	var se slackapi.SlackErrorResponse
	var sc slackapi.StatusCodeError
	code := ""
	if errors.As(err, &se) {
		code = se.Err
	}
	tooLarge := code == "file_upload_size_restricted" || (errors.As(err, &sc) && sc.Code == http.StatusRequestEntityTooLarge)
	var sentence string
	switch {
	case code == "missing_scope" && method == "conversations.open":
		sentence = "Slack refused the upload: the app lacks the im:write scope it needs to write to an agent in private; add it on the app's OAuth & Permissions page (slack-app-manifest.yaml lists it) and reinstall the app"
	case code == "missing_scope":
		sentence = "Slack refused the upload: the app lacks the files:write scope; add it on the app's OAuth & Permissions page (slack-app-manifest.yaml lists it) and reinstall the app"
	case code == "not_in_channel":
		sentence = fmt.Sprintf("Slack refused the upload: the bot is not a member of channel %s; invite it with /invite in that channel", channel)
	case code == "channel_not_found":
		sentence = fmt.Sprintf("Slack refused the upload: channel %s is not found; check SLACK_CHANNEL_ID, which must be the channel's ID (C…) of a channel the bot can see", channel)
	case code == "invalid_auth", code == "not_authed", code == "account_inactive", code == "token_revoked", code == "token_expired":
		sentence = fmt.Sprintf("Slack refused the upload: it rejected SLACK_BOT_TOKEN (%s); copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page and restart caredesk", code)
	case tooLarge && f != nil:
		sentence = fmt.Sprintf("Slack refused the upload: %s is %s, more than the workspace takes; ask a workspace admin to allow larger files, or send a smaller one", outside.Line(outside.Clean(f.name)), bot.Bytes(f.size))
	case tooLarge:
		sentence = "Slack refused the upload: the files are larger than the workspace takes; ask a workspace admin to allow larger files, or send smaller ones"
	case code == "file_uploads_disabled", code == "file_uploads_except_images_disabled", code == "file_type_not_allowed":
		sentence = fmt.Sprintf("Slack refused the upload (%s): the workspace's admins do not allow this file; ask them to allow file uploads, or this type of file", code)
	default:
		return deliveryError(method, err)
	}
	return bot.Permanent(fmt.Errorf("%s (%s: %w)", sentence, method, err))
}
