package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"caredesk/bot"

	"github.com/mattn/go-sqlite3"
)

const messageColumns = `id, ticket_id, kind, author, author_name, text, source_ref, desk_ref, status, reason, at, original, edited_at, deleted_at`

func scanMessage(row scanner) (bot.Message, error) {
	var m bot.Message
	err := row.Scan(&m.ID, &m.TicketID, &m.Kind, &m.Author, &m.AuthorName, &m.Text,
		&m.SourceRef, &m.DeskRef, &m.Status, &m.Reason, scanAt(&m.At), &m.Original, scanAt(&m.EditedAt), scanAt(&m.DeletedAt))
	return m, err
}

// AddMessage stores m and sets m.ID.
func (tx *tx) AddMessage(m *bot.Message) error {
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO messages
		(ticket_id, kind, author, author_name, text, source_ref, desk_ref, status, reason, at, original, edited_at, deleted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.TicketID, m.Kind, m.Author, m.AuthorName, m.Text, m.SourceRef, m.DeskRef, m.Status, m.Reason, at(m.At),
		m.Original, at(m.EditedAt), at(m.DeletedAt))
	if err != nil {
		return ticketMissing(m.TicketID, fmt.Errorf("add message to ticket #%d: %w", m.TicketID, err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add message to ticket #%d: %w", m.TicketID, err)
	}
	m.ID = id
	return nil
}

// SaveMessage overwrites the stored message with m.ID.
func (tx *tx) SaveMessage(m bot.Message) error {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE messages SET ticket_id = ?, kind = ?, author = ?,
		author_name = ?, text = ?, source_ref = ?, desk_ref = ?, status = ?, reason = ?, at = ?,
		original = ?, edited_at = ?, deleted_at = ?
		WHERE id = ?`,
		m.TicketID, m.Kind, m.Author, m.AuthorName, m.Text, m.SourceRef, m.DeskRef, m.Status, m.Reason, at(m.At),
		m.Original, at(m.EditedAt), at(m.DeletedAt), m.ID)
	if err != nil {
		return ticketMissing(m.TicketID, fmt.Errorf("save message %d: %w", m.ID, err))
	}
	return mustChangeOne(res, fmt.Sprintf("save message %d", m.ID),
		bot.Errorf(bot.ENOTFOUND, "Message %d does not exist.", m.ID))
}

// Message returns message id.
func (tx *tx) Message(id int64) (bot.Message, error) {
	m, err := scanMessage(tx.tx.QueryRowContext(tx.ctx,
		`SELECT `+messageColumns+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Message{}, bot.Errorf(bot.ENOTFOUND, "Message %d does not exist.", id)
	}
	if err != nil {
		return bot.Message{}, fmt.Errorf("load message %d: %w", id, err)
	}
	return m, nil
}

// MessageBySource returns the newest customer message whose id on the
// source is ref, in the conversation.
func (tx *tx) MessageBySource(source, conversation, ref string) (bot.Message, error) {
	if ref == "" {
		return bot.Message{}, bot.Errorf(bot.ENOTFOUND, "A message without an id on %s cannot be looked up.", source)
	}
	// The subquery narrows by the index on source_ref first: a ref is
	// shared by few messages, a conversation may have many.
	m, err := scanMessage(tx.tx.QueryRowContext(tx.ctx, `SELECT `+messageColumns+` FROM messages
		WHERE source_ref = ? AND kind = 'customer' AND ticket_id IN
			(SELECT id FROM tickets WHERE source = ? AND conversation = ?)
		ORDER BY id DESC LIMIT 1`, ref, source, conversation))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Message{}, bot.Errorf(bot.ENOTFOUND, "No message %s of %s conversation %s is on record.", ref, source, conversation)
	}
	if err != nil {
		return bot.Message{}, fmt.Errorf("look up %s message %s: %w", source, ref, err)
	}
	return m, nil
}

// MessageByDeskRef returns the message the desk shows as ref.
func (tx *tx) MessageByDeskRef(ref string) (bot.Message, error) {
	if ref == "" {
		return bot.Message{}, bot.Errorf(bot.ENOTFOUND, "A message not shown on the desk cannot be looked up by its desk id.")
	}
	m, err := scanMessage(tx.tx.QueryRowContext(tx.ctx, `SELECT `+messageColumns+` FROM messages
		WHERE desk_ref = ? ORDER BY id DESC LIMIT 1`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Message{}, bot.Errorf(bot.ENOTFOUND, "No message shown as %s on the desk is on record.", ref)
	}
	if err != nil {
		return bot.Message{}, fmt.Errorf("look up desk message %s: %w", ref, err)
	}
	return m, nil
}

// Messages returns the ticket's latest messages, oldest first, at most limit;
// none when limit is not positive. "Latest" is the order they were added in,
// which a clock that steps back cannot reorder.
func (tx *tx) Messages(ticketID int64, limit int) ([]bot.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+messageColumns+` FROM (
		SELECT `+messageColumns+` FROM messages WHERE ticket_id = ? ORDER BY id DESC LIMIT ?
	) ORDER BY id`, ticketID, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages of ticket #%d: %w", ticketID, err)
	}
	defer rows.Close()
	var ms []bot.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list messages of ticket #%d: %w", ticketID, err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list messages of ticket #%d: %w", ticketID, err)
	}
	return ms, nil
}

// AddEvent records a change of a ticket.
func (tx *tx) AddEvent(e bot.Event) error {
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO events (ticket_id, kind, actor, detail, at)
		VALUES (?, ?, ?, ?, ?)`, e.TicketID, e.Kind, e.Actor, e.Detail, at(e.At))
	if err != nil {
		return ticketMissing(e.TicketID, fmt.Errorf("add %s event to ticket #%d: %w", e.Kind, e.TicketID, err))
	}
	return nil
}

// ticketMissing turns a foreign-key failure into the sentence an agent
// reads, and returns any other error as it is.
func ticketMissing(ticketID int64, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey {
		return bot.Errorf(bot.ENOTFOUND, "Ticket #%d does not exist.", ticketID)
	}
	return err
}

// SameReplies counts the tickets other than ticketID that got a reply of
// exactly text since the given time.
func (tx *tx) SameReplies(text string, since time.Time, ticketID int64) (int, error) {
	var n int
	// The WHERE matches the partial index messages_replies.
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT COUNT(DISTINCT ticket_id) FROM messages
		WHERE kind = 'reply' AND text = ? AND at >= ? AND ticket_id <> ?`, text, at(since), ticketID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count replies like one to #%d: %w", ticketID, err)
	}
	return n, nil
}
