package sqlite

import (
	"fmt"
	"time"
)

// LeaseDestination takes or renews the lease of destination for holder
// until the given time, unless another holder's lease runs past now. One
// statement decides and writes, so two couriers cannot both be told yes.
func (tx *tx) LeaseDestination(destination, holder string, now, until time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO leases (destination, holder, until) VALUES (?1, ?2, ?4)
		ON CONFLICT (destination) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.holder = excluded.holder OR leases.until <= ?3`,
		destination, holder, laneAt(now), laneAt(until))
	if err != nil {
		return false, fmt.Errorf("lease %s for %s: %w", destination, holder, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease %s for %s: %w", destination, holder, err)
	}
	return n == 1, nil
}

// RenewDestination extends holder's lease of destination to until, when
// holder holds it still.
func (tx *tx) RenewDestination(destination, holder string, until time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE leases SET until = ? WHERE destination = ? AND holder = ?`,
		laneAt(until), destination, holder)
	if err != nil {
		return false, fmt.Errorf("renew %s for %s: %w", destination, holder, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("renew %s for %s: %w", destination, holder, err)
	}
	return n == 1, nil
}

// ReleaseDestination ends holder's lease of destination; a lease that is
// another's, or none, is left as it is.
func (tx *tx) ReleaseDestination(destination, holder string) error {
	if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM leases WHERE destination = ? AND holder = ?`,
		destination, holder); err != nil {
		return fmt.Errorf("release %s for %s: %w", destination, holder, err)
	}
	return nil
}
