package web

import (
	"context"
	"fmt"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestAPIBlocklist(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		n := auth.NewUser{Username: "komdigi.coord", Org: "komdigi", Role: "coordinator", Scope: "", Password: "pw-komdigi-coord-long"}
		if _, err := auth.CreateUser(context.Background(), db, audit.System, n); err != nil {
			t.Fatal(err)
		}
		var tok struct {
			Token string `json:"token"`
		}
		w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &tok)
		w.tokens[n.Username] = tok.Token

		w.call("kpu.analyst", "POST", "/api/v1/rpz/blocklist", `{"domain":"hoaks.example","reason":"x"}`, 403, nil)
		w.call("komdigi.coord", "POST", "/api/v1/rpz/blocklist", `{"domain":"10.0.0.1","reason":"x"}`, 400, nil)
		w.call("komdigi.coord", "POST", "/api/v1/rpz/blocklist", `{"domain":"hoaks.example"}`, 400, nil)
		var e rpz.Entry
		w.call("komdigi.coord", "POST", "/api/v1/rpz/blocklist", `{"domain":"Hoaks.Example","reason":"hoaks","landing":"blokir.example"}`, 201, &e)
		if e.Domain != "hoaks.example" || e.Policy != rpz.Landing || e.CreatedBy != "komdigi.coord" {
			t.Fatalf("block: %+v", e)
		}
		w.call("komdigi.coord", "POST", "/api/v1/rpz/blocklist", `{"domain":"hoaks.example","reason":"again"}`, 409, nil)
		var list struct {
			Items  []rpz.Entry `json:"items"`
			Serial uint32      `json:"serial"`
		}
		w.call("jateng.viewer", "GET", "/api/v1/rpz/blocklist?q=hoaks", "", 200, &list)
		if len(list.Items) != 1 || list.Serial != e.Serial {
			t.Fatalf("list %+v (serial %d)", list, e.Serial)
		}
		w.call("kpu.analyst", "GET", "/api/v1/rpz/resolvers", "", 403, nil)
		w.call("kpu.admin", "GET", "/api/v1/rpz/resolvers", "", 200, nil)
		w.call("komdigi.coord", "POST", "/api/v1/rpz/blocklist/unblock", `{"domain":"tidak.example","reason":"x"}`, 404, nil)
		w.call("kpu.analyst", "POST", "/api/v1/rpz/blocklist/unblock", `{"domain":"hoaks.example","reason":"x"}`, 403, nil)
		w.call("komdigi.coord", "POST", "/api/v1/rpz/blocklist/unblock", `{"domain":"hoaks.example","reason":"putusan"}`, 200, &e)
		if e.LiftedAt == nil {
			t.Fatalf("unblock: %+v", e)
		}
		w.call("jateng.viewer", "GET", "/api/v1/rpz/blocklist", "", 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("after the lift: %+v", list.Items)
		}
	})
}
