package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
)

// messageFields are the columns of messages after id, ticket_id first (the
// $1 of insertOfTicket), in the order of scanMessage and messageArgs.
var messageFields = newColumns(`ticket_id, kind, author, author_name, text, source_ref, desk_ref, status, reason, at,
	original, edited_at, deleted_at`)

var (
	selectMessages = `SELECT id, ` + messageFields.names + ` FROM messages `
	insertMessage  = `INSERT INTO messages (` + messageFields.names + `) SELECT ` + messageFields.params(1)
	updateMessage  = `UPDATE messages SET (` + messageFields.names + `) = ROW(` + messageFields.params(1) + `)
		WHERE id = $` + fmt.Sprint(messageFields.n+1)
)

func scanMessage(row pgx.Row) (bot.Message, error) {
	var m bot.Message
	err := row.Scan(&m.ID, &m.TicketID, &m.Kind, &m.Author, &m.AuthorName, &m.Text,
		&m.SourceRef, &m.DeskRef, &m.Status, &m.Reason, scanAt(&m.At), &m.Original, scanAt(&m.EditedAt), scanAt(&m.DeletedAt))
	return m, err
}

// messageArgs are m's messageFields after ticket_id.
func messageArgs(m bot.Message) []any {
	return []any{m.Kind, m.Author, m.AuthorName, m.Text, m.SourceRef, m.DeskRef, m.Status, m.Reason, at(m.At),
		m.Original, at(m.EditedAt), at(m.DeletedAt)}
}

// AddMessage stores m and sets m.ID.
func (tx *tx) AddMessage(m *bot.Message) error {
	id, err := tx.insertOfTicket(fmt.Sprintf("add message to ticket #%d", m.TicketID), insertMessage, m.TicketID, messageArgs(*m)...)
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

// SaveMessage overwrites the stored message with m.ID.
func (tx *tx) SaveMessage(m bot.Message) error {
	args := append([]any{m.TicketID}, messageArgs(m)...)
	return tx.changeOne(fmt.Sprintf("save message %d", m.ID), bot.Errorf(bot.ENOTFOUND, "Message %d does not exist.", m.ID),
		updateMessage, append(args, m.ID)...)
}

// Message returns message id.
func (tx *tx) Message(id int64) (bot.Message, error) {
	return one(tx, fmt.Sprintf("load message %d", id), bot.Errorf(bot.ENOTFOUND, "Message %d does not exist.", id),
		scanMessage, selectMessages+`WHERE id = $1`, id)
}

// MessageBySource returns the newest customer message whose id on the
// source is ref, in the conversation.
func (tx *tx) MessageBySource(source, conversation, ref string) (bot.Message, error) {
	if ref == "" {
		return bot.Message{}, bot.Errorf(bot.ENOTFOUND, "A message without an id on %s cannot be looked up.", source)
	}
	// The subquery narrows by the index on source_ref first: a ref is
	// shared by few messages, a conversation may have many.
	return one(tx, fmt.Sprintf("look up %s message %s", source, ref),
		bot.Errorf(bot.ENOTFOUND, "No message %s of %s conversation %s is on record.", ref, source, conversation), scanMessage,
		selectMessages+`WHERE source_ref = $1 AND source_ref <> '' AND kind = 'customer' AND ticket_id IN
			(SELECT id FROM tickets WHERE source = $2 AND conversation = $3)
		ORDER BY id DESC LIMIT 1`, ref, source, conversation)
}

// MessageByDeskRef returns the message the desk shows as ref.
func (tx *tx) MessageByDeskRef(ref string) (bot.Message, error) {
	if ref == "" {
		return bot.Message{}, bot.Errorf(bot.ENOTFOUND, "A message not shown on the desk cannot be looked up by its desk id.")
	}
	return one(tx, fmt.Sprintf("look up desk message %s", ref),
		bot.Errorf(bot.ENOTFOUND, "No message shown as %s on the desk is on record.", ref), scanMessage,
		selectMessages+`WHERE desk_ref = $1 AND desk_ref <> '' ORDER BY id DESC LIMIT 1`, ref)
}

// Messages returns the ticket's latest messages, oldest first, at most limit;
// none when limit is not positive. "Latest" is the order they were added in,
// which a clock that steps back cannot reorder.
func (tx *tx) Messages(ticketID int64, limit int) ([]bot.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	return list(tx, fmt.Sprintf("list messages of ticket #%d", ticketID), scanMessage,
		`SELECT * FROM (`+selectMessages+`WHERE ticket_id = $1 ORDER BY id DESC LIMIT $2) latest ORDER BY id`,
		ticketID, limit)
}

// AddEvent records a change of a ticket.
func (tx *tx) AddEvent(e bot.Event) error {
	_, err := tx.insertOfTicket(fmt.Sprintf("add %s event to ticket #%d", e.Kind, e.TicketID),
		`INSERT INTO events (ticket_id, kind, actor, detail, at) SELECT $1, $2, $3, $4, $5`,
		e.TicketID, e.Kind, e.Actor, e.Detail, at(e.At))
	return err
}

// SameReplies counts the tickets other than ticketID that got a reply of
// exactly text since the given time.
func (tx *tx) SameReplies(text string, since time.Time, ticketID int64) (int, error) {
	var n int
	// The WHERE matches the partial index messages_replies, which holds the
	// text's digest; the text itself settles a collision.
	err := tx.tx.QueryRow(tx.ctx, `SELECT count(DISTINCT ticket_id) FROM messages
		WHERE kind = 'reply' AND md5(text) = md5($1) AND text = $1 AND at >= $2 AND ticket_id <> $3`,
		text, at(since), ticketID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count replies like one to #%d: %w", ticketID, err)
	}
	return n, nil
}
