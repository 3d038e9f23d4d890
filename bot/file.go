package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
)

// FileKind is what a network calls a file: Telegram sends a photo, a
// voice message or a sticker differently from a document, and sends them
// back differently too.
type FileKind string

// The kinds of file. A network's kind that is none of these is a FileDocument.
const (
	FilePhoto     FileKind = "photo"
	FileDocument  FileKind = "document"
	FileVoice     FileKind = "voice"
	FileVideo     FileKind = "video"
	FileAudio     FileKind = "audio"
	FileAnimation FileKind = "animation" // a GIF, as networks send them (an MP4)
	FileSticker   FileKind = "sticker"
)

// KindOf is the kind of a file of media type t, for a network that sends
// every file the same way (Slack, Discord): pictures, GIFs, videos and
// sound by their type, anything else a document.
func KindOf(t string) FileKind {
	if media, _, err := mime.ParseMediaType(t); err == nil {
		t = media
	}
	t = strings.ToLower(strings.TrimSpace(t))
	switch {
	case t == "image/gif":
		return FileAnimation
	case strings.HasPrefix(t, "image/"):
		return FilePhoto
	case strings.HasPrefix(t, "video/"):
		return FileVideo
	case strings.HasPrefix(t, "audio/"):
		return FileAudio
	}
	return FileDocument
}

// FileState is how far an attachment got.
type FileState string

// The states of an attachment.
const (
	FileWaiting FileState = "waiting" // not yet shown on the desk (a customer's) or sent (an owner's)
	FilePosting FileState = "posting" // a post of it to the desk is under way; Ref names the delivery making it
	FileDone    FileState = "done"    // shown on the desk, or sent to the customer
	FileRefused FileState = "refused" // could not be, for Reason; the thread said so
)

// FromDesk is the Attachment.From of files an agent attached on the desk.
const FromDesk = "desk"

// Attachment is a file on a ticket's message: the photo of a broken
// product a customer sent, the PDF an owner attached to a reply. Its bytes
// are fetched from where it was sent (From, Origin) into the blob store,
// through the outbox, and kept there until it was delivered plus the
// retention (FilePolicy).
type Attachment struct {
	ID        int64
	MessageID int64
	TicketID  int64
	Kind      FileKind
	Name      string // the file's name with its extension; adapters make one up when the network gives none ("photo.jpg")
	MIME      string // "image/jpeg"; "" when the network did not say
	Size      int64  // in bytes: as the network announced it, then as stored; 0 when unknown
	// From is who has the bytes: a source's name, or FromDesk. Origin is
	// how that one finds them (a Telegram file_id, a Discord CDN address,
	// a Slack download address); only its Fetcher reads it.
	From   string
	Origin string
	Stored bool   // the bytes are in the blob store, under BlobKey
	Ref    string // the desk's id of the post that shows it, or the network's of the message that carried it to the customer
	State  FileState
	Reason string    // why it was refused
	DoneAt time.Time // when it was shown or sent: the retention counts from here
}

// BlobKey is the attachment's key in the blob store.
func (a Attachment) BlobKey() string { return fmt.Sprintf("%d", a.ID) }

// Label is how caredesk names the file in the thread: "IMG_0042.jpg
// (2.1 MB)".
func (a Attachment) Label() string {
	name := a.Name
	if name == "" {
		name = "a " + string(a.Kind)
	}
	if a.Size <= 0 {
		return name
	}
	return fmt.Sprintf("%s (%s)", name, Bytes(a.Size))
}

// Bytes writes a size the way people read it: "812 KB", "2.1 MB". A KB
// is 1024 bytes, as Telegram and Discord count their limits.
func Bytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	case n < 10<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n < 1<<30:
		return fmt.Sprintf("%d MB", (n+1<<19)>>20)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}

// Upload is an attachment on its way out of the blob store: Open reads its
// bytes, each call from the start.
type Upload struct {
	File Attachment
	Open func() (io.ReadCloser, error)
}

// FilePolicy is how much caredesk keeps of files, and for how long.
type FilePolicy struct {
	MaxFile   int64         // the largest file taken, in bytes
	MaxTotal  int64         // all files kept at once, in bytes
	Retention time.Duration // how long a file is kept after it was shown or sent
	// LinkTTL is how long a download address given to a bridge works.
	LinkTTL time.Duration
}

// DefaultFilePolicy keeps files of up to 20 MB (the most Telegram lets a
// bot download), 2 GB in all, for 30 days after delivery; bridges' links
// work for 7 days.
func DefaultFilePolicy() FilePolicy {
	return FilePolicy{MaxFile: 20 << 20, MaxTotal: 2 << 30, Retention: 30 * 24 * time.Hour, LinkTTL: 7 * 24 * time.Hour}
}

// Blobs keeps files' bytes, by key, outside the database.
type Blobs interface {
	// Put stores r's bytes under key and returns their number. It stores
	// nothing and returns ErrTooLarge when r has more than limit bytes, and
	// ErrFull when the blobs would pass their total cap.
	Put(key string, r io.Reader, limit int64) (int64, error)
	// Open reads the bytes under key; an *Error ENOTFOUND when there are none.
	Open(key string) (io.ReadCloser, error)
	// Delete removes key's bytes; a key that is gone is no error.
	Delete(key string) error
}

// The refusals of Blobs.Put.
var (
	ErrTooLarge = errors.New("larger than the per-file cap")
	ErrFull     = errors.New("the file store is full")
)

// Fetcher is a Source or a Desk that can hand over the bytes of a file
// sent on it. A Permanent error means the file cannot be had (gone, too
// large for the network to hand over, no permission) and is shown in the
// thread; any other is retried.
type Fetcher interface {
	Fetch(ctx context.Context, a Attachment) (io.ReadCloser, error)
}

// FileDesk is a Desk that shows files in a ticket's thread.
type FileDesk interface {
	// PostFiles shows files, which a customer sent with m, in t's thread
	// as one post, and returns the desk's id of it.
	PostFiles(ctx context.Context, t Ticket, m Message, files []Upload) (ref string, err error)
	// FindFiles returns the id of an earlier post of the same files in t's
	// thread whose id is none of taken, or "". The courier asks it before
	// posting again after an attempt whose outcome is unknown, so that a
	// crash between the upload and its record does not show a photo twice.
	FindFiles(ctx context.Context, t Ticket, m Message, files []Upload, taken []string) (ref string, err error)
}

// FileTaker is a Source with limits on the files it carries to customers
// (Telegram takes photos up to 10 MB). TakeFile returns why f cannot go,
// as a sentence, or "".
type FileTaker interface {
	TakeFile(f Attachment) string
}

// ThreadEditor is a Desk that can change what it shows of a message: a
// customer's edit, an owner's reply that was changed.
type ThreadEditor interface {
	// EditMessage re-renders m (its DeskRef) as it is now, marked edited.
	EditMessage(ctx context.Context, t Ticket, m Message) error
}

// Corrector is a Source on which caredesk can change or take back a
// message it sent: the owner fixed a typo, or deleted the reply.
type Corrector interface {
	// EditSent replaces the message ref (a Send's answer) with m.
	EditSent(ctx context.Context, ref string, m Outgoing) error
	// DeleteSent removes the message ref, sent at sentAt, from the
	// customer's conversation. A network that cannot (Telegram, after 48
	// hours) answers a Permanent error that says why.
	DeleteSent(ctx context.Context, t Ticket, ref string, sentAt time.Time) error
}
