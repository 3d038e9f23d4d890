//lint:file-ignore ST1005 these errors are sentences for whoever runs caredesk, and start with the proper noun Discord

package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/outside"
)

var (
	_ bot.Fetcher   = (*Discord)(nil)
	_ bot.FileDesk  = (*Discord)(nil)
	_ bot.FileTaker = (*Discord)(nil)
)

// DefaultMaxFileSize is Options.MaxFileSize when it is 0: the most a bot
// may post per file in a server without boosts.
const DefaultMaxFileSize = 10 << 20

// maxUpload is the most bytes of files caredesk puts in one message:
// Discord refuses a larger request whatever the server's boosts.
const maxUpload = 25 << 20

// cdnHosts are where Discord serves attachments. Fetch downloads from
// nowhere else: the address of a desk file comes from an agent's message,
// and caredesk must not be made to fetch what someone points it at.
var cdnHosts = []string{"cdn.discordapp.com", "media.discordapp.net"}

// errGone is what Discord's CDN answers for a file it no longer serves.
var errGone = errors.New("Discord no longer has the file: its link expired or the message was deleted")

// attachments are a message's files as the core keeps them: from is
// SourceName for a customer's, bot.FromDesk for an agent's, and Origin
// the file's address on Discord's CDN, which Fetch reads.
func attachments(m *discordgo.Message, from string) []bot.Attachment {
	var out []bot.Attachment
	voice := m.Flags&discordgo.MessageFlagsIsVoiceMessage != 0
	for _, a := range m.Attachments {
		if a == nil || a.URL == "" {
			continue
		}
		name := a.Filename
		if name == "" {
			name = "file"
		}
		out = append(out, bot.Attachment{
			Kind: fileKind(a, voice), Name: name, MIME: a.ContentType, Size: int64(a.Size),
			From: from, Origin: a.URL,
		})
	}
	return out
}

// fileKind is what kind of file a is: by its media type (bot.KindOf),
// except that Discord marks a voice message by the message's flag and the
// waveform it draws.
func fileKind(a *discordgo.MessageAttachment, voice bool) bot.FileKind {
	kind := bot.KindOf(a.ContentType)
	if kind == bot.FileAudio && (voice || a.Waveform != "") && strings.HasPrefix(strings.ToLower(a.ContentType), "audio/ogg") {
		return bot.FileVoice
	}
	return kind
}

// Fetch downloads a file a customer or an agent sent on Discord (a.Origin,
// its CDN address), through the session's HTTP client, without the bot's
// token, which the CDN does not need. Only Discord's CDN hosts, and the
// host of Options.APIURL (a proxy or a simulator), are fetched from; a
// redirect elsewhere is refused. A link Discord no longer serves (it
// expired after a day, or the message was deleted) is a permanent error;
// a 5xx or a network failure is worth a retry. The caller closes the
// body.
func (d *Discord) Fetch(ctx context.Context, a bot.Attachment) (io.ReadCloser, error) {
	u, err := url.Parse(a.Origin)
	if err != nil || !d.fetchable(u) {
		return nil, bot.Permanent(fmt.Errorf("caredesk downloads Discord files only from Discord's CDN (%s), and %s is not there", strings.Join(cdnHosts, ", "), hostOf(a.Origin)))
	}
	// The body is read after Fetch returns: the call ends when it is
	// closed, or with Close, not when Fetch returns.
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(d.life, cancel)
	done := func() { stop(); cancel() }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		done()
		return nil, bot.Permanent(fmt.Errorf("the address of %s cannot be fetched: %w", a.Label(), err))
	}
	client := *d.s.Client
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 5 || !d.fetchable(r.URL) {
			return fmt.Errorf("discord: the CDN sent the download of %s elsewhere (%s), where caredesk does not follow", a.Label(), r.URL.Host)
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		done()
		return nil, fmt.Errorf("discord: download %s: %w", a.Label(), err)
	}
	if resp.StatusCode == http.StatusOK {
		return &body{ReadCloser: resp.Body, done: done}, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	done()
	return nil, downloadError(a, resp)
}

// fetchable reports whether u is on Discord's CDN, or on the API's own
// host (a proxy or a simulator that serves the CDN's paths).
func (d *Discord) fetchable(u *url.URL) bool {
	if u == nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, d.apiHost) {
		return true
	}
	return slices.ContainsFunc(cdnHosts, func(h string) bool { return strings.EqualFold(u.Host, h) })
}

// hostOf names the host of address for a sentence, or the address when
// it has none.
func hostOf(address string) string {
	if u, err := url.Parse(address); err == nil && u.Host != "" {
		return u.Host
	}
	return outside.Quote(address)
}

// downloadError classifies the CDN's refusal of a: gone for good (404,
// 403, 410), after the wait it asked for (429), later (5xx), or never
// (any other 4xx).
func downloadError(a bot.Attachment, resp *http.Response) error {
	status := resp.StatusCode
	switch {
	case status == http.StatusNotFound || status == http.StatusForbidden || status == http.StatusGone:
		return bot.Permanent(errGone)
	case status == http.StatusTooManyRequests:
		secs, _ := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64)
		return bot.RetryAfter(max(time.Duration(secs*float64(time.Second)), time.Second), fmt.Errorf("discord: download %s: rate limited (HTTP 429)", a.Label()))
	case status >= 500 || status == http.StatusRequestTimeout:
		return fmt.Errorf("discord: download %s: the CDN answered HTTP %d", a.Label(), status)
	}
	return bot.Permanent(fmt.Errorf("Discord refused to hand over the file (HTTP %d)", status))
}

// body is a download's body that ends its call when closed.
type body struct {
	io.ReadCloser
	done func()
}

func (b *body) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

// maxFile is the most bytes of one file caredesk posts.
func (d *Discord) maxFile() int64 {
	if d.opts.MaxFileSize > 0 {
		return d.opts.MaxFileSize
	}
	return DefaultMaxFileSize
}

// tooLarge says how large a file Discord takes, as the reason a larger
// one cannot go.
func (d *Discord) tooLarge() string {
	if d.maxFile() == DefaultMaxFileSize {
		return "Discord takes files up to 10 MB in a server without boosts"
	}
	return fmt.Sprintf("Discord takes files up to %s on this server", bot.Bytes(d.maxFile()))
}

// TakeFile says why f cannot go to a customer on Discord, or "": a file
// larger than Options.MaxFileSize (10 MB, Discord's limit in a server
// without boosts, by default) would be refused with the whole reply.
func (d *Discord) TakeFile(f bot.Attachment) string {
	if f.Size > d.maxFile() {
		return d.tooLarge()
	}
	return ""
}

// PostFiles shows the files a customer sent with m in t's thread, under
// a line that names them and who sent them: one message, or, past
// Discord's 10 files or 25 MB of a message, several, whose first one's
// id is returned. Each message carries a nonce, so a retry after a lost
// answer does not post the files twice (see FindFiles).
//
// A file larger than Options.MaxFileSize, which Discord would refuse with
// the rest, and Discord's refusals for good (the bot may not attach
// files, the files are too large for the server) are permanent errors
// that say so.
func (d *Discord) PostFiles(ctx context.Context, t bot.Ticket, m bot.Message, files []bot.Upload) (string, error) {
	if t.DeskThread == "" {
		return "", fmt.Errorf("discord: ticket #%d is not on the desk yet", t.ID)
	}
	if len(files) == 0 {
		return "", nil
	}
	var large []string
	for _, u := range files {
		if u.File.Size > d.maxFile() {
			large = append(large, u.File.Label())
		}
	}
	if len(large) > 0 {
		return "", bot.Permanent(fmt.Errorf("%s, and %s is larger; the customer's files go in one post, so none is shown (if the server is boosted, raise caredesk's Discord file limit to match)", d.tooLarge(), strings.Join(large, ", ")))
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	from := handlers.CustomerName(t.Customer)
	first := ""
	for i, batch := range batches(files) {
		sent, err := d.post(ctx, t.DeskThread, &discordgo.MessageSend{Content: filesCaption(batch, from), AllowedMentions: noMentions()}, batch, nonce("f", m.ID, int64(i)))
		if err != nil {
			return "", d.filesError(t.DeskThread, batch, err)
		}
		if i == 0 {
			first = sent.ID
		}
	}
	return first, nil
}

// filesCaption is the line over a customer's files in the thread: "📎
// photo.jpg (2.1 MB) from **Jane Doe (@jane)**".
func filesCaption(files []bot.Upload, from string) string {
	labels := make([]string, len(files))
	for i, u := range files {
		labels[i] = escapeName(u.File.Label())
	}
	return clip("📎 "+strings.Join(labels, ", ")+" from **"+escapeName(from)+"**", maxContent)
}

// batches cuts files into the messages that carry them: at most 10 files
// and maxUpload bytes each, in order.
func batches(files []bot.Upload) [][]bot.Upload {
	var out [][]bot.Upload
	var size int64
	for _, u := range files {
		n := len(out)
		if n == 0 || len(out[n-1]) == maxFiles || (len(out[n-1]) > 0 && size+u.File.Size > maxUpload) {
			out, size = append(out, nil), 0
			n++
		}
		out[n-1] = append(out[n-1], u)
		size += u.File.Size
	}
	return out
}

// FindFiles looks for an earlier post of files in t's thread whose id is
// none of taken, so that a post whose answer was lost is not made twice:
// by the nonce it was sent with, which the gateway's echo carries while
// this process runs, or else among the bot's messages in the thread
// since m was written, by the names of the files of its first message.
func (d *Discord) FindFiles(ctx context.Context, t bot.Ticket, m bot.Message, files []bot.Upload, taken []string) (string, error) {
	if t.DeskThread == "" || len(files) == 0 {
		return "", nil
	}
	if id, ok := d.sentWith(nonce("f", m.ID, 0)); ok && !slices.Contains(taken, id) {
		return id, nil
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	var want []string
	for _, u := range batches(files)[0] {
		want = append(want, sameName(uploadName(u.File)))
	}
	return d.findInThread(ctx, t.DeskThread, m.At, func(msg *discordgo.Message) bool {
		if slices.Contains(taken, msg.ID) || len(msg.Attachments) != len(want) {
			return false
		}
		for i, a := range msg.Attachments {
			if sameName(a.Filename) != want[i] {
				return false
			}
		}
		return true
	})
}

// sameName is a file name as it can be compared with the name Discord
// gives the upload: Discord replaces spaces and some signs, so only
// letters, digits and dots count.
func sameName(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' {
			return unicode.ToLower(r)
		}
		return -1
	}, name)
}

// uploadName is the name a file is uploaded under: its own, cleaned of
// what would act instead of being read, or one made up from its kind.
func uploadName(a bot.Attachment) string {
	if name := outside.Line(outside.Clean(a.Name)); name != "" {
		return name
	}
	if a.Kind == bot.FilePhoto {
		return "photo.jpg"
	}
	return "file"
}

// post sends m to channel with files, or without as send does, with
// nonce when it is not "". Each file's bytes are read from its Open.
func (d *Discord) post(ctx context.Context, channel string, m *discordgo.MessageSend, files []bot.Upload, nonce string) (*discordgo.Message, error) {
	if len(files) == 0 {
		return d.send(ctx, channel, m, nonce)
	}
	parts := make([]filePart, 0, len(files))
	var opened []io.Closer
	defer func() {
		for _, c := range opened {
			_ = c.Close()
		}
	}()
	for _, u := range files {
		if u.Open == nil {
			return nil, bot.Permanent(fmt.Errorf("discord: %s has no bytes to send", u.File.Label()))
		}
		r, err := u.Open()
		if err != nil {
			return nil, fmt.Errorf("discord: open %s: %w", u.File.Label(), err)
		}
		opened = append(opened, r)
		name := uploadName(u.File)
		ct := u.File.MIME
		if ct == "" {
			ct = fileType(name)
		}
		parts = append(parts, filePart{name: name, contentType: ct, r: r})
	}
	return d.sendParts(ctx, channel, m, parts, nonce)
}

// filePart is one file of a multipart message.
type filePart struct {
	name, contentType, alt string
	r                      io.Reader
}

// withFiles is a message create with files described, which discordgo's
// MessageSend cannot say: attachments name each files[n] part by its n
// and carry its description, Discord's alt text; and the nonce.
type withFiles struct {
	*discordgo.MessageSend
	Attachments  []attachment `json:"attachments"`
	Nonce        string       `json:"nonce,omitempty"`
	EnforceNonce bool         `json:"enforce_nonce,omitempty"`
}

type attachment struct {
	ID          int    `json:"id"`
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
}

// sendParts posts m with files to channel, as multipart/form-data with
// the message in payload_json and each file in a part files[n], and
// remembers the message's nonce.
func (d *Discord) sendParts(ctx context.Context, channel string, m *discordgo.MessageSend, files []filePart, nonce string) (*discordgo.Message, error) {
	body := withFiles{MessageSend: m, Nonce: nonce, EnforceNonce: nonce != ""}
	parts := make([]*discordgo.File, len(files))
	for i, f := range files {
		parts[i] = &discordgo.File{Name: f.name, ContentType: f.contentType, Reader: f.r}
		body.Attachments = append(body.Attachments, attachment{ID: i, Filename: f.name, Description: f.alt})
	}
	contentType, data, err := discordgo.MultipartBodyWithJSON(body, parts)
	if err != nil {
		return nil, err
	}
	endpoint := discordgo.EndpointChannelMessages(channel)
	raw, err := d.s.RequestRaw(http.MethodPost, endpoint, contentType, data, endpoint, 0, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	var msg discordgo.Message
	if err := json.Unmarshal(raw, &msg); err != nil {
		return nil, fmt.Errorf("discord answered a message create with %d bytes that are not a message: %w", len(raw), err)
	}
	d.sentAs(nonce, msg.ID)
	return &msg, nil
}

// filesError words what Discord refused of files for good as a sentence
// that says what to do, since the thread shows it with the files' names;
// the rest is classified as any other call.
func (d *Discord) filesError(channel string, files []bot.Upload, err error) error {
	var re *discordgo.RESTError
	status, code := 0, discordCode(err)
	if errors.As(err, &re) {
		status, _ = restStatus(re)
	}
	var sentence string
	switch {
	case code == discordgo.ErrCodeMissingPermissions:
		sentence = fmt.Sprintf("Discord refused the files: the bot lacks the Attach Files permission in channel %s; grant Attach Files to caredesk's role in that channel's or the server's settings (Permissions)", channel)
	case code == discordgo.ErrCodeMissingAccess:
		sentence = fmt.Sprintf("Discord refused the files: the bot cannot see channel %s (Missing Access); let its role View Channel, Send Messages, Send Messages in Threads and Attach Files there", channel)
	case status == http.StatusRequestEntityTooLarge || code == discordgo.ErrCodeRequestEntityTooLarge:
		var size int64
		for _, u := range files {
			size += u.File.Size
		}
		sentence = fmt.Sprintf("Discord refused the files as too large (%s together): the server takes less than caredesk's Discord file limit (%s) allows; set the limit to what the server takes (10 MB without boosts)", bot.Bytes(size), bot.Bytes(d.maxFile()))
	default:
		return deliveryError("post files", err)
	}
	return bot.Permanent(fmt.Errorf("%s: %w", sentence, describe(err)))
}

// findInThread returns the id of the first of the bot's messages in
// thread since about at (all of them when at is zero), oldest first, that
// match, or "".
func (d *Discord) findInThread(ctx context.Context, thread string, at time.Time, match func(*discordgo.Message) bool) (string, error) {
	after := "0"
	if !at.IsZero() {
		after = snowflakeAt(at.Add(-time.Minute))
	}
	for range 10 {
		msgs, err := d.s.ChannelMessages(thread, 100, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			return "", deliveryError("list messages", err)
		}
		// Oldest first: the first post is the one that was lost.
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Author != nil && msgs[i].Author.ID == d.botID && match(msgs[i]) {
				return msgs[i].ID, nil
			}
		}
		for _, msg := range msgs {
			if idAfter(msg.ID, after) {
				after = msg.ID
			}
		}
		if len(msgs) < 100 {
			break
		}
	}
	return "", nil
}
