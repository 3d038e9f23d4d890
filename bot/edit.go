package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// attach records the files that came with m. A customer's are shown in
// the thread (PostFiles, after m itself); an owner's reply carries its own
// (SendReply fetches them).
func (b *Bot) attach(tx Tx, t Ticket, m Message, files []Attachment, now time.Time) error {
	if len(files) == 0 {
		return nil
	}
	for _, f := range files {
		f.ID, f.MessageID, f.TicketID = 0, m.ID, m.TicketID
		f.State, f.Stored, f.Ref, f.Reason, f.DoneAt = FileWaiting, false, "", "", time.Time{}
		if f.Kind == "" {
			f.Kind = FileDocument
		}
		if err := tx.AddAttachment(&f); err != nil {
			return err
		}
	}
	if m.Kind != FromCustomer {
		return nil
	}
	// The post keeps its place in the ticket's lane on the desk (see
	// filesGrace); the download runs on a queue of its own and makes the
	// post due when it is done, or given up. Until then the post is not
	// tried: a try before its download costs the desk a look for an
	// earlier post.
	post := b.desk(PostFiles, m.TicketID, m.ID, now)
	post.NextAt = now.Add(filesGrace)
	if err := tx.Enqueue(post); err != nil {
		return err
	}
	return tx.Enqueue(&Delivery{Destination: "files:" + sourceQueue(t.Source, t.Conversation), Job: FetchFiles,
		TicketID: m.TicketID, MessageID: m.ID, NextAt: now, CreatedAt: now})
}

// attachNew attaches the files of an edit of m that m does not carry yet.
func (b *Bot) attachNew(tx Tx, t Ticket, m Message, files []Attachment, now time.Time) error {
	if len(files) == 0 {
		return nil
	}
	had, err := tx.Attachments(m.TicketID)
	if err != nil {
		return err
	}
	var fresh []Attachment
	for _, f := range files {
		if !slices.ContainsFunc(had, func(a Attachment) bool { return a.MessageID == m.ID && a.From == f.From && a.Origin == f.Origin }) {
			fresh = append(fresh, f)
		}
	}
	return b.attach(tx, t, m, fresh, now)
}

// rootPending is the DeskRef of a ticket's first message until its root
// is posted (then it is the root's): the message the root shows.
const rootPending = "(root)"

// customerEdit changes a customer's message to what they wrote now, keeps
// the first wording, and re-renders it on the desk: the root when it was
// the first message, else its post in the thread. An edit of a message
// caredesk never saw (written before caredesk ran, or not kept) is filed
// as a message of its own, so that nothing the customer wrote is lost.
func (b *Bot) customerEdit(tx Tx, in Inbound, now time.Time) error {
	m, err := tx.MessageBySource(in.Source, in.Conversation, in.MessageID)
	if ErrorCode(err) == ENOTFOUND {
		b.log.Info("a customer edited a message caredesk has no record of; it is filed as a new message",
			"source", in.Source, "conversation", in.Conversation, "message", in.MessageID)
		in.Edit, in.MessageID = false, ""
		in.Text = "(edited) " + in.Text
		return b.file(tx, in, now)
	}
	if err != nil {
		return err
	}
	t, err := tx.Ticket(m.TicketID)
	if err != nil {
		return err
	}
	// A file the message did not carry before (the customer replaced the
	// photo) is shown like any file; files seen before are not again.
	if err := b.attachNew(tx, t, m, in.Files, now); err != nil {
		return err
	}
	text := in.Text // with its links, as Receive added them
	if text == m.Text {
		return nil // a network's edit that did not change the words (a link preview)
	}
	before := m.Text
	if m.Original == "" {
		m.Original = m.Text
	}
	m.Text, m.EditedAt = text, in.At
	if err := tx.SaveMessage(m); err != nil {
		return err
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "edited", Actor: "", Detail: fmt.Sprintf("message %d", m.ID), At: now}); err != nil {
		return err
	}
	root, err := isRoot(tx, t, m, before)
	if err != nil {
		return err
	}
	if root {
		t.Text, t.UpdatedAt = text, now
		if err := tx.SaveTicket(t); err != nil {
			return err
		}
		return tx.Enqueue(b.desk(UpdateTicket, t.ID, 0, now))
	}
	return tx.Enqueue(b.desk(EditMessage, t.ID, m.ID, now))
}

// isRoot reports whether m, which read before until now, is the message
// t's root shows: the first message carries rootPending until the root is
// posted, then the root's id.
func isRoot(tx Tx, t Ticket, m Message, before string) (bool, error) {
	switch m.DeskRef {
	case rootPending:
		return true, nil
	case "":
	default:
		return t.DeskThread != "" && m.DeskRef == t.DeskThread, nil
	}
	// Tickets opened before caredesk marked the first message (their
	// roots are posted, and no message carries the root's id): the first
	// message is the one never posted in the thread whose words the root
	// shows.
	if m.Kind != FromCustomer || t.DeskThread == "" || t.Text != before {
		return false, nil
	}
	_, err := tx.MessageByDeskRef(t.DeskThread)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return true, nil
	case err != nil:
		return false, err
	}
	return false, nil // a ticket of today: its first message is marked
}

// edit is an agent changing a message they wrote in a ticket's thread. A
// note changes for the team; a reply that has not left yet goes out as
// it reads now; a delivered one is changed for the customer too. Edits of
// anything else (caredesk's own posts, other people's messages, messages
// from before caredesk) change nothing.
func (b *Bot) edit(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	m, ok, err := b.ownMessage(tx, a, t)
	if err != nil || !ok || strings.TrimSpace(a.Text) == strings.TrimSpace(m.Text) {
		return "", err // Slack also reports link previews and file shares as changes
	}
	if m.Original == "" {
		m.Original = m.Text
	}
	m.Text, m.EditedAt = a.Text, now
	if err := tx.SaveMessage(m); err != nil {
		return "", err
	}
	if m.Kind != Reply {
		return "", nil
	}
	switch m.Status {
	case Pending:
		return "", nil // SendReply reads the message as it is when it leaves
	case Failed:
		return fmt.Sprintf("Your reply on #%d was not delivered, so the customer has nothing to correct; send the new text with /desk reply %d.", t.ID, t.ID), nil
	}
	if err := tx.AddEvent(Event{TicketID: t.ID, Kind: "edited", Actor: a.Agent.ID, Detail: fmt.Sprintf("message %d", m.ID), At: now}); err != nil {
		return "", err
	}
	return "", tx.Enqueue(&Delivery{Destination: sourceQueue(t.Source, t.Conversation), Job: EditReply, TicketID: t.ID, MessageID: m.ID, Agent: a.Agent.ID, NextAt: now, CreatedAt: now})
}

// unsend is an agent deleting a message they wrote in a ticket's thread: a
// reply that has not left yet never does; a delivered one is deleted for
// the customer where the network allows.
func (b *Bot) unsend(tx Tx, a Action, t Ticket, now time.Time) (string, error) {
	m, ok, err := b.ownMessage(tx, a, t)
	if err != nil || !ok || !m.DeletedAt.IsZero() {
		return "", err
	}
	m.DeletedAt = now
	deliver := m.Kind == Reply && m.Status == Delivered
	if m.Kind == Reply && m.Status == Pending {
		m.Status, m.Reason = Failed, "deleted on the desk before it was sent"
		// Its files will not go; their bytes leave with the retention.
		if err := dropFiles(tx, m, m.Reason, now); err != nil {
			return "", err
		}
	}
	if err := tx.SaveMessage(m); err != nil {
		return "", err
	}
	if !deliver {
		return "", nil
	}
	return "", tx.Enqueue(&Delivery{Destination: sourceQueue(t.Source, t.Conversation), Job: DeleteReply, TicketID: t.ID, MessageID: m.ID, Agent: m.Author, NextAt: now, CreatedAt: now})
}

// dropFiles records that m's waiting files will not go, for why.
func dropFiles(tx Tx, m Message, why string, now time.Time) error {
	all, err := tx.Attachments(m.TicketID)
	if err != nil {
		return err
	}
	for _, a := range unfinished(all, m.ID) {
		a.State, a.Reason, a.DoneAt = FileRefused, why, now
		if err := tx.SaveAttachment(a); err != nil {
			return err
		}
	}
	return nil
}

// ownMessage returns the message of t that a.Ref names, when a.Agent
// wrote it as a reply or a note; ok is false for anything else.
func (b *Bot) ownMessage(tx Tx, a Action, t Ticket) (Message, bool, error) {
	if a.Ref == "" {
		return Message{}, false, nil
	}
	m, err := tx.MessageByDeskRef(a.Ref)
	if ErrorCode(err) == ENOTFOUND {
		return Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, err
	}
	// A desk that cannot say who deleted a message (Discord's
	// MESSAGE_DELETE names none) leaves Agent empty: the message is gone
	// from the desk whoever removed it, and its author is who sent it.
	author := a.Agent.ID == m.Author || (a.Verb == DoDelete && a.Agent.ID == "")
	mine := m.TicketID == t.ID && author && (m.Kind == Reply || m.Kind == Note)
	return m, mine, nil
}
