package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/bot"
)

// maxCaptionLen is Telegram's limit on the text under a photo or file,
// counted as a message's text is, in UTF-16 code units.
const maxCaptionLen = 1024

// maxAlbum is the most files of one sendMediaGroup; an album has at least
// two.
const maxAlbum = 10

// uploadTimeout bounds a call that uploads files, when the caller set no
// earlier deadline: 50 MB take a while on a slow link.
const uploadTimeout = 10 * time.Minute

// photoTypes are the types Telegram shows as a photo; anything else a desk
// calls a picture (a GIF, a HEIC) goes as a document, which arrives as it
// was.
var photoTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// batch cuts files into the calls that send them: one file alone, 2 to 10
// as an album. More than 10 go as albums of sizes as even as can be, since
// an album needs two: 11 files go as 6 and 5, not 10 and 1.
func batch(files []bot.Upload) [][]bot.Upload {
	n := len(files)
	if n == 0 {
		return nil
	}
	groups := (n + maxAlbum - 1) / maxAlbum
	out := make([][]bot.Upload, 0, groups)
	for g := range groups {
		size := n / groups
		if g < n%groups {
			size++
		}
		out = append(out, files[:size])
		files = files[size:]
	}
	return out
}

// asPhoto reports whether f can go as a photo: a picture Telegram shows as
// one, of up to 10 MB. Others go as documents.
func asPhoto(f bot.Attachment) bool {
	if f.Kind != bot.FilePhoto || f.Size > maxPhoto {
		return false
	}
	mimeType := strings.ToLower(f.MIME)
	if mimeType == "" {
		mimeType = map[string]string{".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}[strings.ToLower(path.Ext(f.Name))]
	}
	return photoTypes[mimeType]
}

// sendFiles sends one batch (see batch) with caption under its first file,
// quoting the message replyTo unless it is 0, and returns the ids of the
// messages it made, in order. A batch of pictures (asPhoto) goes as photos
// (sendPhoto, or an album of photos); any other as documents (sendDocument,
// or an album of documents), since Telegram refuses an album that mixes
// documents with photos. Voice, video, audio and the like go as documents
// too: they arrive as the files they are. Photos Telegram refuses as
// photos (their sides, their size) go again as documents.
func (c *Client) sendFiles(ctx context.Context, chatID int64, files []bot.Upload, caption string, replyTo int) ([]int, error) {
	photos := true
	for _, u := range files {
		photos = photos && asPhoto(u.File)
	}
	ids, err := c.upload(ctx, chatID, files, caption, replyTo, photos)
	if photos && photoRefused(err) {
		c.log.Info("Telegram refused pictures as photos; they go as documents", "chat", chatID, "err", c.redact(err))
		ids, err = c.upload(ctx, chatID, files, caption, replyTo, false)
	}
	return ids, err
}

// photoRefused reports whether Telegram refused a photo for what it is
// (PHOTO_INVALID_DIMENSIONS, IMAGE_PROCESS_FAILED, too big), which a
// document does not mind.
func photoRefused(err error) bool {
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) || apiErr.Code != http.StatusBadRequest {
		return false
	}
	desc := strings.ToUpper(apiErr.Message)
	return strings.Contains(desc, "PHOTO") || strings.Contains(desc, "IMAGE_PROCESS_FAILED") || strings.Contains(desc, "FILE IS TOO BIG")
}

// upload makes one sendPhoto, sendDocument or sendMediaGroup call with
// files, as photos or as documents. The library's MediaGroupConfig has no
// allow_sending_without_reply, so the calls are made with UploadFiles and
// the parameters by hand; the bytes are streamed from the file store, not
// read into memory.
func (c *Client) upload(ctx context.Context, chatID int64, files []bot.Upload, caption string, replyTo int, photos bool) ([]int, error) {
	kind, method := "document", "sendDocument"
	if photos {
		kind, method = "photo", "sendPhoto"
	}
	chat := strconv.FormatInt(chatID, 10)
	params := tgbotapi.Params{"chat_id": chat}
	if replyTo != 0 {
		params.AddNonZero("reply_to_message_id", replyTo)
		params["allow_sending_without_reply"] = "true" // a quoted message the customer deleted does not stop the reply
	}
	var parts []tgbotapi.RequestFile
	var media []map[string]string
	for i, u := range files {
		r, err := open(u)
		if err != nil {
			return nil, err
		}
		defer r.shut()
		name := u.File.Name
		if name == "" {
			name = "file"
		}
		data := tgbotapi.FileReader{Name: name, Reader: r}
		if len(files) == 1 {
			parts = append(parts, tgbotapi.RequestFile{Name: kind, Data: data})
			params.AddNonEmpty("caption", caption)
			break
		}
		field := fmt.Sprintf("file-%d", i)
		item := map[string]string{"type": kind, "media": "attach://" + field}
		if i == 0 && caption != "" {
			item["caption"] = caption
		}
		media = append(media, item)
		parts = append(parts, tgbotapi.RequestFile{Name: field, Data: data})
	}
	if len(files) > 1 {
		method = "sendMediaGroup"
		if err := params.AddInterface("media", media); err != nil {
			return nil, err // a list of maps of strings always encodes
		}
	}
	api, status, stop := c.callKeepingStatus(ctx, uploadTimeout)
	defer stop()
	resp, err := api.UploadFiles(method, params, parts)
	if err != nil {
		var apiErr *tgbotapi.Error
		if errors.As(err, &apiErr) && apiErr.Code == 0 {
			apiErr.Code = *status
		}
		return nil, c.sendError(chat, err)
	}
	var sent []tgbotapi.Message
	if method == "sendMediaGroup" {
		err = json.Unmarshal(resp.Result, &sent)
	} else {
		sent = make([]tgbotapi.Message, 1)
		err = json.Unmarshal(resp.Result, &sent[0])
	}
	if err != nil || len(sent) == 0 {
		// Sent, but the answer cannot be read: a retry would send it twice.
		return nil, bot.Permanent(fmt.Errorf("telegram took the files for chat %s but answered %s with something caredesk cannot read (%v); they may have arrived", chat, method, err))
	}
	ids := make([]int, len(sent))
	for i, m := range sent {
		ids[i] = m.MessageID
	}
	return ids, nil
}

// callKeepingStatus is call for UploadFiles, whose errors lack the HTTP
// status (v5.5.1 sets no Code): status holds it once the call answered,
// so that a refusal is classified as the code says.
func (c *Client) callKeepingStatus(ctx context.Context, timeout time.Duration) (api *tgbotapi.BotAPI, status *int, stop func()) {
	api, stop = c.call(ctx, timeout)
	d := api.Client.(doer)
	d.status = new(int)
	api.Client = d
	return api, d.status, stop
}

// open opens an upload's bytes.
func open(u bot.Upload) (*guarded, error) {
	if u.Open == nil {
		return nil, bot.Permanent(fmt.Errorf("caredesk has no bytes of %s to send", u.File.Label()))
	}
	r, err := u.Open()
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil, bot.Permanent(fmt.Errorf("caredesk no longer keeps the bytes of %s (files: retention); attach it again", u.File.Label()))
	}
	if err != nil {
		return nil, fmt.Errorf("could not read %s from caredesk's file store: %w; it will be tried again", u.File.Label(), err)
	}
	return &guarded{r: r}, nil
}

// guarded is an upload's bytes as the library reads them. The library
// copies them on a goroutine of its own that may still be reading when a
// failed call returns, so closing waits for a read in progress, and reads
// after it find the pipe closed. It has no Close: the library would close
// it only when the copy succeeds, and upload closes it every time.
type guarded struct {
	mu     sync.Mutex
	r      io.ReadCloser
	closed bool
}

// Read reads the bytes, until shut.
func (g *guarded) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, io.ErrClosedPipe
	}
	return g.r.Read(p)
}

// shut closes the bytes once.
func (g *guarded) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		_ = g.r.Close()
	}
}
