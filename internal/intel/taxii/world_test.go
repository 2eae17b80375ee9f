package taxii_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/web"
)

// instance is one Garda platform: its own SQLite data directory, the real
// web server (with /taxii2/ mounted as garda serve mounts it) on loopback,
// and users with API tokens.
type instance struct {
	t      *testing.T
	db     *store.DB
	orgs   *org.Cache
	srv    *httptest.Server
	tokens map[string]string
}

func newInstance(t *testing.T, users ...auth.NewUser) *instance {
	t.Helper()
	return newInstanceOn(t, storetest.SQLite(t), users...)
}

// newInstanceOn is newInstance on a given (fresh, migrated) database.
func newInstanceOn(t *testing.T, db *store.DB, users ...auth.NewUser) *instance {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	cache := org.NewCache(db, time.Second)
	s, err := web.New(web.Deps{DB: db, Orgs: cache})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{t: t, db: db, orgs: cache, srv: httptest.NewServer(s.Handler()), tokens: map[string]string{}}
	t.Cleanup(in.srv.Close)
	for _, n := range users {
		n.Password = "pw-" + n.Username + "-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		plain, _, err := auth.CreateToken(ctx, db, audit.System, u.ID, "taxii test", auth.TokenAPI, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		in.tokens[n.Username] = plain
	}
	return in
}

// principal is a user of the instance as the platform sees it.
func (in *instance) principal(username string) auth.Principal {
	in.t.Helper()
	ctx := context.Background()
	u, err := auth.UserByName(ctx, in.db, username)
	if err != nil {
		in.t.Fatal(err)
	}
	tree, err := in.orgs.Tree(ctx)
	if err != nil {
		in.t.Fatal(err)
	}
	p, err := auth.PrincipalOf(u, tree)
	if err != nil {
		in.t.Fatal(err)
	}
	return p
}
