package demo

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/store"
)

// checkPatrol: the demo has patrol sources and items, read by the
// ministry's patrol and not by a province's operator (seeding again adds
// none: TestDemoWorld).
func checkPatrol(t *testing.T, db *store.DB, w World) {
	ctx := context.Background()
	if w.PatrolItems != len(demoPosts) {
		t.Fatalf("%d patrol items", w.PatrolItems)
	}
	if w.Blocked != len(demoBlocks) {
		t.Errorf("%d domains blocked, want the demo's %d impostors", w.Blocked, len(demoBlocks))
	}
	// The pipeline matched the post that repeats a demo fact-check by
	// itself (nobody linked it).
	var matched int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM patrol_items WHERE body LIKE '%diundur ke 2025%' AND matches LIKE '%"claim"%'`).Scan(&matched); err != nil || matched != 1 {
		t.Errorf("the post repeating fact-check demo-3 has no match: %d, %v", matched, err)
	}
	tree, _ := org.Load(ctx, db)
	kom, _ := principal(ctx, db, tree, "patroli.komdigi")
	items, err := patrol.List(ctx, db, kom, patrol.Filter{Sort: patrol.MostShared})
	if err != nil || len(items) != len(demoPosts) || items[0].Platform != "tiktok" {
		t.Fatalf("%d items (%v), first %+v", len(items), err, items)
	}
	srcs, _ := patrol.ListSources(ctx, db, kom)
	if len(srcs) != 4 {
		t.Fatalf("%d sources", len(srcs))
	}
	op, _ := principal(ctx, db, tree, "operator.jabar")
	if list, _ := patrol.List(ctx, db, op, patrol.Filter{}); len(list) != 0 {
		t.Errorf("a province's operator reads %d AMBER patrol items of Komdigi", len(list))
	}
}
