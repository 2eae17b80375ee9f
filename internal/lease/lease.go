// Package lease lets several instances of Garda share work that must run
// in one place at a time: a holder takes a named lease for a while and
// renews it; when it stops renewing, another may take it. The database is
// the judge, so it holds across machines. A lease is never taken from a
// live holder.
package lease

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// Acquire takes or renews the lease name for holder until now+ttl, and
// reports whether holder has it.
func Acquire(ctx context.Context, db *store.DB, name, holder string, ttl time.Duration) (bool, error) {
	now := store.Now()
	res, err := db.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at < ?`, name, holder, now.Add(ttl), now)
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Release gives a lease up at once (on a clean shutdown).
func Release(ctx context.Context, db *store.DB, name, holder string) error {
	_, err := db.Exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return err
}

// Holder returns who holds a live lease ("" when nobody does).
func Holder(ctx context.Context, db *store.DB, name string) (string, error) {
	var holder string
	var until time.Time
	err := db.QueryRow(ctx, `SELECT holder, expires_at FROM leases WHERE name = ?`, name).Scan(&holder, &until)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	if until.Before(store.Now()) {
		return "", nil
	}
	return holder, nil
}
