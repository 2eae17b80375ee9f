package sender_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/ingest/sender"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestKeys: keys are made, found and revoked per asset, by its owner only,
// and kept only as their hash; on both stores.
func TestKeys(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := org.EnsureStandard(ctx, db); err != nil {
			t.Fatal(err)
		}
		tree, err := org.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		who := map[string]auth.Principal{}
		for _, n := range []auth.NewUser{
			{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
			{Username: "jabar.viewer", Org: "kpu-32", Role: "viewer", Scope: "32"},
			{Username: "bin.analyst", Org: "bin", Role: "analyst"},
		} {
			n.Password = "password-" + n.Username
			u, err := auth.CreateUser(ctx, db, audit.System, n)
			if err != nil {
				t.Fatal(err)
			}
			if who[n.Username], err = auth.PrincipalOf(u, tree); err != nil {
				t.Fatal(err)
			}
		}
		green, kind := "GREEN", "site"
		var assets []asset.Asset
		for _, name := range []string{"Portal Jabar", "Sirekap Jabar"} {
			a, err := asset.Create(ctx, db, who["jabar.analyst"], tree, asset.Input{Name: &name, Kind: &kind, TLP: &green})
			if err != nil {
				t.Fatal(err)
			}
			assets = append(assets, a)
		}
		a, b := assets[0], assets[1]

		for _, u := range []string{"jabar.viewer", "bin.analyst"} {
			if _, _, err := sender.CreateKey(ctx, db, who[u], a, "edge"); !problem.Is(err, problem.Forbidden) {
				t.Errorf("%s made a key: %v", u, err)
			}
		}
		plain, k, err := sender.CreateKey(ctx, db, who["jabar.analyst"], a, "edge")
		if err != nil || !strings.HasPrefix(plain, sender.KeyPrefix) || k.Sender().String() != fmt.Sprintf("key:%d/edge", a.ID) {
			t.Fatalf("key: %q %+v %v", plain, k, err)
		}
		if _, _, err := sender.CreateKey(ctx, db, who["jabar.analyst"], a, "edge"); !problem.Is(err, problem.Conflict) {
			t.Errorf("a second live key of the same name: %v", err)
		}
		if _, _, err := sender.CreateKey(ctx, db, who["jabar.analyst"], b, "edge"); err != nil {
			t.Errorf("the same name on another asset: %v", err)
		}
		if got, err := sender.KeyFor(ctx, db, a.ID, plain); err != nil || got.ID != k.ID || got.Region != a.Region {
			t.Fatalf("KeyFor: %+v %v", got, err)
		}
		for _, c := range []struct {
			asset int64
			key   string
		}{{b.ID, plain}, {a.ID, plain + "x"}, {a.ID, auth.TokenPrefix + "abc"}, {a.ID, ""}} {
			if _, err := sender.KeyFor(ctx, db, c.asset, c.key); err != sender.ErrUnknownKey {
				t.Errorf("KeyFor(%d, %q): %v, want unknown", c.asset, c.key, err)
			}
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ingest_keys WHERE key_hash = ? OR prefix = ?`, plain, plain).Scan(&n); err != nil || n != 0 {
			t.Fatalf("a key kept in clear: %d %v", n, err)
		}
		if err := sender.RevokeKey(ctx, db, who["bin.analyst"], a, k.ID); !problem.Is(err, problem.Forbidden) {
			t.Errorf("another agency revoked a key: %v", err)
		}
		if err := sender.RevokeKey(ctx, db, who["jabar.analyst"], b, k.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("a key revoked through another asset: %v", err)
		}
		if err := sender.RevokeKey(ctx, db, who["jabar.analyst"], a, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := sender.KeyFor(ctx, db, a.ID, plain); err != sender.ErrUnknownKey {
			t.Errorf("a revoked key: %v", err)
		}
		if list, err := sender.ListKeys(ctx, db, who["jabar.analyst"], a); err != nil || len(list) != 0 {
			t.Errorf("live keys after revoking: %+v %v", list, err)
		}
		if _, _, err := sender.CreateKey(ctx, db, who["jabar.analyst"], a, "edge"); err != nil {
			t.Errorf("a revoked key's name is free again: %v", err)
		}
		if err := sender.Record(ctx, db, k.Sender(), sender.Batch{ID: sender.NewBatchID(), AssetID: a.ID, Lines: 3, Accepted: 3}); err != nil {
			t.Fatal(err)
		}
		var actor string
		if err := db.QueryRow(ctx, `SELECT actor FROM audit_log WHERE action = 'ingest.batch'`).Scan(&actor); err != nil || actor != fmt.Sprintf("key:%d/edge", a.ID) {
			t.Fatalf("batch audited as %q, %v", actor, err)
		}
		// A sender's batch id is audited once per asset: the retry of a
		// batch whose answer was lost is not written again.
		for _, bt := range []sender.Batch{
			{ID: sender.NewBatchID(), AssetID: a.ID, Lines: 2, Accepted: 2, ClientID: "edge-7"},
			{ID: sender.NewBatchID(), AssetID: a.ID, Lines: 2, Accepted: 2, ClientID: "edge-7"},
			{ID: sender.NewBatchID(), AssetID: b.ID, Lines: 2, Accepted: 2, ClientID: "edge-7"},
			{ID: sender.NewBatchID(), AssetID: a.ID, Lines: 2, Accepted: 2, ClientID: "edge-8"},
		} {
			if err := sender.Record(ctx, db, k.Sender(), bt); err != nil {
				t.Fatal(err)
			}
		}
		var batches int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'ingest.batch'`).Scan(&batches); err != nil || batches != 4 {
			t.Errorf("ingest batches audited: %d (want 4: the retried edge-7 once), %v", batches, err)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
