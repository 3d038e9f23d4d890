package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/bot"
)

// Telegram's limits on the files of bots.
const (
	// maxDownload is the largest file getFile hands a bot: "bots can
	// download files of up to 20 MB in size".
	maxDownload = 20 << 20
	// maxPhoto is the largest photo a bot may send as a photo; a larger one
	// goes as a document.
	maxPhoto = 10 << 20
	// maxUpload is the largest file a bot may send.
	maxUpload = 50 << 20
)

// downloadTimeout bounds a download whose caller set no deadline: 20 MB
// take a while on a slow link, but a connection that hangs must not hold
// a worker for good.
const downloadTimeout = 10 * time.Minute

var (
	_ bot.Fetcher   = (*Client)(nil)
	_ bot.FileTaker = (*Client)(nil)
	_ bot.Corrector = (*Client)(nil)
)

// attachment is the file a message carries, as the core keeps it: its
// Origin is the file_id that getFile takes. ok is false for a message
// without one. Names and types Telegram does not give are made up the way
// its apps save such files ("photo.jpg", "voice.ogg"), so the desk shows a
// file that opens.
func attachment(m *tgbotapi.Message, videoSticker bool) (a bot.Attachment, ok bool) {
	a = bot.Attachment{From: SourceName}
	switch {
	case len(m.Photo) > 0:
		// Telegram sends a photo in several sizes; the largest is the
		// photo itself, the others thumbnails.
		p := m.Photo[0]
		for _, s := range m.Photo[1:] {
			if s.Width*s.Height > p.Width*p.Height || (s.Width*s.Height == p.Width*p.Height && s.FileSize > p.FileSize) {
				p = s
			}
		}
		a.Kind, a.Origin, a.Size, a.Name, a.MIME = bot.FilePhoto, p.FileID, int64(p.FileSize), "photo.jpg", "image/jpeg"
	case m.Animation != nil: // before Document: an animation also sets it, and is one file
		f := m.Animation
		a.Kind, a.Origin, a.Size = bot.FileAnimation, f.FileID, int64(f.FileSize)
		a.Name, a.MIME = or(f.FileName, "animation.mp4"), or(f.MimeType, "video/mp4")
	case m.Document != nil:
		f := m.Document
		a.Kind, a.Origin, a.Size, a.MIME = bot.FileDocument, f.FileID, int64(f.FileSize), f.MimeType
		a.Name = or(f.FileName, "document"+extension(f.MimeType))
	case m.Voice != nil:
		f := m.Voice
		a.Kind, a.Origin, a.Size, a.Name, a.MIME = bot.FileVoice, f.FileID, int64(f.FileSize), "voice.ogg", or(f.MimeType, "audio/ogg")
	case m.VideoNote != nil: // a round video message: a video, as the desk shows it
		f := m.VideoNote
		a.Kind, a.Origin, a.Size, a.Name, a.MIME = bot.FileVideo, f.FileID, int64(f.FileSize), "video-note.mp4", "video/mp4"
	case m.Video != nil:
		f := m.Video
		a.Kind, a.Origin, a.Size = bot.FileVideo, f.FileID, int64(f.FileSize)
		a.Name, a.MIME = or(f.FileName, "video.mp4"), or(f.MimeType, "video/mp4")
	case m.Audio != nil:
		f := m.Audio
		a.Kind, a.Origin, a.Size, a.MIME = bot.FileAudio, f.FileID, int64(f.FileSize), or(f.MimeType, "audio/mpeg")
		a.Name = or(f.FileName, "audio"+or(extension(a.MIME), ".mp3"))
	case m.Sticker != nil:
		f := m.Sticker
		a.Kind, a.Origin, a.Size, a.Name, a.MIME = bot.FileSticker, f.FileID, int64(f.FileSize), "sticker.webp", "image/webp"
		switch {
		case f.IsAnimated:
			a.Name, a.MIME = "sticker.tgs", "application/x-tgsticker"
		case videoSticker:
			a.Name, a.MIME = "sticker.webm", "video/webm"
		}
	default:
		return bot.Attachment{}, false
	}
	return a, a.Origin != ""
}

// or returns s, or fallback when s is empty.
func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// extensions are the extensions of the types customers send most, for
// the name of a file that came without one. The system's MIME table is
// not asked: its answer differs from machine to machine.
var extensions = map[string]string{
	"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
	"image/webp": ".webp", "image/heic": ".heic", "text/plain": ".txt", "text/csv": ".csv",
	"application/zip": ".zip", "video/mp4": ".mp4", "video/quicktime": ".mov",
	"audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a",
	"application/msword": ".doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       ".xlsx",
}

// extension is the usual extension of files of type mimeType, or "".
func extension(mimeType string) string { return extensions[strings.ToLower(mimeType)] }

// Fetch downloads the bytes of a file a customer sent (a.Origin is its
// file_id): getFile gives its path, valid for an hour, and the download is
// streamed to the caller, who closes it. Telegram hands bots files of up
// to 20 MB; a larger one, or a file_id Telegram does not know, is a
// bot.Permanent error whose message says so in a sentence for the thread.
// Anything else (5xx, the network, 429 with its retry_after) is
// temporary. The download's address holds the bot token, which never
// appears in an error.
func (c *Client) Fetch(ctx context.Context, a bot.Attachment) (io.ReadCloser, error) {
	if a.Origin == "" {
		return nil, bot.Permanent(fmt.Errorf("caredesk has no Telegram file_id for %s, so it cannot download it; ask the customer to send it again", a.Label()))
	}
	path, err := c.filePath(ctx, a)
	if err != nil {
		return nil, c.redact(err)
	}
	body, err := c.download(ctx, a, path)
	return body, c.redact(err)
}

// filePath asks getFile where a's bytes are.
func (c *Client) filePath(ctx context.Context, a bot.Attachment) (string, error) {
	api, stop := c.call(ctx, callTimeout)
	defer stop()
	f, err := api.GetFile(tgbotapi.FileConfig{FileID: a.Origin})
	if err != nil {
		return "", c.fileError(a, err)
	}
	if f.FilePath == "" {
		return "", fmt.Errorf("telegram gave no path to download %s from; it will be tried again", a.Label())
	}
	return f.FilePath, nil
}

// fileError classifies a failed getFile.
func (c *Client) fileError(a bot.Attachment, err error) error {
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("could not ask the Telegram Bot API at %s for %s: %w; it will be tried again", c.apiURL, a.Label(), err)
	}
	desc := strings.ToLower(apiErr.Message)
	switch {
	case strings.Contains(desc, "file is too big"):
		size := "larger"
		if a.Size > 0 {
			size = bot.Bytes(a.Size)
		}
		return bot.Permanent(&explained{
			msg: fmt.Sprintf("Telegram lets bots download files up to %s; this one is %s — ask the customer to send it another way, e.g. a link", bot.Bytes(maxDownload), size),
			err: err,
		})
	case apiErr.Code == http.StatusTooManyRequests:
		wait := time.Duration(apiErr.RetryAfter) * time.Second
		return bot.RetryAfter(wait, &explained{msg: fmt.Sprintf("telegram asks caredesk to slow down (429 %s): the download of %s waits %s", apiErr.Message, a.Label(), wait), err: err})
	case apiErr.Code == http.StatusUnauthorized:
		return &explained{msg: fmt.Sprintf("TELEGRAM_BOT_TOKEN was rejected by Telegram (%d %s): the token was revoked; copy the new one from @BotFather and restart — the download of %s waits", apiErr.Code, apiErr.Message, a.Label()), err: err}
	case apiErr.Code == http.StatusBadRequest, apiErr.Code == http.StatusNotFound, apiErr.Code == http.StatusForbidden:
		// "invalid file_id": the id is not this bot's, or Telegram dropped
		// the file.
		return bot.Permanent(&explained{msg: fmt.Sprintf("Telegram no longer hands over this file (%d %s); ask the customer to send it again", apiErr.Code, apiErr.Message), err: err})
	}
	return &explained{msg: fmt.Sprintf("telegram failed to describe %s (%d %s); it will be tried again", a.Label(), apiErr.Code, apiErr.Message), err: err}
}

// download GETs the file at path on Telegram's file server. The body is
// the caller's to close; the request's context ends with it.
func (c *Client) download(ctx context.Context, a bot.Attachment, path string) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	unlink := context.AfterFunc(c.life, cancel)
	end := func() {
		unlink()
		cancel()
	}
	address := c.apiURL + "/file/bot" + c.token + "/" + (&url.URL{Path: path}).EscapedPath()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, address, nil)
	if err != nil {
		end()
		return nil, fmt.Errorf("could not make the download of %s: %w", a.Label(), c.hideToken(err))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		end()
		return nil, fmt.Errorf("could not download %s from Telegram at %s: %w; it will be tried again", a.Label(), c.apiURL, c.hideToken(err))
	}
	if resp.StatusCode == http.StatusOK {
		return &stream{ReadCloser: resp.Body, end: end}, nil
	}
	defer end()
	defer resp.Body.Close()
	return nil, c.downloadError(a, resp)
}

// hideToken takes the token out of a transport error, whose url.Error
// prints the whole address.
func (c *Client) hideToken(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, c.token, "<token>")
	}
	return err
}

// downloadError classifies a download the file server did not answer with
// the file. It answers in the Bot API's envelope, or with a proxy's page.
func (c *Client) downloadError(a bot.Attachment, resp *http.Response) error {
	var envelope struct {
		Description string `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&envelope)
	what := resp.Status
	if envelope.Description != "" {
		what = fmt.Sprintf("%d %s", resp.StatusCode, envelope.Description)
	}
	err := fmt.Errorf("telegram's file server answered the download of %s with %s", a.Label(), what)
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		wait := time.Duration(envelope.Parameters.RetryAfter) * time.Second
		if s, convErr := strconv.Atoi(resp.Header.Get("Retry-After")); wait == 0 && convErr == nil {
			wait = time.Duration(s) * time.Second
		}
		return bot.RetryAfter(wait, fmt.Errorf("%w; it waits %s", err, wait))
	case code == http.StatusUnauthorized:
		return fmt.Errorf("%w: TELEGRAM_BOT_TOKEN was revoked; copy the new one from @BotFather and restart — the download waits", err)
	case code == http.StatusNotFound, code == http.StatusRequestTimeout, code >= 500:
		// A path lives an hour: the next try asks getFile for a new one.
		return fmt.Errorf("%w; it will be tried again", err)
	case code >= 400:
		return bot.Permanent(fmt.Errorf("%w; ask the customer to send it again", err))
	}
	return fmt.Errorf("%w; it will be tried again", err)
}

// stream is a download's body: closing it also ends its request's context.
type stream struct {
	io.ReadCloser
	end func()
}

// Close closes the body and lets the request go.
func (s *stream) Close() error {
	err := s.ReadCloser.Close()
	s.end()
	return err
}

// TakeFile says whether Telegram takes f from a bot, and if not, why, in a
// sentence for the thread. Telegram takes files of up to 50 MB from bots,
// and photos of up to 10 MB: Send sends a larger photo as a document,
// which the customer opens at full size, so only files over 50 MB are
// refused.
func (c *Client) TakeFile(f bot.Attachment) string {
	if f.Size > maxUpload {
		return fmt.Sprintf("Telegram takes files up to %s from bots, and this one is %s; share a link to it instead", bot.Bytes(maxUpload), bot.Bytes(f.Size))
	}
	return ""
}
