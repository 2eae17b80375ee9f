package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// Throttling slows guessing without ever locking an account: failures are
// counted per (client address, username) pair, and past a free budget each
// further attempt of the pair must wait twice as long as the one before.
// A guesser elsewhere therefore cannot keep an account's owner out: the
// owner's address is another pair. A second count per client address, over
// every username, slows one address spraying many accounts; its budget is
// larger, since an operation room shares one address. Guessing one account
// from many addresses is bounded by argon2's cost and by the password
// rules (ValidatePassword refuses what such guessing tries first).
const (
	// MaxFailures is how many failed sign-ins a pair has before it waits.
	MaxFailures = 5
	// MaxFailuresPerAddr is the same for one address over all usernames.
	MaxFailuresPerAddr = 30
	// FirstWait is the wait after the first failure over budget; each
	// further failure doubles it, up to MaxWait.
	FirstWait = 4 * time.Second
	MaxWait   = 15 * time.Minute
	// FailureWindow: a key whose last attempt is older than this starts
	// again with a full budget.
	FailureWindow = 15 * time.Minute

	pairKeyPrefix    = "pair:"
	addressKeyPrefix = "addr:"
)

// ThrottledError says a sign-in was not tried: the client must wait.
type ThrottledError struct{ Until time.Time }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again after %s", e.Until.Format(time.RFC3339))
}

// Wait is how long from now the client must wait, rounded up to a second.
func (e *ThrottledError) Wait(now time.Time) time.Duration {
	return max(e.Until.Sub(now).Truncate(time.Second)+time.Second, time.Second)
}

// waitAfter is the wait after the failures-th failure of a key whose free
// budget is budget (0 while within it).
func waitAfter(failures, budget int) time.Duration {
	if failures < budget {
		return 0
	}
	d := FirstWait
	for i := budget; i < failures && d < MaxWait; i++ {
		d *= 2
	}
	return min(d, MaxWait)
}

// Login checks a username and password, applying the throttle, and returns
// the account. Every failure looks the same to the caller.
func Login(ctx context.Context, db *store.DB, username, password, addr string) (User, error) {
	return LoginAt(ctx, db, username, password, addr, store.Now())
}

// LoginAt is Login at a given time (tests pass a clock of their own).
//
// Each attempt is counted before the password is checked, in one atomic
// statement per key that also sets the key's next allowed time, and
// forgiven only when it succeeds: so parallel guesses cannot slip past the
// throttle between a check and a count.
func LoginAt(ctx context.Context, db *store.DB, username, password, addr string, now time.Time) (User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	pairKey, addrKey := pairKeyPrefix+addr+" "+username, addressKeyPrefix+addr
	for _, k := range []struct {
		key    string
		budget int
	}{{pairKey, MaxFailures}, {addrKey, MaxFailuresPerAddr}} {
		if err := countAttempt(ctx, db, k.key, k.budget, now); err != nil {
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
		hash = dummyHash()
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
	// A success forgives the pair, and this attempt of the address (its
	// failures stay counted: an address guessing many accounts is still
	// slowed, an operation room signing in is not).
	db.Exec(ctx, `DELETE FROM login_failures WHERE key = ?`, pairKey)
	db.Exec(ctx, `UPDATE login_failures SET failures = failures - 1 WHERE key = ? AND failures > 0`, addrKey)
	return u, nil
}

// countAttempt counts one attempt for key, unless the key must still wait,
// and sets when the key may next try. In login_failures, failures is the
// key's count, window_start the time of its last counted attempt and
// locked_until the earliest time of its next one.
func countAttempt(ctx context.Context, db *store.DB, key string, budget int, now time.Time) error {
	// The count after this attempt, and the wait it earns, computed in the
	// statement itself: a CASE over the counts that still double the wait,
	// each with its time as an argument.
	fresh := now.Add(-FailureWindow)
	count := `CASE WHEN login_failures.window_start < ? THEN 1 ELSE login_failures.failures + 1 END`
	at := `?`
	if db.Dialect() == store.Postgres {
		at = `CAST(? AS TIMESTAMPTZ)` // a parameter in a CASE is text to PostgreSQL otherwise
	}
	next := `CASE`
	var nextArgs []any
	for n := budget; ; n++ {
		next += ` WHEN ` + count + ` = ? THEN ` + at
		nextArgs = append(nextArgs, fresh, n, now.Add(waitAfter(n, budget)))
		if waitAfter(n, budget) == MaxWait {
			next += ` WHEN ` + count + ` > ? THEN ` + at
			nextArgs = append(nextArgs, fresh, n, now.Add(MaxWait))
			break
		}
	}
	next += ` ELSE NULL END`
	var firstNext any
	if w := waitAfter(1, budget); w > 0 {
		firstNext = now.Add(w)
	}
	args := append([]any{key, now, firstNext, fresh}, now)
	args = append(args, nextArgs...)
	args = append(args, now)
	var failures int
	err := db.QueryRow(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES (?, 1, ?, ?)
		ON CONFLICT (key) DO UPDATE SET
			failures = `+count+`,
			window_start = ?,
			locked_until = `+next+`
		WHERE login_failures.locked_until IS NULL OR login_failures.locked_until <= ?
		RETURNING failures`, args...).Scan(&failures)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("count sign-in attempt: %w", err)
	}
	// The key must still wait: nothing was counted.
	var until time.Time
	if err := db.QueryRow(ctx, `SELECT locked_until FROM login_failures WHERE key = ?`, key).Scan(&until); err != nil {
		return fmt.Errorf("read sign-in wait: %w", err)
	}
	return &ThrottledError{Until: until}
}
