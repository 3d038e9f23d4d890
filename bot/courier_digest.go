package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// digestWindow is how long a digest post is kept up to date: its lines
// follow their tickets (claimed, resolved, a thread opened) for a day,
// longer than any storm's tickets wait for a first answer.
const digestWindow = 24 * time.Hour

// postDigests is a run of the digest job: it puts unlisted complaints on
// digest lines, then posts or edits one digest at a time, each one call
// to the desk, until every digest shows what it should. Each step is on
// record before the next: a crash mid-run leaves every complaint on one
// line of one digest, and a post whose answer was lost is looked for
// (Tried) before it is posted again.
func (c *Courier) postDigests(ctx context.Context, d Delivery) error {
	dg, ok := c.desk.(Digester)
	if !ok {
		return c.finish(ctx, d, nil)
	}
	size := max(dg.DigestSize(), 1)
	for {
		now := c.clock.Now().UTC()
		if err := c.store.Update(ctx, func(tx Tx) error { return fillDigests(tx, size, now) }); err != nil {
			return &storeError{write: true, doing: "list complaints in digests", err: err}
		}
		// Read, not written: looking for what changed loads tickets by the
		// hundred, which must not hold up the writers meanwhile.
		var g Digest
		var shows string
		var found bool
		if err := c.store.View(ctx, func(tx Tx) (err error) {
			g, shows, found, err = staleDigest(tx, now)
			return err
		}); err != nil {
			return &storeError{doing: "look for digests to post or edit", err: err}
		}
		if !found {
			return c.finish(ctx, d, nil)
		}
		tried := g.Tried
		if g.Ref == "" && !tried {
			g.Tried = true // on record before the post: a lost answer is looked for
			if err := c.store.Update(ctx, func(tx Tx) error { return tx.SaveDigest(g) }); err != nil {
				return &storeError{write: true, doing: fmt.Sprintf("record an attempt of digest %d", g.Number), err: err}
			}
		}
		var err error
		ref := g.Ref
		switch {
		case ref != "":
			err = dg.UpdateDigest(ctx, g)
		case tried:
			if ref, err = dg.FindDigest(ctx, g); err == nil && ref != "" {
				// The post found shows what the digest was then, which may
				// be fewer lines than now: on record as showing nothing,
				// so that the next round edits it.
				shows = ""
			} else if err == nil {
				ref, err = dg.PostDigest(ctx, g)
			}
		default:
			ref, err = dg.PostDigest(ctx, g)
		}
		if err != nil && g.Ref != "" && IsPermanent(err) {
			// Its post is gone (deleted by hand) or cannot be edited: it is
			// posted again, rather than holding back every other digest.
			c.log.Warn("a storm digest's post cannot be edited; it is posted again", "digest", g.Number, "storm", g.Storm, "err", err)
			ref, shows, err = "", "", nil
		}
		if err != nil {
			return fmt.Errorf("digest %d of storm %d: %w", g.Number, g.Storm, err)
		}
		// Posted, found or edited it has a post; taken back, a fresh one
		// is posted with no look for the old.
		g.Ref, g.Shown, g.Tried = ref, shows, ref != ""
		if err := c.store.Update(ctx, func(tx Tx) error { return tx.SaveDigest(g) }); err != nil {
			return &storeError{write: true, doing: fmt.Sprintf("record digest %d", g.Number), err: err}
		}
	}
}

// fillDigests gives the unlisted complaints their lines, the first
// (high reach, repeat complainers) before the others, then oldest first:
// the newest digest of their storm and channel while it has room, then
// new digests.
func fillDigests(tx Tx, size int, now time.Time) error {
	unlisted, err := tx.Unlisted(size * 10)
	if err != nil {
		return err
	}
	newest := map[string]Digest{} // by storm and channel
	for _, l := range unlisted {
		key := fmt.Sprintf("%d %s", l.Storm, l.Channel)
		g, ok := newest[key]
		if !ok {
			if g, ok, err = tx.LastDigest(l.Storm, l.Channel); err != nil {
				return err
			}
		}
		if !ok || g.Lines >= size {
			g = Digest{Storm: l.Storm, Channel: l.Channel, Created: now}
			if err := tx.AddDigest(&g); err != nil {
				return err
			}
		}
		g.Lines++
		if err := tx.PlaceListing(l.Ticket, g.ID, g.Lines); err != nil {
			return err
		}
		newest[key] = g
	}
	return nil
}

// staleDigest is a digest of the window whose post does not show what it
// should: the oldest never posted, else the newest whose lines changed.
// Newest first, because in a storm that is the one filling up, and
// looking at it first spares loading every older digest's tickets for
// each post. shows is what it should show (digestShows).
func staleDigest(tx Tx, now time.Time) (g Digest, shows string, found bool, err error) {
	all, err := tx.Digests(now.Add(-digestWindow))
	if err != nil {
		return Digest{}, "", false, err
	}
	if i := slices.IndexFunc(all, func(g Digest) bool { return g.Ref == "" }); i >= 0 {
		g = all[i]
		if g.Entries, err = digestEntries(tx, g.ID); err != nil {
			return Digest{}, "", false, err
		}
		return g, digestShows(g.Entries), true, nil
	}
	for _, g := range slices.Backward(all) {
		if g.Entries, err = digestEntries(tx, g.ID); err != nil {
			return Digest{}, "", false, err
		}
		if shows := digestShows(g.Entries); shows != g.Shown {
			return g, shows, true, nil
		}
	}
	return Digest{}, "", false, nil
}

// digestEntries loads the lines of digest id, in order.
func digestEntries(tx Tx, id int64) ([]DigestEntry, error) {
	listed, err := tx.DigestListings(id)
	if err != nil {
		return nil, err
	}
	entries := make([]DigestEntry, 0, len(listed))
	for _, l := range listed {
		t, err := tx.Ticket(l.Ticket)
		if err != nil {
			return nil, fmt.Errorf("line %d of digest %d: %w", l.Line, id, err)
		}
		entries = append(entries, DigestEntry{Ticket: t, First: l.First, Again: t.LastInbound != l.FirstRef})
	}
	return entries, nil
}

// digestShows sums up what a digest's lines show that can change: each
// ticket's state, owner, thread and whether its customer wrote again.
func digestShows(entries []DigestEntry) string {
	var b strings.Builder
	for _, e := range entries {
		t := e.Ticket
		fmt.Fprintf(&b, "%d %s %s %s/%s %t %d;", t.ID, t.State, t.Owner.ID, t.Channel, t.DeskThread, e.Again, t.Moves)
	}
	return b.String()
}
