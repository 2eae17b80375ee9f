package auth_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/garda-id/garda/internal/problem"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func setup(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := org.EnsureStandard(context.Background(), db); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash %q %v", h, err)
	}
	if ok, _ := auth.CheckPassword(h, "correct horse battery"); !ok {
		t.Fatal("right password refused")
	}
	if ok, _ := auth.CheckPassword(h, "correct horse batterY"); ok {
		t.Fatal("wrong password accepted")
	}
	if err := auth.ValidatePassword("budi", "short"); err == nil {
		t.Fatal("short password accepted")
	}
}

func TestUsersAndSignIn(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		bad := []auth.NewUser{
			{Username: "A", Org: "kpu", Role: "viewer", Password: "long enough pw"},
			{Username: "budi", Org: "nope", Role: "viewer", Password: "long enough pw"},
			{Username: "budi", Org: "kpu", Role: "king", Password: "long enough pw"},
			{Username: "budi", Org: "kpu", Role: "viewer", Scope: "99", Password: "long enough pw"},
			{Username: "budi", Org: "kpu-32", Role: "viewer", Scope: "", Password: "long enough pw"}, // national scope, provincial org
			{Username: "budi", Org: "kpu-32", Role: "viewer", Scope: "31", Password: "long enough pw"},
			{Username: "budi", Org: "kpu", Role: "viewer", Password: "short"},
		}
		for _, n := range bad {
			if _, err := auth.CreateUser(ctx, db, audit.System, n); !problem.Is(err, problem.Invalid) {
				t.Errorf("%+v: got %v, want a validation error", n, err)
			}
		}
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "Budi.Jabar", Org: "kpu-32", Role: "operator", Scope: "32.04", Password: "rahasia-jabar-1"})
		if err != nil || u.Username != "budi.jabar" || u.Org != "kpu-32" || u.Scope != "32.04" {
			t.Fatalf("create: %+v %v", u, err)
		}
		if _, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "budi.jabar", Org: "kpu", Role: "viewer", Password: "long enough pw"}); err == nil {
			t.Fatal("duplicate username accepted")
		}

		got, err := auth.Login(ctx, db, "BUDI.jabar", "rahasia-jabar-1", "10.0.0.1")
		if err != nil || got.ID != u.ID {
			t.Fatalf("login: %+v %v", got, err)
		}
		if _, err := auth.Login(ctx, db, "budi.jabar", "wrong", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := auth.Login(ctx, db, "nobody", "wrong", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("unknown user: %v", err)
		}

		// Throttle: failures from one address slow that address down for
		// this username; the owner elsewhere still signs in.
		for range auth.MaxFailures {
			auth.Login(ctx, db, "budi.jabar", "wrong", "10.0.0.2")
		}
		var throttled *auth.ThrottledError
		if _, err := auth.Login(ctx, db, "budi.jabar", "rahasia-jabar-1", "10.0.0.2"); !errors.As(err, &throttled) {
			t.Fatalf("after %d failures: %v, want throttled", auth.MaxFailures, err)
		}
		if _, err := auth.Login(ctx, db, "budi.jabar", "rahasia-jabar-1", "10.0.0.3"); err != nil {
			t.Fatalf("the owner from another address: %v", err)
		}

		plain, tok, err := auth.CreateToken(ctx, db, audit.System, u.ID, "script", auth.TokenAPI, time.Hour)
		if err != nil || !strings.HasPrefix(plain, auth.TokenPrefix) || tok.ID == 0 {
			t.Fatalf("token: %v", err)
		}
		if tu, err := auth.TokenUser(ctx, db, plain); err != nil || tu.ID != u.ID {
			t.Fatalf("token user: %v", err)
		}
		if _, err := auth.TokenUser(ctx, db, plain+"x"); !errors.Is(err, auth.ErrUnauthorized) {
			t.Fatalf("forged token: %v", err)
		}
		var stored int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM tokens WHERE hash = ?`, plain).Scan(&stored)
		if stored != 0 {
			t.Fatal("token stored in plain text")
		}
		if err := auth.RevokeToken(ctx, db, audit.System, tok.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.TokenUser(ctx, db, plain); !errors.Is(err, auth.ErrUnauthorized) {
			t.Fatalf("revoked token: %v", err)
		}
		short, _, _ := auth.CreateToken(ctx, db, audit.System, u.ID, "short", auth.TokenAPI, time.Millisecond)
		time.Sleep(5 * time.Millisecond)
		if _, err := auth.TokenUser(ctx, db, short); !errors.Is(err, auth.ErrUnauthorized) {
			t.Fatalf("expired token: %v", err)
		}

		cookie, sess, err := auth.CreateSession(ctx, db, u.ID)
		if err != nil || sess.CSRF == "" {
			t.Fatal(err)
		}
		if s, err := auth.SessionOf(ctx, db, cookie); err != nil || s.UserID != u.ID || s.CSRF != sess.CSRF {
			t.Fatalf("session: %+v %v", s, err)
		}
		live, _, _ := auth.CreateToken(ctx, db, audit.System, u.ID, "live", auth.TokenAPI, time.Hour)
		if err := auth.DisableUser(ctx, db, audit.System, "budi.jabar"); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.SessionOf(ctx, db, cookie); !errors.Is(err, auth.ErrUnauthorized) {
			t.Fatalf("session after disable: %v", err)
		}
		if _, err := auth.TokenUser(ctx, db, live); !errors.Is(err, auth.ErrUnauthorized) {
			t.Fatalf("token after disable: %v", err)
		}
		if n, err := audit.Verify(ctx, db); err != nil || n < 4 {
			t.Fatalf("audit: %d %v", n, err)
		}
	})
}

// TestThrottleHoldsUnderParallelGuesses: guesses sent at once from one
// address cannot slip past the budget between the check and the count.
func TestThrottleHoldsUnderParallelGuesses(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		if _, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "target", Org: "kpu", Role: "viewer", Password: "the right password"}); err != nil {
			t.Fatal(err)
		}
		results := make(chan error, 40)
		for i := range 40 {
			go func() {
				_, err := auth.Login(ctx, db, "target", fmt.Sprintf("wrong guess %d", i), "10.9.0.1")
				results <- err
			}()
		}
		checked := 0
		for range 40 {
			err := <-results
			var throttled *auth.ThrottledError
			switch {
			case errors.Is(err, auth.ErrBadCredentials):
				checked++
			case errors.As(err, &throttled):
			default:
				t.Fatalf("unexpected %v", err)
			}
		}
		if checked > auth.MaxFailures {
			t.Fatalf("%d parallel guesses had their password checked, limit %d", checked, auth.MaxFailures)
		}
	})
}

// TestThrottleBacksOffWithoutLockingOut drives sign-in with a clock of its
// own: an attacker's address waits longer after each failure (doubling, up
// to MaxWait), the right password from another address is never refused,
// and one address trying many usernames is slowed as well.
func TestThrottleBacksOffWithoutLockingOut(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		for _, u := range []string{"koordinator.nasional", "koordinator.jatim"} {
			if _, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: u, Org: "kpu", Role: "coordinator", Password: "kopi tubruk jam tiga"}); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Date(2029, 2, 14, 7, 0, 0, 0, time.UTC)
		const attacker, owner = "203.0.113.9", "10.1.1.1"
		var throttled *auth.ThrottledError
		for i := range auth.MaxFailures {
			if _, err := auth.LoginAt(ctx, db, "koordinator.nasional", "tebakan salah", attacker, now); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("guess %d within the budget: %v", i+1, err)
			}
		}
		wait := auth.FirstWait
		for step := range 12 {
			_, err := auth.LoginAt(ctx, db, "koordinator.nasional", "kopi tubruk jam tiga", attacker, now)
			if !errors.As(err, &throttled) || throttled.Until.Sub(now) != wait {
				t.Fatalf("step %d: %v, want a wait of %s", step, err, wait)
			}
			// The owner, from the operation room, signs in all along.
			if _, err := auth.LoginAt(ctx, db, "koordinator.nasional", "kopi tubruk jam tiga", owner, now); err != nil {
				t.Fatalf("step %d: the owner was refused: %v", step, err)
			}
			now = now.Add(wait)
			if _, err := auth.LoginAt(ctx, db, "koordinator.nasional", "tebakan salah", attacker, now); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("step %d: a guess after the wait: %v", step, err)
			}
			wait = min(2*wait, auth.MaxWait)
		}
		if wait != auth.MaxWait {
			t.Fatalf("the wait grew only to %s", wait)
		}
		// A success from the attacker's address (the owner travelling) forgives the pair.
		now = now.Add(auth.MaxWait)
		if _, err := auth.LoginAt(ctx, db, "koordinator.nasional", "kopi tubruk jam tiga", attacker, now); err != nil {
			t.Fatalf("after the wait, the right password: %v", err)
		}

		// One address spraying usernames: slowed after MaxFailuresPerAddr
		// failures, whichever username it tries next, even a real one.
		const sprayer = "198.51.100.7"
		for i := range auth.MaxFailuresPerAddr {
			if _, err := auth.LoginAt(ctx, db, fmt.Sprintf("pengguna.%d", i), "tebakan salah", sprayer, now); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("spray %d: %v", i, err)
			}
		}
		if _, err := auth.LoginAt(ctx, db, "koordinator.jatim", "tebakan salah", sprayer, now); !errors.As(err, &throttled) || throttled.Until.Sub(now) != auth.FirstWait {
			t.Fatalf("spray past the address budget: %v", err)
		}
		if _, err := auth.LoginAt(ctx, db, "koordinator.jatim", "kopi tubruk jam tiga", owner, now); err != nil {
			t.Fatalf("the sprayed account's owner elsewhere: %v", err)
		}
		// The sprayer's own account does not lift the address's wait.
		if _, err := auth.LoginAt(ctx, db, "koordinator.nasional", "kopi tubruk jam tiga", sprayer, now); !errors.As(err, &throttled) {
			t.Fatalf("a success from a waiting address: %v", err)
		}
		now = now.Add(auth.FirstWait)
		if _, err := auth.LoginAt(ctx, db, "koordinator.nasional", "kopi tubruk jam tiga", sprayer, now); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		if _, err := auth.LoginAt(ctx, db, "pengguna.x", "tebakan salah", sprayer, now); !errors.As(err, &throttled) {
			t.Fatalf("a success reset the address's wait: %v", err)
		}
	})
}
