package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// CourierFiles sets where the courier keeps files' bytes and how much of
// them; without blobs, files are refused with a line in the thread.
func CourierFiles(b Blobs, p FilePolicy) CourierOption {
	return func(k *Courier) { k.blobs, k.files = b, p }
}

// refusal is a file that could not be shown or sent, and why, in words.
type refusal struct {
	file Attachment
	why  string
}

// fetcher returns what hands over the bytes of files sent on from.
func (c *Courier) fetcher(from string) (Fetcher, bool) {
	if from == FromDesk {
		f, ok := c.desk.(Fetcher)
		return f, ok
	}
	f, ok := c.sources[from].(Fetcher)
	return f, ok
}

// fetch brings a's bytes into the blob store, once, and records that they
// are there. why is a refusal for good, in words; err is worth a retry.
func (c *Courier) fetch(ctx context.Context, a Attachment) (_ Attachment, why string, err error) {
	if a.Stored {
		return a, "", nil
	}
	if c.blobs == nil {
		return a, "caredesk keeps no files here (no file store is set up)", nil
	}
	if max := c.files.MaxFile; max > 0 && a.Size > max {
		return a, fmt.Sprintf("it is larger than the %s caredesk takes per file (files: max_file)", Bytes(max)), nil
	}
	f, ok := c.fetcher(a.From)
	if !ok {
		return a, fmt.Sprintf("caredesk cannot download files from %s", a.From), nil
	}
	body, err := f.Fetch(ctx, a)
	if IsPermanent(err) {
		return a, err.Error(), nil
	}
	if err != nil {
		return a, "", fmt.Errorf("download %s: %w", a.Label(), err)
	}
	defer body.Close()
	n, err := c.blobs.Put(a.BlobKey(), body, c.files.MaxFile)
	switch {
	case errors.Is(err, ErrTooLarge):
		return a, fmt.Sprintf("it is larger than the %s caredesk takes per file (files: max_file)", Bytes(c.files.MaxFile)), nil
	case errors.Is(err, ErrFull):
		return a, fmt.Sprintf("caredesk's file store is full (files: max_total %s); files leave it %s after delivery, or raise the cap", Bytes(c.files.MaxTotal), days(c.files.Retention)), nil
	case err != nil:
		return a, "", fmt.Errorf("keep %s: %w", a.Label(), err)
	}
	a.Stored, a.Size = true, n
	if err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error { return tx.SaveAttachment(a) }); err != nil {
		return a, "", &storeError{write: true, doing: "record a downloaded file", err: err}
	}
	return a, "", nil
}

// upload is a for a network: its bytes come from the blob store.
func (c *Courier) upload(a Attachment) Upload {
	return Upload{File: a, Open: func() (io.ReadCloser, error) { return c.blobs.Open(a.BlobKey()) }}
}

// messageFiles returns m's files that wait, and the desk refs every file
// of the ticket already has.
func (c *Courier) messageFiles(ctx context.Context, m Message) (waiting []Attachment, taken []string, err error) {
	var all []Attachment
	if err := c.store.View(ctx, func(tx Tx) (err error) {
		all, err = tx.Attachments(m.TicketID)
		return err
	}); err != nil {
		return nil, nil, &storeError{doing: fmt.Sprintf("load the files of ticket #%d", m.TicketID), err: err}
	}
	for _, a := range all {
		switch {
		case a.MessageID == m.ID && a.State == FileWaiting:
			waiting = append(waiting, a)
		case a.Ref != "":
			taken = append(taken, a.Ref)
		}
	}
	return waiting, taken, nil
}

// postFiles shows the files a customer sent with m in the ticket's
// thread: each is downloaded into the blob store (once, even across
// retries), then all that could be are posted together. What could not be
// is named in the thread with the reason.
func (c *Courier) postFiles(ctx context.Context, d Delivery, t Ticket, m Message) error {
	files, taken, err := c.messageFiles(ctx, m)
	if err != nil || len(files) == 0 {
		if err != nil {
			return err
		}
		return c.finish(ctx, d, nil)
	}
	desk, ok := c.desk.(FileDesk)
	taker, limited := c.desk.(FileTaker)
	var ready []Upload
	var refused []refusal
	for _, a := range files {
		if !ok {
			refused = append(refused, refusal{a, "this desk cannot show files"})
			continue
		}
		// The desk's limits are asked before the download when the size
		// is known, and again after it: one file too large for the desk
		// must not keep the customer's other files off it.
		why := ""
		if limited && a.Size > 0 {
			why = taker.TakeFile(a)
		}
		if why == "" {
			if a, why, err = c.fetch(ctx, a); err != nil {
				return err
			}
		}
		if why == "" && limited {
			why = taker.TakeFile(a)
		}
		if why != "" {
			refused = append(refused, refusal{a, why})
			continue
		}
		ready = append(ready, c.upload(a))
	}
	var ref string
	if len(ready) > 0 {
		if t.DeskThread == "" {
			return errNotReady
		}
		if d.Attempts > 0 {
			if ref, err = desk.FindFiles(ctx, t, m, ready, taken); err != nil {
				return fmt.Errorf("look for an earlier post of the files of message %d: %w", m.ID, err)
			}
		}
		if ref == "" {
			ref, err = desk.PostFiles(ctx, t, m, ready)
			if IsPermanent(err) {
				for _, u := range ready {
					refused = append(refused, refusal{u.File, err.Error()})
				}
				ready = nil
			} else if err != nil {
				return err
			}
		}
	}
	now := c.clock.Now().UTC()
	return c.finish(ctx, d, func(tx Tx) error {
		if err := c.recordFiles(tx, ready, ref, refused, now); err != nil {
			return err
		}
		if len(refused) == 0 {
			return nil
		}
		return notice(tx, t.ID, refusedLine("📎 Not shown here: ", refused, "Ask the customer to send it another way if you need it."), now)
	})
}

// recordFiles marks files done (shown or sent as ref) or refused. The
// bytes of refused files are let go at once; the others stay for the
// retention.
func (c *Courier) recordFiles(tx Tx, done []Upload, ref string, refused []refusal, now time.Time) error {
	for _, u := range done {
		a := u.File
		a.State, a.Ref, a.DoneAt = FileDone, ref, now
		if err := tx.SaveAttachment(a); err != nil {
			return err
		}
	}
	for _, r := range refused {
		a := r.file
		if a.Stored && c.blobs != nil {
			if err := c.blobs.Delete(a.BlobKey()); err != nil {
				c.log.Warn("could not remove a refused file's bytes; the sweep tries again", "file", a.ID, "err", err)
			} else {
				a.Stored = false
			}
		}
		a.State, a.Reason, a.DoneAt = FileRefused, r.why, now
		if err := tx.SaveAttachment(a); err != nil {
			return err
		}
	}
	return nil
}

// refusedLine names refused files with their reasons, on one line each.
func refusedLine(lead string, refused []refusal, advice string) string {
	var s strings.Builder
	s.WriteString(lead)
	for i, r := range refused {
		if i > 0 {
			s.WriteString("; ")
		}
		fmt.Fprintf(&s, "%s: %s", Quote(r.file.Label()), Quote(r.why))
	}
	s.WriteString(". ")
	s.WriteString(advice)
	return s.String()
}

// replyFiles readies the files of the owner's reply m for src: downloaded
// from the desk into the blob store, and within src's limits.
func (c *Courier) replyFiles(ctx context.Context, src Source, m Message) (ready []Upload, refused []refusal, err error) {
	files, _, err := c.messageFiles(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	taker, limited := src.(FileTaker)
	for _, a := range files {
		a, why, err := c.fetch(ctx, a)
		if err != nil {
			return nil, nil, err
		}
		if why == "" && limited {
			why = taker.TakeFile(a)
		}
		if why != "" {
			refused = append(refused, refusal{a, why})
			continue
		}
		ready = append(ready, c.upload(a))
	}
	return ready, refused, nil
}

// noFilesGo records that none of a reply's files could go and there were
// no words to send either, and returns the failure for the reply.
func (c *Courier) noFilesGo(ctx context.Context, refused []refusal) error {
	now := c.clock.Now().UTC()
	if err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		return c.recordFiles(tx, nil, "", refused, now)
	}); err != nil {
		return &storeError{write: true, doing: "record refused files", err: err}
	}
	var why []string
	for _, r := range refused {
		why = append(why, r.file.Label()+": "+r.why)
	}
	return Permanent(fmt.Errorf("none of its files could be sent (%s)", strings.Join(why, "; ")))
}

// editReply changes the customer's copy of a delivered reply to what the
// owner's message says now.
func (c *Courier) editReply(ctx context.Context, d Delivery, t Ticket, m Message) error {
	if m.Status != Delivered || m.SourceRef == "" || !m.DeletedAt.IsZero() {
		return c.finish(ctx, d, nil)
	}
	src, err := c.source(t.Source)
	if err != nil {
		return err
	}
	cor, ok := src.(Corrector)
	if !ok {
		return Permanent(fmt.Errorf("%s cannot change a message once sent; write the correction as a new reply", NetworkOf(t)))
	}
	files, err := c.sentFiles(ctx, m)
	if err != nil {
		return err
	}
	out := Outgoing{Ticket: t, Conversation: t.Conversation, Text: c.render(ctx, t, m), MessageID: m.ID, AgentName: m.AuthorName, Key: d.Key(), Files: files}
	if err := cor.EditSent(ctx, m.SourceRef, out); err != nil {
		return err
	}
	return c.finish(ctx, d, nil)
}

// sentFiles are the files that went with m, for a network that edits a
// caption instead of a text; their Open is nil.
func (c *Courier) sentFiles(ctx context.Context, m Message) ([]Upload, error) {
	var all []Attachment
	if err := c.store.View(ctx, func(tx Tx) (err error) {
		all, err = tx.Attachments(m.TicketID)
		return err
	}); err != nil {
		return nil, &storeError{doing: fmt.Sprintf("load the files of ticket #%d", m.TicketID), err: err}
	}
	var sent []Upload
	for _, a := range all {
		if a.MessageID == m.ID && a.State == FileDone {
			sent = append(sent, Upload{File: a})
		}
	}
	return sent, nil
}

// deleteReply takes a delivered reply back from the customer, and says so
// in the thread.
func (c *Courier) deleteReply(ctx context.Context, d Delivery, t Ticket, m Message) error {
	if m.Status != Delivered || m.SourceRef == "" {
		return c.finish(ctx, d, nil)
	}
	src, err := c.source(t.Source)
	if err != nil {
		return err
	}
	cor, ok := src.(Corrector)
	if !ok {
		return Permanent(fmt.Errorf("%s does not let caredesk delete a message once sent", NetworkOf(t)))
	}
	if err := cor.DeleteSent(ctx, t, m.SourceRef, m.At); err != nil {
		return err
	}
	now := c.clock.Now().UTC()
	return c.finish(ctx, d, func(tx Tx) error {
		return notice(tx, t.ID, fmt.Sprintf("🗑 %s's deleted reply was deleted for the customer on %s too.", Mention(Agent{ID: m.Author}), NetworkOf(t)), now)
	})
}

// editMessage re-renders a thread message whose author changed it.
func (c *Courier) editMessage(ctx context.Context, d Delivery, t Ticket, m Message) error {
	editor, ok := c.desk.(ThreadEditor)
	if !ok || m.DeskRef == "" || t.DeskThread == "" {
		return c.finish(ctx, d, nil) // not shown yet: it will be posted as it reads now
	}
	if err := editor.EditMessage(ctx, t, m); err != nil {
		return err
	}
	return c.finish(ctx, d, nil)
}

// SweepFiles removes the bytes of files kept past the retention after
// they were shown, sent or refused, at most limit of them, and returns how
// many it removed.
func (c *Courier) SweepFiles(ctx context.Context, limit int) (int, error) {
	if c.blobs == nil || c.files.Retention <= 0 {
		return 0, nil
	}
	before := c.clock.Now().UTC().Add(-c.files.Retention)
	var kept []Attachment
	if err := c.store.View(ctx, func(tx Tx) (err error) {
		kept, err = tx.KeptAttachments(before, limit)
		return err
	}); err != nil {
		return 0, fmt.Errorf("sweep files: %w", err)
	}
	n := 0
	for _, a := range kept {
		if err := c.blobs.Delete(a.BlobKey()); err != nil {
			return n, fmt.Errorf("sweep file %d: %w", a.ID, err)
		}
		a.Stored = false
		if err := c.store.Update(ctx, func(tx Tx) error { return tx.SaveAttachment(a) }); err != nil {
			return n, fmt.Errorf("sweep file %d: %w", a.ID, err)
		}
		n++
	}
	return n, nil
}
