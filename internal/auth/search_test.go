package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestSearchPeople: a picker finds, by part of a username or display
// name, the enabled people of the searcher's organisations and scope; a
// province does not find another province's people, nor anyone through
// LIKE's wildcards.
func TestSearchPeople(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		for _, n := range []auth.NewUser{
			{Username: "jabar.analis", DisplayName: "Siti Analis", Org: "kpu-32", Role: "analyst", Scope: "32"},
			{Username: "bandung.op", DisplayName: "Budi Operator", Org: "kpu-32.04", Role: "operator", Scope: "32.04"},
			{Username: "jateng.analis", DisplayName: "Joko Analis", Org: "kpu-33", Role: "analyst", Scope: "33"},
			{Username: "bssn.analis", DisplayName: "Analis BSSN", Org: "bssn", Role: "analyst", Scope: ""},
			{Username: "jabar.lama", DisplayName: "Akun Lama", Org: "kpu-32", Role: "viewer", Scope: "32"},
		} {
			n.Password = "password-long-enough"
			if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
				t.Fatal(err)
			}
		}
		if err := auth.DisableUser(ctx, db, audit.System, "jabar.lama"); err != nil {
			t.Fatal(err)
		}
		tree, _ := org.Load(ctx, db)
		as := func(username string) auth.Principal {
			u, _ := auth.UserByName(ctx, db, username)
			p, err := auth.PrincipalOf(u, tree)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		for _, c := range []struct{ who, text, want string }{
			{"jabar.analis", "analis", "jabar.analis"},
			{"jabar.analis", "BUDI", "bandung.op"},
			{"jabar.analis", "a", "bandung.op,jabar.analis"}, // not the disabled account
			{"jabar.analis", "_", ""},
			{"jabar.analis", "%", ""},
			{"bssn.analis", "analis", "bssn.analis,jabar.analis,jateng.analis"},
		} {
			people, err := auth.SearchPeople(ctx, db, as(c.who), c.text, 20)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range people {
				got = append(got, p.Username)
			}
			if strings.Join(got, ",") != c.want {
				t.Errorf("%s searching %q finds %v, want %s", c.who, c.text, got, c.want)
			}
		}
	})
}
