package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Times are timestamptz, which keeps microseconds: pgx drops the rest, as
// the SQLite store does. The zero time.Time means "not yet" (FirstReplyAt,
// ResolvedAt) and is stored as NULL: it must come back as the zero time, not
// as year 1. Times come back in UTC, whatever the session's zone.

// at is t as a query argument: NULL when zero.
func at(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// laneAt is t as the outbox's lanes, heads and pauses keep it: the zero time
// (due at once) is -infinity, earlier than any, so that "due" is one range.
func laneAt(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{Valid: true, InfinityModifier: pgtype.NegativeInfinity}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

// scanAt returns a destination for Scan that sets *t, in UTC.
func scanAt(t *time.Time) *timeDest { return (*timeDest)(t) }

// timeDest is a time.Time that pgx scans a timestamptz into.
type timeDest time.Time

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (t *timeDest) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*t = timeDest{}
	case v.InfinityModifier != pgtype.Finite:
		return fmt.Errorf("time column holds %s, want a time", v.InfinityModifier)
	default:
		*t = timeDest(v.Time.UTC())
	}
	return nil
}
