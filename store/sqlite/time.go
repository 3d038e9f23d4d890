package sqlite

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Times are stored as unix microseconds, the precision of PostgreSQL's
// timestamptz, so that both stores hand back the same instant. The zero
// time.Time means "not yet" (FirstReplyAt, ResolvedAt) and is stored as NULL:
// it must come back as the zero time, not as 1970.

// at is a time.Time as a query argument.
type at time.Time

func (t at) Value() (driver.Value, error) {
	if time.Time(t).IsZero() {
		return nil, nil
	}
	return time.Time(t).UnixMicro(), nil
}

// scanAt returns a destination for Scan that sets *t, always in UTC.
func scanAt(t *time.Time) *timeDest { return (*timeDest)(t) }

type timeDest time.Time

func (t *timeDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = timeDest{}
	case int64:
		*t = timeDest(time.UnixMicro(v).UTC())
	default:
		return fmt.Errorf("time column holds %T, want an integer", src)
	}
	return nil
}
