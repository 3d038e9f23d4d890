package postgres

import (
	"fmt"
	"time"
)

// LeaseDestination takes or renews the lease of destination for holder
// until the given time, unless another holder's lease runs past now. One
// statement decides and writes (ON CONFLICT locks the row it looks at), so
// two replicas cannot both be told yes, even outside the write lock.
func (tx *tx) LeaseDestination(destination, holder string, now, until time.Time) (bool, error) {
	tag, err := tx.exec(fmt.Sprintf("lease %s for %s", destination, holder),
		`INSERT INTO leases (destination, holder, until) VALUES ($1, $2, $4)
		ON CONFLICT (destination) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.holder = excluded.holder OR leases.until <= $3`,
		destination, holder, laneAt(now), laneAt(until))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// RenewDestination extends holder's lease of destination to until, when
// holder holds it still.
func (tx *tx) RenewDestination(destination, holder string, until time.Time) (bool, error) {
	tag, err := tx.exec(fmt.Sprintf("renew %s for %s", destination, holder),
		`UPDATE leases SET until = $3 WHERE destination = $1 AND holder = $2`, destination, holder, laneAt(until))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseDestination ends holder's lease of destination; a lease that is
// another's, or none, is left as it is.
func (tx *tx) ReleaseDestination(destination, holder string) error {
	_, err := tx.exec(fmt.Sprintf("release %s for %s", destination, holder),
		`DELETE FROM leases WHERE destination = $1 AND holder = $2`, destination, holder)
	return err
}
