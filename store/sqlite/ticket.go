package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"caredesk/bot"
)

const ticketColumns = `id, source, conversation, customer_id, customer_name, customer_handle,
	text, state, owner_id, owner_name, handovers, reopens, desk_thread, last_inbound,
	opened_at, deadline, first_reply_at, resolved_at, updated_at,
	network, post_url, language, customer_profile_url, customer_followers,
	first_reply_by, first_reply_by_name, rating_asked_at, rating, rated_at,
	private, time_zone, phone, blocked, team, routed, channel, moves`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanTicket(row scanner) (bot.Ticket, error) {
	var t bot.Ticket
	err := row.Scan(&t.ID, &t.Source, &t.Conversation, &t.Customer.ID, &t.Customer.Name, &t.Customer.Handle,
		&t.Text, &t.State, &t.Owner.ID, &t.Owner.Name, &t.Handovers, &t.Reopens, &t.DeskThread, &t.LastInbound,
		scanAt(&t.OpenedAt), scanAt(&t.Deadline), scanAt(&t.FirstReplyAt), scanAt(&t.ResolvedAt), scanAt(&t.UpdatedAt),
		&t.Network, &t.PostURL, &t.Language, &t.Customer.ProfileURL, &t.Customer.Followers,
		&t.FirstReplyBy.ID, &t.FirstReplyBy.Name, scanAt(&t.RatingAskedAt), &t.Rating, scanAt(&t.RatedAt),
		&t.Private, &t.TimeZone, &t.Phone, &t.Blocked, &t.Team, &t.Routed, &t.Channel, &t.Moves)
	return t, err
}

// ticketArgs are the columns after id, in ticketColumns order.
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
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO tickets (source, conversation, customer_id, customer_name, customer_handle,
		text, state, owner_id, owner_name, handovers, reopens, desk_thread, last_inbound,
		opened_at, deadline, first_reply_at, resolved_at, updated_at,
		network, post_url, language, customer_profile_url, customer_followers,
		first_reply_by, first_reply_by_name, rating_asked_at, rating, rated_at,
		private, time_zone, phone, blocked, team, routed, channel, moves)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ticketArgs(*t)...)
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	t.ID = id
	return nil
}

// SaveTicket overwrites the stored ticket with t.ID.
func (tx *tx) SaveTicket(t bot.Ticket) error {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE tickets SET source = ?, conversation = ?,
		customer_id = ?, customer_name = ?, customer_handle = ?,
		text = ?, state = ?, owner_id = ?, owner_name = ?, handovers = ?, reopens = ?,
		desk_thread = ?, last_inbound = ?,
		opened_at = ?, deadline = ?, first_reply_at = ?, resolved_at = ?, updated_at = ?,
		network = ?, post_url = ?, language = ?, customer_profile_url = ?, customer_followers = ?,
		first_reply_by = ?, first_reply_by_name = ?, rating_asked_at = ?, rating = ?, rated_at = ?,
		private = ?, time_zone = ?, phone = ?, blocked = ?,
		team = ?, routed = ?, channel = ?, moves = ?
		WHERE id = ?`, append(ticketArgs(t), t.ID)...)
	if err != nil {
		return fmt.Errorf("save ticket #%d: %w", t.ID, err)
	}
	return mustChangeOne(res, fmt.Sprintf("save ticket #%d", t.ID),
		bot.Errorf(bot.ENOTFOUND, "Ticket #%d does not exist.", t.ID))
}

// Ticket returns ticket #id.
func (tx *tx) Ticket(id int64) (bot.Ticket, error) {
	t, err := scanTicket(tx.tx.QueryRowContext(tx.ctx,
		`SELECT `+ticketColumns+` FROM tickets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Ticket{}, bot.Errorf(bot.ENOTFOUND, "Ticket #%d does not exist.", id)
	}
	if err != nil {
		return bot.Ticket{}, fmt.Errorf("load ticket #%d: %w", id, err)
	}
	return t, nil
}

// TicketByThread returns the ticket whose desk root is thread. "" is no
// thread: it is what every ticket not yet posted has.
func (tx *tx) TicketByThread(thread string) (bot.Ticket, error) {
	// The repeated "desk_thread <> ''" lets SQLite use the partial index.
	t, err := scanTicket(tx.tx.QueryRowContext(tx.ctx,
		`SELECT `+ticketColumns+` FROM tickets WHERE desk_thread = ? AND desk_thread <> ''`, thread))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Ticket{}, bot.Errorf(bot.ENOTFOUND, "No ticket has that thread.")
	}
	if err != nil {
		return bot.Ticket{}, fmt.Errorf("load ticket by thread %q: %w", thread, err)
	}
	return t, nil
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
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO former_threads (thread, ticket_id) VALUES (?, ?)
		ON CONFLICT (thread) DO NOTHING`, thread, ticketID)
	if err != nil {
		return ticketMissing(ticketID, fmt.Errorf("record former thread %q of ticket #%d: %w", thread, ticketID, err))
	}
	return nil
}

// FormerThread returns the ticket whose former root is thread.
func (tx *tx) FormerThread(thread string) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT ticket_id FROM former_threads WHERE thread = ?`, thread).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, bot.Errorf(bot.ENOTFOUND, "No ticket has left that thread.")
	}
	if err != nil {
		return 0, fmt.Errorf("load the ticket that left thread %q: %w", thread, err)
	}
	return id, nil
}

// LatestTicket returns the newest ticket of the customer in the conversation
// on the source.
func (tx *tx) LatestTicket(source, conversation, customerID string) (bot.Ticket, error) {
	t, err := scanTicket(tx.tx.QueryRowContext(tx.ctx, `SELECT `+ticketColumns+` FROM tickets
		WHERE source = ? AND conversation = ? AND customer_id = ?
		ORDER BY id DESC LIMIT 1`, source, conversation, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Ticket{}, bot.Errorf(bot.ENOTFOUND, "The customer has no ticket in that conversation.")
	}
	if err != nil {
		return bot.Ticket{}, fmt.Errorf("load latest ticket of %s in %s on %s: %w", customerID, conversation, source, err)
	}
	return t, nil
}

// TicketByPost returns the newest ticket whose post's public address is
// postURL.
func (tx *tx) TicketByPost(postURL string) (bot.Ticket, error) {
	t, err := scanTicket(tx.tx.QueryRowContext(tx.ctx, `SELECT `+ticketColumns+` FROM tickets
		WHERE post_url = ? AND post_url <> '' ORDER BY id DESC LIMIT 1`, postURL))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Ticket{}, bot.Errorf(bot.ENOTFOUND, "No ticket is about that post.")
	}
	if err != nil {
		return bot.Ticket{}, fmt.Errorf("load the ticket of post %s: %w", postURL, err)
	}
	return t, nil
}

// CustomerTicket returns the newest ticket of the customer on the source,
// in any conversation.
func (tx *tx) CustomerTicket(source, customerID string) (bot.Ticket, error) {
	t, err := scanTicket(tx.tx.QueryRowContext(tx.ctx, `SELECT `+ticketColumns+` FROM tickets
		WHERE source = ? AND customer_id = ? ORDER BY id DESC LIMIT 1`, source, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Ticket{}, bot.Errorf(bot.ENOTFOUND, "The customer has no ticket on %s.", source)
	}
	if err != nil {
		return bot.Ticket{}, fmt.Errorf("load the latest ticket of %s on %s: %w", customerID, source, err)
	}
	return t, nil
}

// OpenTickets returns tickets that are not resolved, oldest first, at most
// limit; none when limit is not positive. With teams given, only the
// tickets of those teams ("" is the tickets of no team).
func (tx *tx) OpenTickets(limit int, teams ...string) ([]bot.Ticket, error) {
	if limit <= 0 {
		return nil, nil
	}
	if len(teams) == 0 {
		// The WHERE matches the partial index tickets_open word for word.
		ts, err := tx.tickets(limit, `SELECT `+ticketColumns+` FROM tickets
			WHERE state <> 'resolved' ORDER BY opened_at, id LIMIT ?`, limit)
		if err != nil {
			return nil, fmt.Errorf("list open tickets: %w", err)
		}
		return ts, nil
	}
	// For one team tickets_team_open holds its open tickets in order; for
	// several the planner sorts that index's ranges or filters tickets_open.
	args := make([]any, 0, len(teams)+1)
	for _, team := range teams {
		args = append(args, team)
	}
	ts, err := tx.tickets(limit, `SELECT `+ticketColumns+` FROM tickets
		WHERE state <> 'resolved' AND team IN (`+placeholders(len(teams))+`)
		ORDER BY opened_at, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list open tickets of teams %q: %w", teams, err)
	}
	return ts, nil
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
	ts, err := tx.tickets(limit, `SELECT `+ticketColumns+` FROM tickets
		WHERE (opened_at, id) > (?, ?) AND opened_at < ? ORDER BY opened_at, id LIMIT ?`,
		at(from), afterID, at(until), limit)
	if err != nil {
		return nil, fmt.Errorf("list tickets opened %s–%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
	}
	return ts, nil
}

// CountOpened counts the tickets opened in [from, until), by source;
// sources with none are left out. A zero bound is at's NULL, which no time
// compares to: the count is then empty, as TicketsOpened's listing is.
func (tx *tx) CountOpened(from, until time.Time) (map[string]int, error) {
	// The spike watch asks every minute, through storms of tens of
	// thousands of tickets. EXPLAIN QUERY PLAN: "SEARCH tickets USING INDEX
	// tickets_opened (opened_at>? AND opened_at<?)", then "USE TEMP B-TREE
	// FOR GROUP BY": only the span's entries of the index are read, each
	// ticket's source from its row, and the sources (few) are grouped in
	// memory. (A file that ANALYZE gave statistics may instead skip-scan
	// tickets_source_opened, covering, one range per source: cheaper
	// still.)
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT source, COUNT(*) FROM tickets
		WHERE opened_at >= ? AND opened_at < ? GROUP BY source`, at(from), at(until))
	if err != nil {
		return nil, fmt.Errorf("count tickets opened %s–%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var source string
		var n int
		if err := rows.Scan(&source, &n); err != nil {
			return nil, fmt.Errorf("count tickets opened %s–%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
		}
		counts[source] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count tickets opened %s–%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
	}
	return counts, nil
}

// FirstOpened returns when source's first ticket was opened; ENOTFOUND
// when it has none (a ticket without an opening time, NULL, is none).
func (tx *tx) FirstOpened(source string) (time.Time, error) {
	// tickets_source_opened (migration 0013) makes MIN one seek: EXPLAIN
	// QUERY PLAN says "SEARCH tickets USING COVERING INDEX
	// tickets_source_opened (source=?)", which the min() optimisation stops
	// at the first non-NULL entry, however many tickets the source has.
	var first time.Time
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT MIN(opened_at) FROM tickets WHERE source = ?`, source).Scan(scanAt(&first))
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
	ts, err := tx.tickets(limit, `SELECT `+ticketColumns+` FROM tickets
		WHERE state <> 'resolved' AND first_reply_at IS NULL ORDER BY opened_at, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list unanswered tickets: %w", err)
	}
	return ts, nil
}

// OpenCounts counts the tickets that are not resolved.
func (tx *tx) OpenCounts() (bot.OpenCounts, error) {
	var c bot.OpenCounts
	// The WHERE matches the partial index tickets_open.
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT COUNT(*),
		COALESCE(SUM(state = 'open'), 0), COALESCE(SUM(first_reply_at IS NULL), 0)
		FROM tickets WHERE state <> 'resolved'`).Scan(&c.Open, &c.Unclaimed, &c.Unanswered)
	if err != nil {
		return c, fmt.Errorf("count open tickets: %w", err)
	}
	return c, nil
}

// tickets runs a listing of at most limit tickets (its LIMIT).
func (tx *tx) tickets(limit int, query string, args ...any) ([]bot.Ticket, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Room for a page up front spares copying tickets as the slice grows.
	ts := make([]bot.Ticket, 0, min(limit, 1000))
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// mustChangeOne returns notFound when an UPDATE or DELETE by id matched no
// row: the caller named something that is not there.
func mustChangeOne(res sql.Result, what string, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// placeholders is "?, ?, …", n of them, for an IN list; n is at least 1.
func placeholders(n int) string {
	return "?" + strings.Repeat(", ?", n-1)
}
