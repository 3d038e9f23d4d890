package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
)

// ticketFields are the columns of tickets after id, in the order of
// scanTicket and ticketArgs.
var ticketFields = newColumns(`source, conversation, customer_id, customer_name, customer_handle,
	text, state, owner_id, owner_name, handovers, reopens, desk_thread, last_inbound,
	opened_at, deadline, first_reply_at, resolved_at, updated_at,
	network, post_url, language, customer_profile_url, customer_followers,
	first_reply_by, first_reply_by_name, rating_asked_at, rating, rated_at,
	private, time_zone, phone, blocked, team, routed, channel, moves`)

var (
	selectTickets = `SELECT id, ` + ticketFields.names + ` FROM tickets `
	insertTicket  = `INSERT INTO tickets (` + ticketFields.names + `) VALUES (` + ticketFields.params(1) + `) RETURNING id`
	// The row form names each column once; the id is the last argument.
	updateTicket = `UPDATE tickets SET (` + ticketFields.names + `) = ROW(` + ticketFields.params(1) + `)
		WHERE id = $` + fmt.Sprint(ticketFields.n+1)
)

func scanTicket(row pgx.Row) (bot.Ticket, error) {
	var t bot.Ticket
	err := row.Scan(&t.ID, &t.Source, &t.Conversation, &t.Customer.ID, &t.Customer.Name, &t.Customer.Handle,
		&t.Text, &t.State, &t.Owner.ID, &t.Owner.Name, &t.Handovers, &t.Reopens, &t.DeskThread, &t.LastInbound,
		scanAt(&t.OpenedAt), scanAt(&t.Deadline), scanAt(&t.FirstReplyAt), scanAt(&t.ResolvedAt), scanAt(&t.UpdatedAt),
		&t.Network, &t.PostURL, &t.Language, &t.Customer.ProfileURL, &t.Customer.Followers,
		&t.FirstReplyBy.ID, &t.FirstReplyBy.Name, scanAt(&t.RatingAskedAt), &t.Rating, scanAt(&t.RatedAt),
		&t.Private, &t.TimeZone, &t.Phone, &t.Blocked, &t.Team, &t.Routed, &t.Channel, &t.Moves)
	return t, err
}

// ticketArgs are t's ticketFields.
func ticketArgs(t bot.Ticket) []any {
	return []any{t.Source, t.Conversation, t.Customer.ID, t.Customer.Name, t.Customer.Handle,
		t.Text, t.State, t.Owner.ID, t.Owner.Name, t.Handovers, t.Reopens, t.DeskThread, t.LastInbound,
		at(t.OpenedAt), at(t.Deadline), at(t.FirstReplyAt), at(t.ResolvedAt), at(t.UpdatedAt),
		t.Network, t.PostURL, t.Language, t.Customer.ProfileURL, t.Customer.Followers,
		t.FirstReplyBy.ID, t.FirstReplyBy.Name, at(t.RatingAskedAt), t.Rating, at(t.RatedAt),
		t.Private, t.TimeZone, t.Phone, t.Blocked, t.Team, t.Routed, t.Channel, t.Moves}
}

// CreateTicket stores t and sets t.ID to the next ticket number.
func (tx *tx) CreateTicket(t *bot.Ticket) error {
	id, err := tx.insert("create ticket", insertTicket, ticketArgs(*t)...)
	if err != nil {
		return err
	}
	t.ID = id
	return nil
}

// SaveTicket overwrites the stored ticket with t.ID.
func (tx *tx) SaveTicket(t bot.Ticket) error {
	return tx.changeOne(fmt.Sprintf("save ticket #%d", t.ID), noTicket(t.ID), updateTicket, append(ticketArgs(t), t.ID)...)
}

// noTicket is the error of a ticket number that names no ticket.
func noTicket(id int64) error { return bot.Errorf(bot.ENOTFOUND, "Ticket #%d does not exist.", id) }

// Ticket returns ticket #id.
func (tx *tx) Ticket(id int64) (bot.Ticket, error) {
	return one(tx, fmt.Sprintf("load ticket #%d", id), noTicket(id), scanTicket, selectTickets+`WHERE id = $1`, id)
}

// TicketByThread returns the ticket whose desk root is thread. "" is no
// thread: it is what every ticket not yet posted has.
func (tx *tx) TicketByThread(thread string) (bot.Ticket, error) {
	// The repeated "desk_thread <> ''" lets the planner use the partial
	// index, and keeps "" from matching.
	return one(tx, fmt.Sprintf("load ticket by thread %q", thread),
		bot.Errorf(bot.ENOTFOUND, "No ticket has that thread."), scanTicket,
		selectTickets+`WHERE desk_thread = $1 AND desk_thread <> ''`, thread)
}

// AddFormerThread records that thread, a desk root ticket ticketID had
// before it moved to another team's channel, is the ticket's no longer.
// Recording a thread again changes nothing: the ticket first recorded
// keeps it. "" is no thread (a ticket not yet posted left none) and is not
// recorded; a ticket that does not exist is ENOTFOUND.
func (tx *tx) AddFormerThread(thread string, ticketID int64) error {
	if thread == "" {
		return nil
	}
	// The ticket is looked for in the statement rather than left to the
	// foreign key, as insertOfTicket does: a statement that fails aborts
	// the whole transaction. The answer tells a missing ticket from a
	// thread recorded before, which both insert nothing.
	var found bool
	err := tx.tx.QueryRow(tx.ctx, `WITH ticket AS (SELECT id FROM tickets WHERE id = $2),
		added AS (INSERT INTO former_threads (thread, ticket_id) SELECT $1, id FROM ticket
			ON CONFLICT (thread) DO NOTHING)
		SELECT EXISTS (SELECT 1 FROM ticket)`, thread, ticketID).Scan(&found)
	if err != nil {
		return fmt.Errorf("record former thread %q of ticket #%d: %w", thread, ticketID, err)
	}
	if !found {
		return noTicket(ticketID)
	}
	return nil
}

// FormerThread returns the ticket whose former root is thread.
func (tx *tx) FormerThread(thread string) (int64, error) {
	return one(tx, fmt.Sprintf("load the ticket that left thread %q", thread),
		bot.Errorf(bot.ENOTFOUND, "No ticket has left that thread."),
		func(row pgx.Row) (id int64, err error) { err = row.Scan(&id); return id, err },
		`SELECT ticket_id FROM former_threads WHERE thread = $1`, thread)
}

// LatestTicket returns the newest ticket of the customer in the conversation
// on the source.
func (tx *tx) LatestTicket(source, conversation, customerID string) (bot.Ticket, error) {
	return one(tx, fmt.Sprintf("load latest ticket of %s in %s on %s", customerID, conversation, source),
		bot.Errorf(bot.ENOTFOUND, "The customer has no ticket in that conversation."), scanTicket,
		selectTickets+`WHERE source = $1 AND conversation = $2 AND customer_id = $3 ORDER BY id DESC LIMIT 1`,
		source, conversation, customerID)
}

// TicketByPost returns the newest ticket whose post's public address is
// postURL.
func (tx *tx) TicketByPost(postURL string) (bot.Ticket, error) {
	return one(tx, "load the ticket of post "+postURL, bot.Errorf(bot.ENOTFOUND, "No ticket is about that post."), scanTicket,
		selectTickets+`WHERE post_url = $1 AND post_url <> '' ORDER BY id DESC LIMIT 1`, postURL)
}

// CustomerTicket returns the newest ticket of the customer on the source,
// in any conversation.
func (tx *tx) CustomerTicket(source, customerID string) (bot.Ticket, error) {
	return one(tx, fmt.Sprintf("load the latest ticket of %s on %s", customerID, source),
		bot.Errorf(bot.ENOTFOUND, "The customer has no ticket on %s.", source), scanTicket,
		selectTickets+`WHERE source = $1 AND customer_id = $2 ORDER BY id DESC LIMIT 1`, source, customerID)
}

// OpenTickets returns tickets that are not resolved, oldest first, at most
// limit; none when limit is not positive. With teams given, only the
// tickets of those teams ("" is the tickets of no team).
func (tx *tx) OpenTickets(limit int, teams ...string) ([]bot.Ticket, error) {
	if limit <= 0 {
		return nil, nil
	}
	if len(teams) == 0 {
		// The WHERE and ORDER BY match the partial index tickets_open.
		return list(tx, "list open tickets", scanTicket,
			selectTickets+`WHERE state <> 'resolved' ORDER BY opened_at NULLS FIRST, id LIMIT $1`, limit)
	}
	// tickets_team_open holds each team's open tickets in order; the
	// planner reads the ranges of the teams asked for, or filters
	// tickets_open.
	return list(tx, fmt.Sprintf("list open tickets of teams %q", teams), scanTicket,
		selectTickets+`WHERE state <> 'resolved' AND team = ANY($1) ORDER BY opened_at NULLS FIRST, id LIMIT $2`,
		teams, limit)
}

// TicketsOpened returns tickets opened in [from, until) in the order they
// were opened, at most limit; those opened at from itself only when their
// number is above afterID, so that a listing goes on where its last page
// ended.
func (tx *tx) TicketsOpened(from, until time.Time, afterID int64, limit int) ([]bot.Ticket, error) {
	if limit <= 0 {
		return nil, nil
	}
	// The row value walks tickets_opened from the cursor on.
	return list(tx, fmt.Sprintf("list tickets opened %s–%s", from.Format(time.RFC3339), until.Format(time.RFC3339)), scanTicket,
		selectTickets+`WHERE (opened_at, id) > ($1, $2) AND opened_at < $3 ORDER BY opened_at, id LIMIT $4`,
		at(from), afterID, at(until), limit)
}

// CountOpened counts the tickets opened in [from, until), by source;
// sources with none are left out. A zero bound is at's NULL, which no time
// compares to: the count is then empty, as TicketsOpened's listing is.
func (tx *tx) CountOpened(from, until time.Time) (map[string]int, error) {
	// The spike watch asks every minute, through storms of tens of
	// thousands of tickets. EXPLAIN: a HashAggregate over "Index Scan using
	// tickets_opened on tickets, Index Cond: ((opened_at >= $1) AND
	// (opened_at < $2))", or a Bitmap Index Scan of tickets_opened when
	// the span holds many (a storm's hour): only the span's entries of the
	// index are read, each ticket's source from its row. Only a span that
	// holds most of the table is read whole (Seq Scan), as it should be.
	type count struct {
		source string
		n      int
	}
	counts, err := list(tx, fmt.Sprintf("count tickets opened %s–%s", from.Format(time.RFC3339), until.Format(time.RFC3339)),
		func(row pgx.Row) (c count, err error) { err = row.Scan(&c.source, &c.n); return c, err },
		`SELECT source, count(*) FROM tickets WHERE opened_at >= $1 AND opened_at < $2 GROUP BY source`,
		at(from), at(until))
	if err != nil {
		return nil, err
	}
	bySource := make(map[string]int, len(counts))
	for _, c := range counts {
		bySource[c.source] = c.n
	}
	return bySource, nil
}

// FirstOpened returns when source's first ticket was opened; ENOTFOUND
// when it has none (a ticket without an opening time, NULL, is none).
func (tx *tx) FirstOpened(source string) (time.Time, error) {
	// tickets_source_opened (migration 0010) makes min one seek: EXPLAIN
	// shows "Index Only Scan using tickets_source_opened on tickets, Index
	// Cond: ((source = $1) AND (opened_at IS NOT NULL))" under a Limit 1,
	// however many tickets the source has.
	var first time.Time
	err := tx.tx.QueryRow(tx.ctx, `SELECT min(opened_at) FROM tickets WHERE source = $1`, source).Scan(scanAt(&first))
	if err != nil {
		return time.Time{}, fmt.Errorf("find the first ticket on %s: %w", source, err)
	}
	if first.IsZero() {
		return time.Time{}, bot.Errorf(bot.ENOTFOUND, "No ticket has come from %s.", source)
	}
	return first, nil
}

// UnansweredTickets returns tickets that are not resolved and that no
// first answer has reached, oldest first, at most limit.
func (tx *tx) UnansweredTickets(limit int) ([]bot.Ticket, error) {
	if limit <= 0 {
		return nil, nil
	}
	// tickets_open holds every candidate; answered ones are skipped in it.
	return list(tx, "list unanswered tickets", scanTicket,
		selectTickets+`WHERE state <> 'resolved' AND first_reply_at IS NULL ORDER BY opened_at NULLS FIRST, id LIMIT $1`, limit)
}

// OpenCounts counts the tickets that are not resolved.
func (tx *tx) OpenCounts() (bot.OpenCounts, error) {
	var c bot.OpenCounts
	// The WHERE matches the partial index tickets_open.
	err := tx.tx.QueryRow(tx.ctx, `SELECT count(*),
		count(*) FILTER (WHERE state = 'open'), count(*) FILTER (WHERE first_reply_at IS NULL)
		FROM tickets WHERE state <> 'resolved'`).Scan(&c.Open, &c.Unclaimed, &c.Unanswered)
	if err != nil {
		return c, fmt.Errorf("count open tickets: %w", err)
	}
	return c, nil
}
