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
	tooLarge := fmt.Sprintf("it is larger than the %s caredesk takes per file (files: max_file)", Bytes(c.files.MaxFile))
	if max := c.files.MaxFile; max > 0 && a.Size > max {
		return a, tooLarge, nil
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
		return a, tooLarge, nil
	case errors.Is(err, ErrFull):
		return a, fmt.Sprintf("caredesk's file store is full (files: max_total %s); files leave it %s after delivery, or raise the cap", Bytes(c.files.MaxTotal), days(c.files.Retention)), nil
	case err != nil:
		return a, "", fmt.Errorf("keep %s: %w", a.Label(), err)
	}
	// Recorded only if the file is still wanted: the owner may have
	// deleted the reply meanwhile, which refused its files.
	kept := false
	if err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		now, err := tx.Attachment(a.ID)
		if err != nil || now.State != FileWaiting {
			a, kept = now, false
			return err
		}
		now.Stored, now.Size = true, n
		a, kept = now, true
		return tx.SaveAttachment(now)
	}); err != nil {
		return a, "", &storeError{write: true, doing: "record a downloaded file", err: err}
	}
	if !kept {
		if err := c.blobs.Delete(a.BlobKey()); err != nil {
			c.log.Warn("could not remove the bytes of a file no longer wanted", "file", a.ID, "err", err)
		}
		return a, "it was withdrawn", nil
	}
	return a, "", nil
}

// upload is a for a network: its bytes come from the blob store.
func (c *Courier) upload(a Attachment) Upload {
	return Upload{File: a, Open: func() (io.ReadCloser, error) { return c.blobs.Open(a.BlobKey()) }}
}

// ticketFiles returns the files of a ticket.
func (c *Courier) ticketFiles(ctx context.Context, ticket int64) ([]Attachment, error) {
	var all []Attachment
	if err := c.store.View(ctx, func(tx Tx) (err error) {
		all, err = tx.Attachments(ticket)
		return err
	}); err != nil {
		return nil, &storeError{doing: fmt.Sprintf("load the files of ticket #%d", ticket), err: err}
	}
	return all, nil
}

// messageFiles returns m's files that wait, and the desk refs every file
// of the ticket already has.
func (c *Courier) messageFiles(ctx context.Context, m Message) (waiting []Attachment, taken []string, err error) {
	all, err := c.ticketFiles(ctx, m.TicketID)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range all {
		if a.Ref != "" && !(a.MessageID == m.ID && a.unfinished()) {
			taken = append(taken, a.Ref)
		}
	}
	return unfinished(all, m.ID), taken, nil
}

// unfinished reports whether the file is still to be shown or sent.
func (a Attachment) unfinished() bool { return a.State == FileWaiting || a.State == FilePosting }

// unfinished returns the files of message that are still to be shown or
// sent.
func unfinished(all []Attachment, message int64) []Attachment {
	var out []Attachment
	for _, a := range all {
		if a.MessageID == message && a.unfinished() {
			out = append(out, a)
		}
	}
	return out
}

// fetchFiles downloads the files a customer sent with m into the blob
// store, on a queue of their own (files:SOURCE:CONVERSATION), so that a
// slow or failing network never holds up the desk. What cannot be had is
// named in the thread; then the post of the files is made due at once.
func (c *Courier) fetchFiles(ctx context.Context, d Delivery, t Ticket, m Message) error {
	files, _, err := c.messageFiles(ctx, m)
	if err != nil {
		return err
	}
	taker, limited := c.desk.(FileTaker)
	var refused []refusal
	for _, a := range files {
		// A file the desk will not take is not downloaded at all, when
		// the network announced its size.
		why := ""
		if limited && a.Size > 0 {
			why = taker.TakeFile(a)
		}
		if why == "" {
			if a, why, err = c.fetch(ctx, a); err != nil {
				return err
			}
		}
		if why != "" {
			refused = append(refused, refusal{a, why})
		}
	}
	now := c.clock.Now().UTC()
	return c.finishFiles(ctx, d, refused, func(tx Tx) error {
		if err := notRefused(tx, t.ID, refused, notShown, now); err != nil {
			return err
		}
		return hurryPost(tx, d, now)
	})
}

// hurryPost makes the post of the files that the download d was for due
// now: the download is done, or given up.
func hurryPost(tx Tx, d Delivery, now time.Time) error {
	return tx.HurryDeliveries(PostFiles, d.MessageID, now)
}

// The post of a customer's files holds the ticket's later posts on the
// desk behind it, so that the thread reads in order, for as long as a
// download takes: filesGrace at most. A download that takes longer (the
// network is down, a forum is slow) stops holding them: the post moves to
// a queue of its own, filesQueue, and the files come when they come.
const (
	filesGrace = 2 * time.Minute
	filesQueue = deskQueue + ":files"
)

// errDownloading holds the post of files back until their download is done.
var errDownloading = fmt.Errorf("the download of the files did not finish: %w", errNotReady)

// The words of the thread's lines about files that could not be.
const (
	notShown     = "📎 Not shown here: "
	notShownTail = "Ask the customer to send it another way if you need it."
)

// notRefused says in the thread which files were refused and why.
func notRefused(tx Tx, ticket int64, refused []refusal, lead string, now time.Time) error {
	if len(refused) == 0 {
		return nil
	}
	return notice(tx, ticket, refusedLine(lead, refused, notShownTail), now)
}

// postFiles shows the files a customer sent with m in the ticket's
// thread, once their download (fetchFiles) is done: each file is a post
// of its own, recorded as soon as it is made, so that a crash or a lost
// answer between two posts neither loses the rest nor posts one twice.
// A file the desk does not take is named in the thread with the reason.
func (c *Courier) postFiles(ctx context.Context, d Delivery, t Ticket, m Message) error {
	files, taken, err := c.messageFiles(ctx, m)
	if err != nil {
		return err
	}
	for _, a := range files {
		if !a.Stored {
			return c.notDownloaded(ctx, d)
		}
	}
	desk, ok := c.desk.(FileDesk)
	taker, limited := c.desk.(FileTaker)
	var refused []refusal
	for _, a := range files {
		why := ""
		switch {
		case !ok:
			why = "this desk cannot show files"
		case limited:
			why = taker.TakeFile(a)
		}
		if why != "" {
			refused = append(refused, refusal{a, why})
			continue
		}
		if t.DeskThread == "" {
			return errNotReady
		}
		// Claimed before it is posted: a second post of the same message's
		// files (after the customer replaced a photo) skips it, and a
		// claim of this delivery's own from an earlier attempt means the
		// desk may have it already.
		mine, tried, err := c.claim(ctx, a, d)
		if err != nil || !mine {
			if err != nil {
				return err
			}
			continue
		}
		u := c.upload(a)
		ref := ""
		if tried {
			if ref, err = desk.FindFiles(ctx, t, m, []Upload{u}, taken); err != nil {
				return fmt.Errorf("look for an earlier post of %s: %w", a.Label(), err)
			}
		}
		if ref == "" {
			ref, err = desk.PostFiles(ctx, t, m, []Upload{u})
			if IsPermanent(err) {
				refused = append(refused, refusal{a, err.Error()})
				continue
			}
			if err != nil {
				return err
			}
		}
		now := c.clock.Now().UTC()
		a.State, a.Ref, a.DoneAt = FileDone, ref, now
		if err := c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error { return tx.SaveAttachment(a) }); err != nil {
			c.log.Error("outbox: posted a file but could not record it", "file", a.ID, "ticket", t.ID, "err", err)
			return &storeError{write: true, doing: fmt.Sprintf("record the post of file %d", a.ID), err: err}
		}
		taken = append(taken, ref)
	}
	now := c.clock.Now().UTC()
	return c.finishFiles(ctx, d, refused, func(tx Tx) error {
		return notRefused(tx, t.ID, refused, notShown, now)
	})
}

// claim marks file a as being posted by delivery d. mine is false when
// another delivery has it, or it is no longer waiting; tried is true when
// d claimed it in an earlier attempt, which may have reached the desk.
func (c *Courier) claim(ctx context.Context, a Attachment, d Delivery) (mine, tried bool, err error) {
	tag := fmt.Sprintf("delivery %d", d.ID)
	err = c.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		now, err := tx.Attachment(a.ID)
		switch {
		case err != nil:
			return err
		case now.State == FilePosting:
			mine, tried = now.Ref == tag, true
			return nil
		case now.State != FileWaiting:
			mine = false
			return nil
		}
		now.State, now.Ref, mine = FilePosting, tag, true
		return tx.SaveAttachment(now)
	})
	if err != nil {
		return false, false, &storeError{write: true, doing: fmt.Sprintf("claim file %d", a.ID), err: err}
	}
	return mine, tried, nil
}

// notDownloaded holds the post d back until fetchFiles makes it due, and
// lets the ticket's other desk posts pass once it has held them for
// filesGrace.
func (c *Courier) notDownloaded(ctx context.Context, d Delivery) error {
	now := c.clock.Now().UTC()
	if d.Destination != deskQueue || now.Sub(d.CreatedAt) < filesGrace {
		return errDownloading
	}
	return c.finish(ctx, d, func(tx Tx) error {
		// The download may have ended since the files were read, and its
		// hurry gone to d: then the moved post is due at once.
		next := now
		all, err := tx.Attachments(d.TicketID)
		if err != nil {
			return err
		}
		for _, a := range all {
			if a.MessageID == d.MessageID && a.State == FileWaiting && !a.Stored {
				next = now.Add(time.Hour)
			}
		}
		return tx.Enqueue(&Delivery{Destination: filesQueue, Job: PostFiles, TicketID: d.TicketID, MessageID: d.MessageID,
			NextAt: next, CreatedAt: now})
	})
}

// finishFiles is finish for a delivery that refused files: they are
// recorded as refused with it, and their bytes let go once that is on
// record (not before: a transaction that rolls back must find them).
func (c *Courier) finishFiles(ctx context.Context, d Delivery, refused []refusal, also func(Tx) error) error {
	now := c.clock.Now().UTC()
	if err := c.finish(ctx, d, func(tx Tx) error {
		if err := refuseFiles(tx, refused, now); err != nil {
			return err
		}
		return also(tx)
	}); err != nil {
		return err
	}
	c.release(refused)
	return nil
}

// refuseFiles records files as refused, their bytes no longer kept.
func refuseFiles(tx Tx, refused []refusal, now time.Time) error {
	for _, r := range refused {
		a := r.file
		a.State, a.Reason, a.DoneAt, a.Stored = FileRefused, r.why, now, false
		if err := tx.SaveAttachment(a); err != nil {
			return err
		}
	}
	return nil
}

// release removes the bytes of refused files, after their refusal is on
// record. Bytes that cannot be removed stay until caredesk prunes the
// folder at its next start.
func (c *Courier) release(refused []refusal) {
	if c.blobs == nil {
		return
	}
	for _, r := range refused {
		if !r.file.Stored {
			continue
		}
		if err := c.blobs.Delete(r.file.BlobKey()); err != nil {
			c.log.Warn("could not remove a refused file's bytes", "file", r.file.ID, "err", err)
		}
	}
}

// sentFilesDone records the files that went with a reply as sent.
func sentFilesDone(tx Tx, sent []Upload, ref string, now time.Time) error {
	for _, u := range sent {
		a := u.File
		a.State, a.Ref, a.DoneAt = FileDone, ref, now
		if err := tx.SaveAttachment(a); err != nil {
			return err
		}
	}
	return nil
}

// filesFailed records, when a delivery about m's files fails for good,
// that the files still waiting will not be shown or sent, so that their
// bytes leave and, for a customer's files, the thread says so. It returns
// the refused files, whose bytes the caller releases after the commit.
func filesFailed(tx Tx, d Delivery, cause error, now time.Time) ([]refusal, error) {
	all, err := tx.Attachments(d.TicketID)
	if err != nil {
		return nil, err
	}
	var refused []refusal
	for _, a := range unfinished(all, d.MessageID) {
		refused = append(refused, refusal{a, cause.Error()})
	}
	if err := refuseFiles(tx, refused, now); err != nil {
		return nil, err
	}
	if d.Job == SendReply {
		return refused, nil // the thread says the whole reply was not delivered
	}
	return refused, notRefused(tx, d.TicketID, refused, notShown, now)
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
		return refuseFiles(tx, refused, now)
	}); err != nil {
		return &storeError{write: true, doing: "record refused files", err: err}
	}
	c.release(refused)
	var why []string
	for _, r := range refused {
		why = append(why, r.file.Label()+": "+r.why)
	}
	return Permanent(fmt.Errorf("none of its files could be sent (%s)", strings.Join(why, "; ")))
}

// editReply changes the customer's copy of a delivered reply to what the
// owner's message says now.
func (c *Courier) editReply(ctx context.Context, d Delivery, t Ticket, m Message) error {
	// A reply still on its way is edited by sendReply when it lands; a
	// delivered one without a ref (a bridge that answered no id) goes to
	// the network anyway, which says in the thread why it cannot.
	if m.Status != Delivered || !m.DeletedAt.IsZero() {
		return c.finish(ctx, d, nil)
	}
	cor, err := c.corrector(t, "cannot change a message once sent; write the correction as a new reply")
	if err != nil {
		return err
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
	all, err := c.ticketFiles(ctx, m.TicketID)
	if err != nil {
		return nil, err
	}
	var sent []Upload
	for _, a := range all {
		if a.MessageID == m.ID && a.State == FileDone {
			sent = append(sent, Upload{File: a})
		}
	}
	return sent, nil
}

// corrector is t's source as a Corrector, or the refusal that says the
// network cannot (why follows its name).
func (c *Courier) corrector(t Ticket, why string) (Corrector, error) {
	src, err := c.source(t.Source)
	if err != nil {
		return nil, err
	}
	cor, ok := src.(Corrector)
	if !ok {
		return nil, Permanent(fmt.Errorf("%s %s", NetworkOf(t), why))
	}
	return cor, nil
}

// deleteReply takes a delivered reply back from the customer, and says so
// in the thread.
func (c *Courier) deleteReply(ctx context.Context, d Delivery, t Ticket, m Message) error {
	if m.Status != Delivered {
		return c.finish(ctx, d, nil)
	}
	cor, err := c.corrector(t, "does not let caredesk delete a message once sent")
	if err != nil {
		return err
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
