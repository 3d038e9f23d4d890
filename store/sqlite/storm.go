package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"caredesk/bot"
)

// CurrentStorm returns the storm that has not ended, with the number of
// complaints listed in it.
func (tx *tx) CurrentStorm() (bot.Storm, bool, error) {
	var s bot.Storm
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT id, started_at,
		(SELECT COUNT(*) FROM listings WHERE storm_id = storms.id)
		FROM storms WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1`).Scan(&s.ID, scanAt(&s.Started), &s.Listed)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Storm{}, false, nil
	}
	if err != nil {
		return bot.Storm{}, false, fmt.Errorf("load the storm under way: %w", err)
	}
	return s, true, nil
}

// StartStorm stores s and sets s.ID.
func (tx *tx) StartStorm(s *bot.Storm) error {
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO storms (started_at) VALUES (?)`, at(s.Started))
	if err != nil {
		return fmt.Errorf("start a storm: %w", err)
	}
	if s.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("start a storm: %w", err)
	}
	return nil
}

// EndStorm ends storm id at ended.
func (tx *tx) EndStorm(id int64, ended time.Time) error {
	if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE storms SET ended_at = ? WHERE id = ?`, at(ended), id); err != nil {
		return fmt.Errorf("end storm %d: %w", id, err)
	}
	return nil
}

// AddListing records l.
func (tx *tx) AddListing(l bot.Listing) error {
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO listings (ticket_id, storm_id, message_id, channel, urgent,
		first_ref, digest_id, line, parked_at, released_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.Ticket, l.Storm, l.Message, l.Channel, l.First, l.FirstRef, l.Digest, l.Line, at(l.ParkedAt), at(l.Released))
	if err != nil {
		return fmt.Errorf("list ticket #%d: %w", l.Ticket, err)
	}
	return nil
}

const listingColumns = `ticket_id, storm_id, message_id, channel, urgent, first_ref, digest_id, line, parked_at, released_at`

func scanListing(s interface{ Scan(...any) error }) (bot.Listing, error) {
	var l bot.Listing
	err := s.Scan(&l.Ticket, &l.Storm, &l.Message, &l.Channel, &l.First, &l.FirstRef, &l.Digest, &l.Line,
		scanAt(&l.ParkedAt), scanAt(&l.Released))
	return l, err
}

// listings runs a query of listings.
func (tx *tx) listings(doing, query string, args ...any) ([]bot.Listing, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	defer rows.Close()
	var out []bot.Listing
	for rows.Next() {
		l, err := scanListing(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", doing, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	return out, nil
}

// Listing returns ticket's listing.
func (tx *tx) Listing(ticket int64) (bot.Listing, bool, error) {
	l, err := scanListing(tx.tx.QueryRowContext(tx.ctx, `SELECT `+listingColumns+` FROM listings WHERE ticket_id = ?`, ticket))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Listing{}, false, nil
	}
	if err != nil {
		return bot.Listing{}, false, fmt.Errorf("load the listing of ticket #%d: %w", ticket, err)
	}
	return l, true, nil
}

// ReleaseListing records that ticket's root was let go.
func (tx *tx) ReleaseListing(ticket int64, released time.Time) error {
	if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE listings SET released_at = ? WHERE ticket_id = ? AND released_at IS NULL`,
		at(released), ticket); err != nil {
		return fmt.Errorf("let the root of ticket #%d go: %w", ticket, err)
	}
	return nil
}

// Parked returns up to limit parked listings: tickets not resolved first,
// then the urgent, then oldest first.
func (tx *tx) Parked(limit int) ([]bot.Listing, error) {
	return tx.listings("list parked roots", `SELECT `+listingColumns+` FROM listings l
		WHERE released_at IS NULL
		ORDER BY (SELECT state FROM tickets WHERE id = l.ticket_id) = ?, urgent DESC, ticket_id LIMIT ?`, bot.Resolved, limit)
}

// CountParked counts the parked listings.
func (tx *tx) CountParked() (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(tx.ctx, `SELECT COUNT(*) FROM listings WHERE released_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count parked roots: %w", err)
	}
	return n, nil
}

// Unlisted returns up to limit listings without a digest line.
func (tx *tx) Unlisted(limit int) ([]bot.Listing, error) {
	return tx.listings("list complaints for digests", `SELECT `+listingColumns+` FROM listings
		WHERE digest_id = 0 ORDER BY urgent DESC, ticket_id LIMIT ?`, limit)
}

// PlaceListing puts ticket's listing on line of digest.
func (tx *tx) PlaceListing(ticket, digest int64, line int) error {
	if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE listings SET digest_id = ?, line = ? WHERE ticket_id = ?`,
		digest, line, ticket); err != nil {
		return fmt.Errorf("list ticket #%d in digest %d: %w", ticket, digest, err)
	}
	return nil
}

// DigestListings returns the listings of digest, by line.
func (tx *tx) DigestListings(digest int64) ([]bot.Listing, error) {
	return tx.listings(fmt.Sprintf("load the lines of digest %d", digest), `SELECT `+listingColumns+` FROM listings
		WHERE digest_id = ? ORDER BY line`, digest)
}

// AddDigest stores g, numbered after its storm's other digests.
func (tx *tx) AddDigest(g *bot.Digest) error {
	err := tx.tx.QueryRowContext(tx.ctx, `INSERT INTO digests (storm_id, number, channel, ref, shown, tried, created_at)
		VALUES (?1, (SELECT COUNT(*) + 1 FROM digests WHERE storm_id = ?1), ?2, ?3, ?4, ?5, ?6) RETURNING id, number`,
		g.Storm, g.Channel, g.Ref, g.Shown, g.Tried, at(g.Created)).Scan(&g.ID, &g.Number)
	if err != nil {
		return fmt.Errorf("add a digest to storm %d: %w", g.Storm, err)
	}
	return nil
}

// SaveDigest records g's Ref, Shown and Tried.
func (tx *tx) SaveDigest(g bot.Digest) error {
	if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE digests SET ref = ?, shown = ?, tried = ? WHERE id = ?`,
		g.Ref, g.Shown, g.Tried, g.ID); err != nil {
		return fmt.Errorf("record digest %d: %w", g.ID, err)
	}
	return nil
}

const digestColumns = `id, storm_id, number, channel, ref, shown, tried, created_at,
	(SELECT COUNT(*) FROM listings WHERE digest_id = digests.id)`

func scanDigest(s interface{ Scan(...any) error }) (bot.Digest, error) {
	var g bot.Digest
	err := s.Scan(&g.ID, &g.Storm, &g.Number, &g.Channel, &g.Ref, &g.Shown, &g.Tried, scanAt(&g.Created), &g.Lines)
	return g, err
}

// LastDigest returns storm's newest digest in channel.
func (tx *tx) LastDigest(storm int64, channel string) (bot.Digest, bool, error) {
	g, err := scanDigest(tx.tx.QueryRowContext(tx.ctx, `SELECT `+digestColumns+` FROM digests
		WHERE storm_id = ? AND channel = ? ORDER BY id DESC LIMIT 1`, storm, channel))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Digest{}, false, nil
	}
	if err != nil {
		return bot.Digest{}, false, fmt.Errorf("load the newest digest of storm %d: %w", storm, err)
	}
	return g, true, nil
}

// Digests returns the digests created since then, oldest first.
func (tx *tx) Digests(since time.Time) ([]bot.Digest, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+digestColumns+` FROM digests WHERE created_at >= ? ORDER BY id`, since.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("list digests: %w", err)
	}
	defer rows.Close()
	var out []bot.Digest
	for rows.Next() {
		g, err := scanDigest(rows)
		if err != nil {
			return nil, fmt.Errorf("list digests: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list digests: %w", err)
	}
	return out, nil
}
