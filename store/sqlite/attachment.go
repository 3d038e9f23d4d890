package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"caredesk/bot"
)

const attachmentColumns = `id, message_id, ticket_id, kind, name, mime, size, origin_by, origin, stored, ref, state, reason, done_at`

func scanAttachment(row scanner) (bot.Attachment, error) {
	var a bot.Attachment
	err := row.Scan(&a.ID, &a.MessageID, &a.TicketID, &a.Kind, &a.Name, &a.MIME, &a.Size, &a.From, &a.Origin,
		&a.Stored, &a.Ref, &a.State, &a.Reason, scanAt(&a.DoneAt))
	return a, err
}

// AddAttachment stores a and sets a.ID.
func (tx *tx) AddAttachment(a *bot.Attachment) error {
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO attachments
		(message_id, ticket_id, kind, name, mime, size, origin_by, origin, stored, ref, state, reason, done_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.MessageID, a.TicketID, a.Kind, a.Name, a.MIME, a.Size, a.From, a.Origin, a.Stored, a.Ref, a.State, a.Reason, at(a.DoneAt))
	if err != nil {
		return ticketMissing(a.TicketID, fmt.Errorf("add a file to message %d: %w", a.MessageID, err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add a file to message %d: %w", a.MessageID, err)
	}
	a.ID = id
	return nil
}

// SaveAttachment overwrites the stored attachment with a.ID.
func (tx *tx) SaveAttachment(a bot.Attachment) error {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE attachments SET message_id = ?, ticket_id = ?, kind = ?, name = ?,
		mime = ?, size = ?, origin_by = ?, origin = ?, stored = ?, ref = ?, state = ?, reason = ?, done_at = ?
		WHERE id = ?`,
		a.MessageID, a.TicketID, a.Kind, a.Name, a.MIME, a.Size, a.From, a.Origin, a.Stored, a.Ref, a.State, a.Reason, at(a.DoneAt), a.ID)
	if err != nil {
		return fmt.Errorf("save file %d: %w", a.ID, err)
	}
	return mustChangeOne(res, fmt.Sprintf("save file %d", a.ID), bot.Errorf(bot.ENOTFOUND, "File %d does not exist.", a.ID))
}

// Attachment returns attachment id.
func (tx *tx) Attachment(id int64) (bot.Attachment, error) {
	a, err := scanAttachment(tx.tx.QueryRowContext(tx.ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Attachment{}, bot.Errorf(bot.ENOTFOUND, "File %d does not exist.", id)
	}
	if err != nil {
		return bot.Attachment{}, fmt.Errorf("load file %d: %w", id, err)
	}
	return a, nil
}

// Attachments returns the ticket's files, oldest first.
func (tx *tx) Attachments(ticketID int64) ([]bot.Attachment, error) {
	return tx.attachments(fmt.Sprintf("list files of ticket #%d", ticketID),
		`SELECT `+attachmentColumns+` FROM attachments WHERE ticket_id = ? ORDER BY id`, ticketID)
}

// KeptAttachments returns files whose bytes are stored and that were
// done with (shown, sent or refused) before the given time, oldest first,
// at most limit.
func (tx *tx) KeptAttachments(before time.Time, limit int) ([]bot.Attachment, error) {
	return tx.attachments("list files past their retention",
		`SELECT `+attachmentColumns+` FROM attachments WHERE stored = 1 AND done_at < ? ORDER BY done_at LIMIT ?`, at(before), limit)
}

func (tx *tx) attachments(doing, query string, args ...any) ([]bot.Attachment, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	defer rows.Close()
	var as []bot.Attachment
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", doing, err)
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	return as, nil
}
