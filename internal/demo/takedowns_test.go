package demo

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// checkTakedowns: every page of "Penurunan Konten" has something to
// show after the demo: requests in each state, their letters (the request's
// and the warnings'), Garda's checks with a takedown dated by them, a
// request in a warning stage, and a platform's compliance by week and
// category.
func checkTakedowns(t *testing.T, db *store.DB, w World) {
	ctx := context.Background()
	if w.Takedowns != 5 {
		t.Fatalf("%d takedown requests", w.Takedowns)
	}
	tree, _ := org.Load(ctx, db)
	kom, err := principal(ctx, db, tree, "koordinator.komdigi")
	if err != nil {
		t.Fatal(err)
	}
	list, err := takedown.List(ctx, db, kom, takedown.Filter{})
	if err != nil || len(list) != 5 {
		t.Fatalf("%d requests: %v", len(list), err)
	}
	stages, letters, checks := map[int]int{}, 0, 0
	for _, r := range list {
		stages[r.Stage]++
		ls, err := takedown.Letters(ctx, db, kom, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		letters += len(ls)
		cs, err := takedown.Checks(ctx, db, kom, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		checks += len(cs)
	}
	// Four sent (four request letters), teguran 1 for TikTok's, 1-3 for X's.
	if stages[3] != 1 || stages[1] != 1 || letters != 4+1+3 || checks != 5 {
		t.Fatalf("stages %v, %d letters, %d checks", stages, letters, checks)
	}
	reg, err := takedown.LoadRegistry(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := reg.BySlug("meta-facebook")
	c, err := takedown.PlatformCompliance(ctx, db, kom, fb.ID, store.Now())
	if err != nil || c.Overall.TakenDown != 2 || c.Overall.Measured != 2 || len(c.ByWeek) == 0 || len(c.ByCategory) != 1 {
		t.Fatalf("Facebook's compliance: %+v %v", c, err)
	}
}
