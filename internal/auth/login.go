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
//
// Each attempt is counted before the password is checked, in one atomic
// statement per key, and forgiven only when it succeeds: so parallel
// guesses cannot slip past the limit between a check and a count.
func Login(ctx context.Context, db *store.DB, username, password, addr string) (User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	now := store.Now()
	userKey, addrKey := usernameKeyPrefix+username, addressKeyPrefix+addr
	for _, k := range []struct {
		key   string
		limit int
	}{{userKey, MaxFailures}, {addrKey, MaxFailuresPerAddr}} {
		if err := countAttempt(ctx, db, k.key, k.limit, now); err != nil {
			return User{}, err
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
		return User{}, ErrBadCredentials
	}
	u, err := UserByID(ctx, db, userID)
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, ErrBadCredentials
	}
	// A success forgives the username's attempts, and this attempt of the
	// address (its failures stay counted: an address guessing many
	// accounts is still throttled, an operation room signing in is not).
	db.Exec(ctx, `DELETE FROM login_failures WHERE key = ?`, userKey)
	db.Exec(ctx, `UPDATE login_failures SET failures = failures - 1 WHERE key = ? AND failures > 0`, addrKey)
	return u, nil
}

// countAttempt counts one attempt for key and refuses it when the key is
// locked or this attempt goes over limit within the window (and locks it).
func countAttempt(ctx context.Context, db *store.DB, key string, limit int, now time.Time) error {
	var failures int
	var locked *time.Time
	err := db.QueryRow(ctx, `INSERT INTO login_failures (key, failures, window_start) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN login_failures.window_start < ? THEN 1 ELSE login_failures.failures + 1 END,
			window_start = CASE WHEN login_failures.window_start < ? THEN excluded.window_start ELSE login_failures.window_start END
		RETURNING failures, locked_until`, key, now, now.Add(-FailureWindow), now.Add(-FailureWindow)).Scan(&failures, &locked)
	if err != nil {
		return fmt.Errorf("count sign-in attempt: %w", err)
	}
	if locked != nil && now.Before(*locked) {
		return &LockedError{Until: *locked}
	}
	if failures > limit {
		until := now.Add(LockDuration)
		if _, err := db.Exec(ctx, `UPDATE login_failures SET locked_until = ? WHERE key = ?`, until, key); err != nil {
			return fmt.Errorf("lock sign-in: %w", err)
		}
		return &LockedError{Until: until}
	}
	return nil
}
