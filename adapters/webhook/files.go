package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"caredesk/bodybudget"
	"caredesk/bot"
	"caredesk/quietlog"
)

// noPublicURL is why a file cannot go to a bridge when caredesk has no
// public address: a bridge gets files only as links to it.
const noPublicURL = "the bridge gets files as download links, and caredesk has no public address for them: set CAREDESK_PUBLIC_URL"

// TakeFile says why f cannot go to the bridge, or "": without a PublicURL
// there is no link to give it. Any file goes otherwise; the cap on its
// size is caredesk's (files: max_file), not the bridge's.
func (c *Client) TakeFile(f bot.Attachment) string {
	if c.publicURL == "" {
		return noPublicURL
	}
	return ""
}

// links returns the signed download links of files, which work until
// now plus the link TTL.
func (c *Client) links(files []bot.Upload) ([]FileLink, error) {
	if c.publicURL == "" {
		return nil, bot.Permanent(errors.New(noPublicURL))
	}
	expires := c.now().Add(c.linkTTL).Truncate(time.Second).UTC()
	out := make([]FileLink, 0, len(files))
	for _, u := range files {
		a := u.File
		if a.ID <= 0 {
			// Only a stored attachment can be served; the courier hands
			// over none other, so this is a bug to report, not to retry.
			return nil, bot.Permanent(fmt.Errorf("the file %s has no id in caredesk's store, so no link can be made for it", bot.Quote(a.Label())))
		}
		name := fileName(a.Name)
		out = append(out, FileLink{
			Name: name, MIME: mediaType(a.MIME), Size: max(a.Size, 0),
			URL:       fileURL(c.publicURL, c.src, a.ID, name, expires),
			ExpiresAt: expires,
		})
	}
	return out, nil
}

// fileURL is the download link of attachment id for src, valid until
// expires: {publicURL}/files/{id}/{name}?source=…&expires=…&sig=…. The
// name is there for the people and tools that save the file under the
// last segment of its address; only the id, the source and the expiry are
// signed.
func fileURL(publicURL string, src Source, id int64, name string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	q := url.Values{"source": {src.Name}, "expires": {exp}, "sig": {linkSig(src.Secret, strconv.FormatInt(id, 10), src.Name, exp)}}
	return fmt.Sprintf("%s/files/%d/%s?%s", publicURL, id, url.PathEscape(name), q.Encode())
}

// linkSig is the hex HMAC-SHA256, keyed with the source's secret, of
// "{id}\n{source}\n{expires}" as they appear in the link: a bridge can
// fetch only the files of its own source's replies, and only until the
// link expires.
func linkSig(secret, id, source, expires string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id + "\n" + source + "\n" + expires))
	return hex.EncodeToString(m.Sum(nil))
}

// fileName is name as a file may be saved under: its last path element,
// on one line; "file" when nothing is left.
func fileName(name string) string {
	name = cleanLine(strings.ReplaceAll(name, `\`, "/"))
	name = path.Base("/" + name)
	if name == "/" || name == "." || name == ".." {
		return "file"
	}
	return clip(name, maxName)
}

// mediaType is m when it is a well-formed media type, in canonical form,
// and application/octet-stream otherwise: a browser must not guess.
func mediaType(m string) string {
	mt, params, err := mime.ParseMediaType(m)
	if err != nil || !strings.Contains(mt, "/") {
		return "application/octet-stream"
	}
	if s := mime.FormatMediaType(mt, params); s != "" {
		return s
	}
	return "application/octet-stream"
}

// FilesOptions configure Files. Store and Blobs are required.
type FilesOptions struct {
	Sources []Source         // whose secrets sign the links
	Store   bot.Store        // where the attachments are known
	Blobs   bot.Blobs        // where their bytes are
	Now     func() time.Time // checks links' expiry; time.Now when nil
	Log     *slog.Logger     // slog.Default() when nil
}

// files serves the download links of Client.
type files struct {
	sources map[string]Source
	store   bot.Store
	blobs   bot.Blobs
	now     func() time.Time
	log     *slog.Logger
	quiet   *quietlog.Limiter
}

// Files returns the handler of the download links a Client puts in
// replies with files; mount it at "/files/", with no method in the
// pattern. It serves GET and HEAD of
//
//	/files/{id}/{name}?source={source}&expires={unix seconds}&sig={hex}
//
// and checks, in this order, answering the first failure with a JSON
// {"error": …}: the method (405); the source exists and sig is the link's
// signature with its secret (403); expires has not passed (410); the
// attachment exists on a ticket of that source and its bytes are kept
// (404, or 410 once the retention let them go). Then it sends the bytes,
// as a download that a browser will not run or sniff. name is not checked.
func Files(o FilesOptions) http.Handler {
	if o.Store == nil || o.Blobs == nil {
		panic("webhook.Files: FilesOptions.Store and FilesOptions.Blobs are required")
	}
	f := &files{sources: map[string]Source{}, store: o.Store, blobs: o.Blobs, now: o.Now, log: o.Log}
	for _, s := range o.Sources {
		if _, dup := f.sources[s.Name]; !dup {
			f.sources[s.Name] = s
		}
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.Default()
	}
	f.log = f.log.With("part", "webhook files")
	f.quiet = quietlog.New(f.log, time.Minute)
	return f
}

// The answers of Files that are not the file.
const (
	linkForged  = "This download link is not one caredesk signed for the source it names: use the link exactly as it came in the reply's attachments."
	linkGone    = "This download link expired: links in a reply work for files: link_ttl (7 days unless the team changed it). Ask the team to send the file again."
	fileNone    = "There is no such file for this source."
	fileBusy    = "caredesk could not read the file just now; try again in a few seconds."
	fileSwept   = "The file is no longer kept: caredesk keeps files for files: retention after they were sent, and this one's time is over. Ask the team to send it again."
	fileDeleted = "The agent deleted the reply this file went with, so it is no longer given out."
)

func (f *files) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		f.refuse(w, req, http.StatusMethodNotAllowed, fmt.Sprintf("Use GET, not %s.", clip(req.Method, 20)))
		return
	}
	rest, ok := strings.CutPrefix(req.URL.Path, "/files/")
	idText, _, _ := strings.Cut(rest, "/")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 || !isDigits(idText) {
		f.refuse(w, req, http.StatusNotFound, "There is nothing here: a download link is /files/{id}/{name}?source=…&expires=…&sig=…, as it came in a reply.")
		return
	}
	q := req.URL.Query()
	name, expires, sig := q.Get("source"), q.Get("expires"), q.Get("sig")
	src, known := f.sources[name]
	given, hexErr := hex.DecodeString(sig)
	want, _ := hex.DecodeString(linkSig(src.Secret, idText, name, expires))
	if !known || src.Secret == "" || hexErr != nil || !isDigits(expires) || !hmac.Equal(given, want) {
		f.quiet.Log(slog.LevelWarn, "forged link from "+bodybudget.RemoteHost(req), "refused a download link caredesk did not sign", "remote", bodybudget.RemoteHost(req), "file", id)
		f.refuse(w, req, http.StatusForbidden, linkForged)
		return
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	now := f.now()
	if err != nil || now.Unix() >= exp {
		f.refuse(w, req, http.StatusGone, linkGone)
		return
	}
	a, status, msg := f.attachment(req.Context(), id, SourceName(src.Name))
	if status != 0 {
		f.refuse(w, req, status, msg)
		return
	}
	body, err := f.blobs.Open(a.BlobKey())
	switch {
	case bot.ErrorCode(err) == bot.ENOTFOUND:
		// Swept between the look-up and now.
		f.refuse(w, req, http.StatusGone, fileSwept)
		return
	case err != nil:
		f.quiet.Log(slog.LevelError, "blob", "could not read a file for a bridge; it is told to try again", "file", id, "err", err)
		f.refuse(w, req, http.StatusServiceUnavailable, fileBusy)
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", mediaType(a.MIME))
	if a.Size > 0 {
		h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	}
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": fileName(a.Name)})
	if disposition == "" {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	// Private: the link is the bridge's, and no shared cache should keep
	// it; no longer than the link works.
	h.Set("Cache-Control", fmt.Sprintf("private, max-age=%d", exp-now.Unix()))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodHead {
		return
	}
	if n, err := io.Copy(w, body); err != nil {
		f.log.Debug("a file download was cut short", "file", id, "sent", n, "err", err)
	}
}

// attachment returns file id if it is on a ticket of source and its bytes
// are kept; otherwise the status and sentence to answer.
func (f *files) attachment(ctx context.Context, id int64, source string) (bot.Attachment, int, string) {
	var a bot.Attachment
	var t bot.Ticket
	var m bot.Message
	err := f.store.View(ctx, func(tx bot.Tx) (err error) {
		if a, err = tx.Attachment(id); err != nil {
			return err
		}
		if m, err = tx.Message(a.MessageID); err != nil {
			return err
		}
		t, err = tx.Ticket(a.TicketID)
		return err
	})
	switch {
	case bot.ErrorCode(err) == bot.ENOTFOUND:
		return a, http.StatusNotFound, fileNone
	case err != nil:
		f.quiet.Log(slog.LevelError, "store", "could not look up a file for a bridge; it is told to try again", "file", id, "err", err)
		return a, http.StatusServiceUnavailable, fileBusy
	case t.Source != source, a.From != bot.FromDesk, m.Kind != bot.Reply, a.State == bot.FileRefused:
		// The same answer as for no file: a bridge learns nothing of other
		// sources' files, not even that they exist, and gets only the
		// files of the owner's replies (not its customers' own, nor those
		// of a reply deleted before it left).
		return a, http.StatusNotFound, fileNone
	case !m.DeletedAt.IsZero():
		return a, http.StatusGone, fileDeleted
	case !a.Stored && a.State == bot.FileDone:
		return a, http.StatusGone, fileSwept
	case !a.Stored:
		return a, http.StatusNotFound, fileNone
	}
	return a, 0, ""
}

// refuse answers a download that does not get the file; a 503 with
// Retry-After, since it is worth trying again.
func (f *files) refuse(w http.ResponseWriter, req *http.Request, status int, message string) {
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	f.log.Debug("file download turned away", "remote", bodybudget.RemoteHost(req), "status", status, "error", message)
	writeJSON(w, status, problem{Error: message})
}
