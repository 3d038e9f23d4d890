package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
)

// attachmentFields are the columns of attachments after id, ticket_id first
// (the $1 of insertOfTicket), in the order of scanAttachment and
// attachmentArgs.
var attachmentFields = newColumns(`ticket_id, message_id, kind, name, mime, size, origin_by, origin, stored, ref, state, reason, done_at`)

var (
	selectAttachments = `SELECT id, ` + attachmentFields.names + ` FROM attachments `
	// The message must exist too (its foreign key says so): it is looked
	// for here, as insertOfTicket looks for the ticket, by selecting from
	// it, so that no message is no row.
	insertAttachment = `INSERT INTO attachments (` + attachmentFields.names + `) SELECT ` + attachmentFields.params(1) + `
		FROM (SELECT FROM messages WHERE id = $2) message`
	updateAttachment = `UPDATE attachments SET (` + attachmentFields.names + `) = ROW(` + attachmentFields.params(1) + `)
		WHERE id = $` + fmt.Sprint(attachmentFields.n+1)
)

func scanAttachment(row pgx.Row) (bot.Attachment, error) {
	var a bot.Attachment
	err := row.Scan(&a.ID, &a.TicketID, &a.MessageID, &a.Kind, &a.Name, &a.MIME, &a.Size, &a.From, &a.Origin,
		&a.Stored, &a.Ref, &a.State, &a.Reason, scanAt(&a.DoneAt))
	return a, err
}

// attachmentArgs are a's attachmentFields after ticket_id.
func attachmentArgs(a bot.Attachment) []any {
	return []any{a.MessageID, a.Kind, a.Name, a.MIME, a.Size, a.From, a.Origin, a.Stored, a.Ref, a.State, a.Reason, at(a.DoneAt)}
}

// AddAttachment stores a and sets a.ID.
func (tx *tx) AddAttachment(a *bot.Attachment) error {
	id, err := tx.insertOfTicket(fmt.Sprintf("add a file to message %d", a.MessageID), insertAttachment, a.TicketID, attachmentArgs(*a)...)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return bot.Errorf(bot.ENOTFOUND, "Message %d of ticket #%d does not exist.", a.MessageID, a.TicketID)
	}
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// SaveAttachment overwrites the stored attachment with a.ID.
func (tx *tx) SaveAttachment(a bot.Attachment) error {
	args := append([]any{a.TicketID}, attachmentArgs(a)...)
	return tx.changeOne(fmt.Sprintf("save file %d", a.ID), bot.Errorf(bot.ENOTFOUND, "File %d does not exist.", a.ID),
		updateAttachment, append(args, a.ID)...)
}

// Attachment returns attachment id.
func (tx *tx) Attachment(id int64) (bot.Attachment, error) {
	return one(tx, fmt.Sprintf("load file %d", id), bot.Errorf(bot.ENOTFOUND, "File %d does not exist.", id),
		scanAttachment, selectAttachments+`WHERE id = $1`, id)
}

// Attachments returns the ticket's files, oldest first.
func (tx *tx) Attachments(ticketID int64) ([]bot.Attachment, error) {
	return list(tx, fmt.Sprintf("list files of ticket #%d", ticketID), scanAttachment,
		selectAttachments+`WHERE ticket_id = $1 ORDER BY id`, ticketID)
}

// KeptAttachments returns files whose bytes are stored and that were done
// with (shown, sent or refused) before the given time, oldest first, at
// most limit; none when limit is not positive.
func (tx *tx) KeptAttachments(before time.Time, limit int) ([]bot.Attachment, error) {
	if limit <= 0 {
		return nil, nil
	}
	// The WHERE and ORDER BY match the partial index attachments_kept.
	return list(tx, "list files past their retention", scanAttachment,
		selectAttachments+`WHERE stored AND done_at < $1 ORDER BY done_at, id LIMIT $2`, at(before), limit)
}
