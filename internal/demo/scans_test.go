package demo

import (
	"context"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestDemoScans: the demo's penetration tests left findings in every state
// the pillar shows: open, overdue, mitigated by a rescan; and seeding
// again adds nothing.
func TestDemoScans(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, err := Seed(ctx, db, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			var n int
			if err := db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		open, mitigated := count(`SELECT COUNT(*) FROM findings WHERE status = 'open'`), count(`SELECT COUNT(*) FROM findings WHERE status = 'mitigated'`)
		overdue := count(`SELECT COUNT(*) FROM findings WHERE status = 'open' AND due_at < ?`, time.Now().UTC())
		auths := count(`SELECT COUNT(*) FROM scan_authorizations`)
		if w.Scans < 10 || auths < 5 || open < 8 || mitigated < 2 || overdue < 2 {
			t.Fatalf("%d scans, %d authorisations, %d open findings (%d overdue), %d mitigated", w.Scans, auths, open, overdue, mitigated)
		}
		scans := w.Scans
		if w, err = Seed(ctx, db, t.TempDir()); err != nil || w.Scans != 0 {
			t.Fatalf("seeding again: %d scans, %v", w.Scans, err)
		}
		t.Logf("%d scans, %d authorisations, %d open findings (%d overdue), %d mitigated", scans, auths, open, overdue, mitigated)
	})
}
