package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// Throttling: after MaxFailures failed sign-ins within FailureWindow, a
// username is locked for LockDuration; a client address gets a larger
// budget, since an operation room shares one address.
const (
	MaxFailures        = 5
	MaxFailuresPerAddr = 30
	FailureWindow      = 15 * time.Minute
	LockDuration       = 15 * time.Minute
	usernameKeyPrefix  = "user:"
	addressKeyPrefix   = "addr:"
)

// LockedError says sign-in is refused until a time.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again after %s", e.Until.Format(time.RFC3339))
}

// Login checks a username and password, applying the throttle, and returns
// the account. Every failure looks the same to the caller.
func Login(ctx context.Context, db *store.DB, username, password, addr string) (User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	keys := []string{usernameKeyPrefix + username, addressKeyPrefix + addr}
	now := store.Now()
	for _, k := range keys {
		var locked *time.Time
		err := db.QueryRow(ctx, `SELECT locked_until FROM login_failures WHERE key = ?`, k).Scan(&locked)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return User{}, fmt.Errorf("check sign-in throttle: %w", err)
		}
		if locked != nil && now.Before(*locked) {
			return User{}, &LockedError{Until: *locked}
		}
	}
	var hash string
	var userID int64
	err := db.QueryRow(ctx, `SELECT id, password_hash FROM users WHERE username = ?`, username).Scan(&userID, &hash)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return User{}, fmt.Errorf("sign in: %w", err)
	}
	if userID == 0 {
		hash = dummyHash
	}
	ok, err := CheckPassword(hash, password)
	if err != nil || !ok || userID == 0 {
		if ferr := recordFailure(ctx, db, keys, now); ferr != nil {
			return User{}, ferr
		}
		return User{}, ErrBadCredentials
	}
	u, err := UserByID(ctx, db, userID)
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, ErrBadCredentials
	}
	db.Exec(ctx, `DELETE FROM login_failures WHERE key = ?`, keys[0])
	return u, nil
}

func recordFailure(ctx context.Context, db *store.DB, keys []string, now time.Time) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		for i, k := range keys {
			limit := MaxFailures
			if i > 0 {
				limit = MaxFailuresPerAddr
			}
			var failures int
			var start time.Time
			err := tx.QueryRow(ctx, `SELECT failures, window_start FROM login_failures WHERE key = ?`, k).Scan(&failures, &start)
			switch {
			case errors.Is(err, store.ErrNotFound) || (err == nil && now.Sub(start) > FailureWindow):
				failures, start = 0, now
			case err != nil:
				return fmt.Errorf("record failed sign-in: %w", err)
			}
			failures++
			var locked any
			if failures >= limit {
				locked = now.Add(LockDuration)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES (?, ?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until`,
				k, failures, start, locked); err != nil {
				return fmt.Errorf("record failed sign-in: %w", err)
			}
		}
		return nil
	})
}
