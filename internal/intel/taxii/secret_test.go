package taxii_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestSecretsSealed: a partner's token given to a subscription is nowhere
// in B's database in the clear (SQLite: the file and its WAL; PostgreSQL:
// the table's rows), a clear one kept by an earlier release is sealed on
// start, and both subscriptions still pull.
func TestSecretsSealed(t *testing.T) {
	storetest.Backends(t, testSecretsSealed)
}

func testSecretsSealed(t *testing.T, dbB *store.DB) {
	ctx := context.Background()
	a := newInstance(t,
		auth.NewUser{Username: "bssn.analyst", Org: "bssn", Role: "analyst"},
		auth.NewUser{Username: "partner.b", Org: "bssn", Role: "viewer"},
		auth.NewUser{Username: "partner.b2", Org: "bssn", Role: "viewer"},
	)
	b := newInstanceOn(t, dbB, auth.NewUser{Username: "kpu.analyst", Org: "kpu", Role: "analyst"})
	if _, err := intel.Create(ctx, a.db, a.principal("bssn.analyst"), intel.Input{Kind: intel.IPv4, Value: "198.51.100.23", TLP: policy.Green}); err != nil {
		t.Fatal(err)
	}
	token, legacy := a.tokens["partner.b"], a.tokens["partner.b2"]
	kpu := b.principal("kpu.analyst")
	sub, err := taxii.Subscribe(ctx, b.db, kpu, taxii.NewSubscription{Name: "A", APIRootURL: a.srv.URL + "/taxii2/nasional/",
		CollectionID: taxii.TLPCollectionID("nasional", policy.Green), Username: "partner.b", Secret: token})
	if err != nil {
		t.Fatal(err)
	}
	// As an earlier release kept it: the secret in the clear.
	if _, err := b.db.Exec(ctx, `INSERT INTO taxii_subscriptions (name, api_root_url, collection_id, username, secret, user_id, owner_org_id, every_seconds, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, "A lama", a.srv.URL+"/taxii2/nasional/", taxii.TLPCollectionID("nasional", policy.Clear), "partner.b2", legacy,
		kpu.User.ID, kpu.Org.ID, 300, store.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Exec(ctx, `INSERT INTO misp_subscriptions (name, url, headers, user_id, every_seconds, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		"misp lama", "http://127.0.0.1:1/feed/", "Authorization: misp-key-in-the-clear", kpu.User.ID, 3600, store.Now().Add(time.Hour), store.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := taxii.SealSecrets(ctx, b.db); err != nil || n != 1 {
		t.Fatalf("sealed %d taxii secrets: %v", n, err)
	}
	if n, err := misp.SealSecrets(ctx, b.db); err != nil || n != 1 {
		t.Fatalf("sealed %d misp headers: %v", n, err)
	}
	if n, err := taxii.SealSecrets(ctx, b.db); err != nil || n != 0 {
		t.Fatalf("sealed %d again: %v", n, err)
	}

	pl := &taxii.Puller{DB: b.db, Orgs: b.orgs, Timeout: 10 * time.Second}
	subs, err := taxii.Subscriptions(ctx, b.db, kpu)
	if err != nil || len(subs) != 2 {
		t.Fatalf("subscriptions: %v %v", subs, err)
	}
	for _, s := range subs {
		res, err := pl.Pull(ctx, s.ID)
		if err != nil {
			t.Fatalf("pull %s: %v", s.Name, err)
		}
		if s.ID == sub.ID && res.Imported.Indicators != 1 {
			t.Fatalf("pull %s: %+v", s.Name, res)
		}
	}

	secrets := []string{token, legacy, "misp-key-in-the-clear"}
	switch b.db.Dialect() {
	case store.SQLite:
		path := strings.TrimPrefix(b.db.String(), "sqlite ")
		if _, err := b.db.Exec(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(path)
		if fi, err := os.Stat(filepath.Join(dir, "secret.key")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v", err)
		}
		checked := 0
		for _, f := range []string{path, path + "-wal"} {
			body, err := os.ReadFile(f)
			if os.IsNotExist(err) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, s := range secrets {
				if strings.Contains(string(body), s) {
					t.Errorf("%s holds the secret %q in the clear", f, s[:6]+"...")
				}
			}
		}
		if checked == 0 {
			t.Fatal("no database file read")
		}
	case store.Postgres:
		var rows string
		if err := b.db.QueryRow(ctx, `SELECT COALESCE(string_agg(t::text, '|'), '') FROM taxii_subscriptions t`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		var mrows string
		if err := b.db.QueryRow(ctx, `SELECT COALESCE(string_agg(m::text, '|'), '') FROM misp_subscriptions m`).Scan(&mrows); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rows, "garda-sealed:v1:") {
			t.Fatalf("no sealed value in the table: %s", rows)
		}
		for _, s := range secrets {
			if strings.Contains(rows+mrows, s) {
				t.Errorf("the table holds the secret %q in the clear", s[:6]+"...")
			}
		}
	}
}
