package audit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func seed(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return audit.Record(ctx, tx, audit.Actor{UserID: 0, Username: "budi", OrgSlug: "bssn"}, "asset.create", "asset", i+1, map[string]any{"name": "Sirekap", "n": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func wantBroken(t *testing.T, db *store.DB, seq int64) {
	t.Helper()
	_, err := audit.Verify(context.Background(), db)
	var b *audit.BrokenError
	if !errors.As(err, &b) {
		t.Fatalf("verify: got %v, want a broken chain at %d", err, seq)
	}
	if b.Seq != seq {
		t.Fatalf("verify named entry %d (%s), want %d", b.Seq, b.Reason, seq)
	}
}

func TestChain(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if n, err := audit.Verify(ctx, db); err != nil || n != 0 {
			t.Fatalf("empty chain: %d, %v", n, err)
		}
		seed(t, db, 6)
		if n, err := audit.Verify(ctx, db); err != nil || n != 6 {
			t.Fatalf("intact chain: %d, %v", n, err)
		}
		entries, err := audit.List(ctx, db, audit.Filter{Limit: 2})
		if err != nil || len(entries) != 2 || entries[0].Seq != 6 {
			t.Fatalf("list: %+v, %v", entries, err)
		}
		more, _ := audit.List(ctx, db, audit.Filter{Before: entries[1].Seq})
		if len(more) != 4 || more[0].Seq != 4 {
			t.Fatalf("list page 2: %d entries", len(more))
		}

		// A failed write leaves no entry: the chain moves with the write.
		db.InTx(ctx, func(tx *store.Tx) error {
			audit.Record(ctx, tx, audit.System, "x", "asset", 9, nil)
			return errors.New("abandon")
		})
		if n, err := audit.Verify(ctx, db); err != nil || n != 6 {
			t.Fatalf("after rollback: %d, %v", n, err)
		}
	})
}

func TestTampering(t *testing.T) {
	cases := []struct {
		name   string
		sql    []string
		broken int64
	}{
		{"detail edited", []string{`UPDATE audit_log SET detail = '{"name":"Sidalih","n":2}' WHERE seq = 3`}, 3},
		{"actor edited", []string{`UPDATE audit_log SET actor = 'mallory' WHERE seq = 4`}, 4},
		{"action edited", []string{`UPDATE audit_log SET action = 'asset.read' WHERE seq = 2`}, 2},
		{"entry removed", []string{`DELETE FROM audit_log WHERE seq = 3`}, 3},
		{"newest removed", []string{`DELETE FROM audit_log WHERE seq = 5`}, 5},
		{"reordered", []string{
			`UPDATE audit_log SET seq = 100 WHERE seq = 2`,
			`UPDATE audit_log SET seq = 2 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 100`,
		}, 2},
		{"rehashed without relinking", []string{`UPDATE audit_log SET prev_hash = hash WHERE seq = 4`}, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Backends(t, func(t *testing.T, db *store.DB) {
				seed(t, db, 5)
				for _, q := range c.sql {
					if _, err := db.Exec(context.Background(), q); err != nil {
						t.Fatal(err)
					}
				}
				wantBroken(t, db, c.broken)
			})
		})
	}
}
