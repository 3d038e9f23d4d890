//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Slack

package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/outside"
)

var (
	_ bot.FileDesk     = (*Desk)(nil)
	_ bot.ThreadEditor = (*Desk)(nil)
	_ bot.Fetcher      = (*Desk)(nil)
)

// PostFiles shares the files a customer sent with m in t's thread, as one
// message of up to ten files (more go in further messages) whose text
// names them and the customer. The bytes stream from the blob store to
// Slack's upload address. It returns the first file's id, which FindFiles
// looks for.
func (d *Desk) PostFiles(ctx context.Context, t bot.Ticket, m bot.Message, files []bot.Upload) (string, error) {
	if t.DeskThread == "" {
		return "", fmt.Errorf("slack: ticket #%d is not on the desk yet", t.ID)
	}
	var shared []slackapi.FileSummary
	for _, u := range files {
		sum, err := d.stageUpload(ctx, u)
		if err != nil {
			return "", err
		}
		shared = append(shared, sum)
	}
	first := ""
	comment := filesCaption(t, files)
	for len(shared) > 0 {
		n := min(len(shared), maxFilesPerMessage)
		_, err := d.api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{
			Files: shared[:n], Channel: d.channel(t), ThreadTimestamp: t.DeskThread, InitialComment: comment,
		})
		if err != nil {
			return "", d.uploadError("files.completeUploadExternal", d.channel(t), nil, err)
		}
		if first == "" {
			first = shared[0].ID
		}
		shared, comment = shared[n:], ""
	}
	return first, nil
}

// stageUpload uploads one file's bytes from the blob store.
func (d *Desk) stageUpload(ctx context.Context, u bot.Upload) (slackapi.FileSummary, error) {
	r, err := u.Open()
	if err != nil {
		return slackapi.FileSummary{}, fmt.Errorf("slack: open %s: %w", u.File.Label(), err)
	}
	defer r.Close()
	return d.stage(ctx, d.opts.ChannelID, staged{name: u.File.Name, title: u.File.Name, alt: altText(u.File), size: u.File.Size}, r)
}

// altText says what a customer's file is, for screen readers.
func altText(a bot.Attachment) string {
	return fmt.Sprintf("A %s the customer sent: %s", a.Kind, a.Name)
}

// filesCaption is the text of the message that shares a customer's files.
// Slack renders initial_comment as mrkdwn, so the customer's name is
// escaped.
func filesCaption(t bot.Ticket, files []bot.Upload) string {
	names := make([]string, len(files))
	for i, u := range files {
		names[i] = escape(outside.Line(u.File.Label()))
	}
	return "📎 *" + escape(outside.Line(handlers.CustomerName(t.Customer))) + "* sent " + strings.Join(names, ", ")
}

// FindFiles looks in t's thread for a message of the bot that shares
// files of the same names as files, since m was written, whose first
// file is none of taken: a post whose answer was lost.
func (d *Desk) FindFiles(ctx context.Context, t bot.Ticket, m bot.Message, files []bot.Upload, taken []string) (string, error) {
	if t.DeskThread == "" || len(files) == 0 {
		return "", nil
	}
	params := &slackapi.GetConversationRepliesParameters{ChannelID: d.channel(t), Timestamp: t.DeskThread, Limit: 200}
	if !m.At.IsZero() {
		params.Oldest = fmt.Sprintf("%d.000000", m.At.Add(-time.Minute).Unix())
	}
	want := make([]string, 0, maxFilesPerMessage)
	for _, u := range files[:min(len(files), maxFilesPerMessage)] {
		want = append(want, outside.Line(outside.Clean(u.File.Name)))
	}
	for page := 0; page < 10; page++ {
		msgs, more, cursor, err := d.api.GetConversationRepliesContext(ctx, params)
		if err != nil {
			return "", deliveryError("conversations.replies", err)
		}
		for _, r := range msgs {
			if r.User != d.botUser || len(r.Files) != len(want) || slices.Contains(taken, r.Files[0].ID) {
				continue
			}
			names := make([]string, len(r.Files))
			for i, f := range r.Files {
				names[i] = f.Name
			}
			if slices.Equal(names, want) {
				return r.Files[0].ID, nil
			}
		}
		if !more || cursor == "" {
			break
		}
		params.Cursor = cursor
	}
	return "", nil
}

// EditMessage re-renders m in its thread as it reads now, marked edited.
func (d *Desk) EditMessage(ctx context.Context, t bot.Ticket, m bot.Message) error {
	if m.DeskRef == "" {
		return nil
	}
	blocks, fallback := textMessage(threadText(t, m), m.Kind == bot.FromCustomer)
	err := d.update(ctx, d.channel(t), m.DeskRef,
		slackapi.MsgOptionText(fallback, false),
		slackapi.MsgOptionBlocks(blocks...),
	)
	return deliveryError("chat.update", err)
}

// Fetch downloads a file an agent shared in a ticket's thread, from its
// url_private_download, with the bot token. The token goes only to
// Slack's file host (or the configured API's, for tests and proxies), and
// redirects are not followed: Slack answers a request it will not serve
// (the app lacks files:read, or the file is not shared where the bot is)
// with a redirect to its sign-in page, which must not be taken for the
// file.
func (d *Desk) Fetch(ctx context.Context, a bot.Attachment) (io.ReadCloser, error) {
	u, err := url.Parse(a.Origin)
	if err != nil || !d.fileHost(u) {
		return nil, bot.Permanent(fmt.Errorf("Slack gave %q as the file's address, which is not Slack's; caredesk does not send its token there", a.Origin))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, bot.Permanent(fmt.Errorf("Slack's address of %s is not usable: %w", a.Name, err))
	}
	req.Header.Set("Authorization", "Bearer "+d.opts.BotToken)
	client := *d.httpClient()
	client.Timeout = max(client.Timeout, fileTimeout)
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s from Slack: %w", a.Name, err)
	}
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case resp.StatusCode/100 == 3 || (resp.StatusCode == http.StatusOK && media == "text/html" && a.MIME != "text/html"):
		resp.Body.Close()
		return nil, bot.Permanent(errors.New("Slack did not let caredesk download the file (it answered with its sign-in page): add the files:read scope on the app's OAuth & Permissions page (slack-app-manifest.yaml lists it) and reinstall the app"))
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		return nil, bot.Permanent(fmt.Errorf("Slack no longer has the file (HTTP %d): it was deleted; attach it again", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, fmt.Errorf("download %s from Slack: HTTP %d", a.Name, resp.StatusCode)
	}
	return resp.Body, nil
}

// fileHost reports whether u is where Slack keeps files: files.slack.com,
// or the host of the configured Web API.
func (d *Desk) fileHost(u *url.URL) bool {
	if u.Scheme != "https" && u.Scheme != "http" {
		return false
	}
	api, err := url.Parse(d.opts.APIURL)
	if err == nil && u.Host == api.Host && u.Scheme == api.Scheme {
		return true
	}
	return u.Scheme == "https" && u.Host == "files.slack.com"
}

// fileTimeout bounds a transfer of a file's bytes: 20 MB at 300 kB/s.
const fileTimeout = 10 * time.Minute

func (d *Desk) httpClient() *http.Client {
	if d.opts.HTTPClient != nil {
		return d.opts.HTTPClient
	}
	return http.DefaultClient
}
