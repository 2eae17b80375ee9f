package demo

import (
	"context"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// checkScans: the demo's penetration tests left findings in every state
// the pillar shows: open, overdue, mitigated by a rescan (seeding again
// adds nothing: TestDemoWorld).
func checkScans(t *testing.T, db *store.DB, w World) {
	ctx := context.Background()
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
	t.Logf("%d scans, %d authorisations, %d open findings (%d overdue), %d mitigated", w.Scans, auths, open, overdue, mitigated)
}
