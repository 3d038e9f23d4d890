package discordsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // DecodeConfig reads the sizes Discord announces of pictures
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The simulator's CDN serves attachments where Discord's
// cdn.discordapp.com does, under links signed as Discord has signed them
// since December 2023: ?ex=<expiry>&is=<issued>&hm=<signature>, the
// times in hexadecimal Unix seconds. A link without them, with a wrong
// signature, or past its expiry answers 404 "This content is no longer
// available.", so a bot that keeps links instead of files fails here as
// it would in production.
const (
	cdnPath     = "/attachments/{channel}/{attachment}/{filename}"
	cdnLifetime = 24 * time.Hour // how long Discord signs a link for
	cdnGone     = "This content is no longer available."
)

// cdnState is the CDN's side of the simulator, guarded by Server.mu.
type cdnState struct {
	key       []byte         // signs links
	skew      time.Duration  // the CDN's clock ahead of the real one, see ExpireAttachments
	downloads map[string]int // requests by attachment id
	faults    []int          // the statuses the next requests answer, see FailDownloads
}

func (c *cdnState) init() {
	c.key = []byte(randomHex(32))
	c.downloads = map[string]int{}
}

func (c *cdnState) now() time.Time { return time.Now().Add(c.skew) }

// sign is the hm of a link to attachment id of channel.
func (c *cdnState) sign(channel, id, filename string, expires, issued int64) string {
	h := hmac.New(sha256.New, c.key)
	fmt.Fprintf(h, "%s/%s/%s?%x&%x", channel, id, filename, expires, issued)
	return hex.EncodeToString(h.Sum(nil))
}

// valid reports whether q signs a link to attachment id of channel that
// has not expired.
func (c *cdnState) valid(channel, id, filename string, q url.Values) bool {
	expires, err := strconv.ParseInt(q.Get("ex"), 16, 64)
	if err != nil {
		return false
	}
	issued, err := strconv.ParseInt(q.Get("is"), 16, 64)
	if err != nil {
		return false
	}
	want := c.sign(channel, id, filename, expires, issued)
	return hmac.Equal([]byte(q.Get("hm")), []byte(want)) && c.now().Unix() < expires
}

// attachmentURLLocked is a new signed link to attachment a of channel,
// valid for a day from now, as Discord puts in every message it sends.
// The caller holds s.mu.
func (s *Server) attachmentURLLocked(channel string, a Attachment) string {
	issued := s.cdn.now().Unix()
	expires := issued + int64(cdnLifetime/time.Second)
	// Discord's links end with "&", which a bot must keep.
	return fmt.Sprintf("%s/attachments/%s/%s/%s?ex=%x&is=%x&hm=%s&", s.URL(), channel, a.ID, url.PathEscape(a.Filename),
		expires, issued, s.cdn.sign(channel, a.ID, a.Filename, expires, issued))
}

// attachmentObjectLocked is a as Discord shows it in a message of
// channel: with a fresh signed link, and a picture's width and height.
// The caller holds s.mu.
func (s *Server) attachmentObjectLocked(channel string, a Attachment) map[string]any {
	link := s.attachmentURLLocked(channel, a)
	o := map[string]any{
		"id": a.ID, "filename": a.Filename, "size": a.size(), "url": link, "proxy_url": link, "content_type": a.ContentType,
	}
	if a.Description != "" {
		o["description"] = a.Description
	}
	if strings.HasPrefix(a.ContentType, "image/") {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(a.Data)); err == nil {
			o["width"], o["height"] = cfg.Width, cfg.Height
		}
	}
	return o
}

// attachmentLocked finds attachment id of channel on a message that is
// not deleted: Discord's CDN forgets the files of deleted messages. The
// caller holds s.mu.
func (s *Server) attachmentLocked(channel, id string) (Attachment, bool) {
	for _, m := range s.messages {
		if m.ChannelID != channel || m.Deleted {
			continue
		}
		for _, a := range m.Files {
			if a.ID == id {
				return a, true
			}
		}
		for _, a := range m.Uploads {
			if a.ID == id {
				return a, true
			}
		}
	}
	return Attachment{}, false
}

// serveAttachment answers GET on an attachment's link: its bytes, with
// its Content-Type and Content-Length, when the link is signed and has
// not expired.
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request) {
	channel, id, filename := r.PathValue("channel"), r.PathValue("attachment"), r.PathValue("filename")
	s.mu.Lock()
	s.cdn.downloads[id]++
	fault := 0
	if len(s.cdn.faults) > 0 {
		fault, s.cdn.faults = s.cdn.faults[0], s.cdn.faults[1:]
	}
	signed := s.cdn.valid(channel, id, filename, r.URL.Query())
	a, found := s.attachmentLocked(channel, id)
	s.notifyLocked()
	s.mu.Unlock()
	switch {
	case fault != 0:
		http.Error(w, fmt.Sprintf("%d: %s", fault, http.StatusText(fault)), fault)
		return
	case !signed:
		http.Error(w, cdnGone, http.StatusNotFound)
		return
	case !found:
		http.Error(w, "404: Not Found", http.StatusNotFound)
		return
	}
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	size := a.size()
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(a.Data); err == nil {
		_, _ = io.CopyN(w, zeros{}, size-int64(len(a.Data)))
	}
}

// zeros reads as endless zero bytes: the rest of a file whose size was
// announced beyond its bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// ExpireAttachments moves the CDN's clock a day on, as if every link
// handed out so far had outlived the day Discord signs it for: those
// links answer 404 "This content is no longer available.". Messages sent
// afterwards (a dispatch, GET /channels/{channel}/messages, an edit's
// answer) carry new links, which work, as fetching a message again does
// on Discord.
func (s *Server) ExpireAttachments() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cdn.skew += cdnLifetime + time.Second
	s.notifyLocked()
}

// Downloads returns how many times the CDN was asked for attachment
// attachmentID, refused requests included.
func (s *Server) Downloads(attachmentID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cdn.downloads[attachmentID]
}

// FailDownloads makes the CDN answer the next n requests, whatever the
// attachment, with status (a 5xx, a 429…) and a text body, as a CDN in
// trouble does. They count as downloads. SetDown does not reach the CDN,
// which stays up when Discord's API is down.
func (s *Server) FailDownloads(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.cdn.faults = append(s.cdn.faults, status)
	}
}
