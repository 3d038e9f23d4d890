package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
)

// Storm mode's tables (migration 0011): storms, listings and digests. The
// counts of Storm.Listed and Digest.Lines are the queries' own, never
// stored, so that they cannot drift from the listings.

// CurrentStorm returns the storm that has not ended, with the number of
// complaints listed in it; ok is false when there is none. Should two be
// on (none of caredesk's doing), the newest is the current one.
func (tx *tx) CurrentStorm() (bot.Storm, bool, error) {
	s, err := one(tx, "load the storm under way", errNone, func(row pgx.Row) (s bot.Storm, err error) {
		return s, row.Scan(&s.ID, scanAt(&s.Started), &s.Listed)
	}, `SELECT id, started_at, (SELECT count(*) FROM listings WHERE storm_id = storms.id)
		FROM storms WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1`)
	if errors.Is(err, errNone) {
		return bot.Storm{}, false, nil
	}
	if err != nil {
		return bot.Storm{}, false, err
	}
	return s, true, nil
}

// StartStorm stores s and sets s.ID. Only its start is stored, as in the
// SQLite store: a storm starts under way, and EndStorm ends it. One without
// a start time is refused (started_at is NOT NULL there too): nothing
// could place it.
func (tx *tx) StartStorm(s *bot.Storm) error {
	if s.Started.IsZero() {
		return errors.New("start a storm: it has no start time")
	}
	id, err := tx.insert("start a storm", `INSERT INTO storms (started_at) VALUES ($1) RETURNING id`, at(s.Started))
	if err != nil {
		return err
	}
	s.ID = id
	return nil
}

// EndStorm ends storm id at ended. A storm that is not there is no error,
// as in the SQLite store: nothing changes.
func (tx *tx) EndStorm(id int64, ended time.Time) error {
	_, err := tx.exec(fmt.Sprintf("end storm %d", id), `UPDATE storms SET ended_at = $2 WHERE id = $1`, id, at(ended))
	return err
}

// listingFields are the columns of listings, in the order of scanListing
// and AddListing.
var listingFields = newColumns(`ticket_id, storm_id, message_id, channel, urgent, first_ref, digest_id, line,
	parked_at, released_at`)

// selectListings reads whole listings; a query goes on with its WHERE.
var selectListings = `SELECT ` + listingFields.names + ` FROM listings `

func scanListing(row pgx.Row) (bot.Listing, error) {
	var l bot.Listing
	err := row.Scan(&l.Ticket, &l.Storm, &l.Message, &l.Channel, &l.First, &l.FirstRef, &l.Digest, &l.Line,
		scanAt(&l.ParkedAt), scanAt(&l.Released))
	return l, err
}

// AddListing records l, a ticket opened in a storm with its root parked.
// A ticket that does not exist, or is listed already, is refused (the
// foreign key and the primary key).
func (tx *tx) AddListing(l bot.Listing) error {
	_, err := tx.exec(fmt.Sprintf("list ticket #%d", l.Ticket),
		`INSERT INTO listings (`+listingFields.names+`) VALUES (`+listingFields.params(1)+`)`,
		l.Ticket, l.Storm, l.Message, l.Channel, l.First, l.FirstRef, l.Digest, l.Line, at(l.ParkedAt), at(l.Released))
	return err
}

// Listing returns ticket's listing; ok is false when it has none.
func (tx *tx) Listing(ticket int64) (bot.Listing, bool, error) {
	l, err := one(tx, fmt.Sprintf("load the listing of ticket #%d", ticket), errNone, scanListing,
		selectListings+`WHERE ticket_id = $1`, ticket)
	if errors.Is(err, errNone) {
		return bot.Listing{}, false, nil
	}
	if err != nil {
		return bot.Listing{}, false, err
	}
	return l, true, nil
}

// ReleaseListing records that ticket's root was let go at released. A
// root let go already keeps its first time: that is when it left the
// parked ones.
func (tx *tx) ReleaseListing(ticket int64, released time.Time) error {
	_, err := tx.exec(fmt.Sprintf("let the root of ticket #%d go", ticket),
		`UPDATE listings SET released_at = $2 WHERE ticket_id = $1 AND released_at IS NULL`, ticket, at(released))
	return err
}

// Parked returns up to limit listings whose root is still parked: tickets
// not resolved first (a resolved one's root matters least, and is let go
// last), then the urgent, then oldest first; none when limit is not
// positive. The ticket's state is a subquery per parked listing, which
// listings_parked finds; it orders false (not resolved) before true.
func (tx *tx) Parked(limit int) ([]bot.Listing, error) {
	if limit <= 0 {
		return nil, nil
	}
	return list(tx, "list parked roots", scanListing, selectListings+`l WHERE released_at IS NULL
		ORDER BY (SELECT state FROM tickets WHERE id = l.ticket_id) = 'resolved', urgent DESC, ticket_id LIMIT $1`,
		limit)
}

// CountParked counts the listings whose root is still parked.
func (tx *tx) CountParked() (int, error) {
	var n int
	if err := tx.tx.QueryRow(tx.ctx, `SELECT count(*) FROM listings WHERE released_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count parked roots: %w", err)
	}
	return n, nil
}

// Unlisted returns up to limit listings that have no digest line yet: the
// urgent first, then oldest first (listings_unlisted, in its order); none
// when limit is not positive.
func (tx *tx) Unlisted(limit int) ([]bot.Listing, error) {
	if limit <= 0 {
		return nil, nil
	}
	return list(tx, "list complaints for digests", scanListing,
		selectListings+`WHERE digest_id = 0 ORDER BY urgent DESC, ticket_id LIMIT $1`, limit)
}

// PlaceListing puts ticket's listing on line of digest.
func (tx *tx) PlaceListing(ticket, digest int64, line int) error {
	_, err := tx.exec(fmt.Sprintf("list ticket #%d in digest %d", ticket, digest),
		`UPDATE listings SET digest_id = $2, line = $3 WHERE ticket_id = $1`, ticket, digest, line)
	return err
}

// DigestListings returns the listings on digest's lines, in order.
func (tx *tx) DigestListings(digest int64) ([]bot.Listing, error) {
	return list(tx, fmt.Sprintf("load the lines of digest %d", digest), scanListing,
		selectListings+`WHERE digest_id = $1 ORDER BY line`, digest)
}

// AddDigest stores g, numbered after its storm's other digests: it sets
// g.ID and g.Number. The count and the insert are one statement, and no
// other writer runs meanwhile (the store's write lock), so two digests of
// a storm never share a number.
func (tx *tx) AddDigest(g *bot.Digest) error {
	err := tx.tx.QueryRow(tx.ctx, `INSERT INTO digests (storm_id, number, channel, ref, shown, tried, created_at)
		VALUES ($1, (SELECT count(*) + 1 FROM digests WHERE storm_id = $1), $2, $3, $4, $5, $6) RETURNING id, number`,
		g.Storm, g.Channel, g.Ref, g.Shown, g.Tried, at(g.Created)).Scan(&g.ID, &g.Number)
	if err != nil {
		return fmt.Errorf("add a digest to storm %d: %w", g.Storm, err)
	}
	return nil
}

// SaveDigest records g's Ref, Shown and Tried; its storm, number, channel
// and creation stay as they were added.
func (tx *tx) SaveDigest(g bot.Digest) error {
	_, err := tx.exec(fmt.Sprintf("record digest %d", g.ID),
		`UPDATE digests SET ref = $2, shown = $3, tried = $4 WHERE id = $1`, g.ID, g.Ref, g.Shown, g.Tried)
	return err
}

// selectDigests reads digests with their number of lines, counted from
// listings_digest.
const selectDigests = `SELECT id, storm_id, number, channel, ref, shown, tried, created_at,
	(SELECT count(*) FROM listings WHERE digest_id = digests.id) FROM digests `

func scanDigest(row pgx.Row) (bot.Digest, error) {
	var g bot.Digest
	err := row.Scan(&g.ID, &g.Storm, &g.Number, &g.Channel, &g.Ref, &g.Shown, &g.Tried, scanAt(&g.Created), &g.Lines)
	return g, err
}

// LastDigest returns storm's newest digest in channel, with its number of
// lines; ok is false when there is none.
func (tx *tx) LastDigest(storm int64, channel string) (bot.Digest, bool, error) {
	g, err := one(tx, fmt.Sprintf("load the newest digest of storm %d", storm), errNone, scanDigest,
		selectDigests+`WHERE storm_id = $1 AND channel = $2 ORDER BY id DESC LIMIT 1`, storm, channel)
	if errors.Is(err, errNone) {
		return bot.Digest{}, false, nil
	}
	if err != nil {
		return bot.Digest{}, false, err
	}
	return g, true, nil
}

// Digests returns the digests created since then, with their number of
// lines, oldest first. since is compared as it is, the zero time included
// (the earliest: every digest), not as at's NULL.
func (tx *tx) Digests(since time.Time) ([]bot.Digest, error) {
	return list(tx, "list digests", scanDigest, selectDigests+`WHERE created_at >= $1 ORDER BY id`, since)
}
