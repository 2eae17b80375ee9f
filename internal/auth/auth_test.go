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

		// Throttle: the fifth failure locks the username, even for the right password.
		for range auth.MaxFailures - 1 {
			auth.Login(ctx, db, "budi.jabar", "wrong", "10.0.0.2")
		}
		var locked *auth.LockedError
		if _, err := auth.Login(ctx, db, "budi.jabar", "rahasia-jabar-1", "10.0.0.3"); !errors.As(err, &locked) {
			t.Fatalf("after %d failures: %v, want locked", auth.MaxFailures, err)
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

// TestThrottleHoldsUnderParallelGuesses: guesses sent at once cannot slip
// past the limit between the check and the count.
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
				_, err := auth.Login(ctx, db, "target", "wrong guess", fmt.Sprintf("10.9.%d.1", i))
				results <- err
			}()
		}
		checked := 0
		for range 40 {
			err := <-results
			var locked *auth.LockedError
			switch {
			case errors.Is(err, auth.ErrBadCredentials):
				checked++
			case errors.As(err, &locked):
			default:
				t.Fatalf("unexpected %v", err)
			}
		}
		if checked > auth.MaxFailures {
			t.Fatalf("%d parallel guesses had their password checked, limit %d", checked, auth.MaxFailures)
		}
	})
}
