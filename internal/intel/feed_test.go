package intel_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestFeedScanBound: a filter few entries pass ends a page once it has
// read the bound of entries, with More and a position to go on from; going
// on from each position finds exactly what one unbounded read finds.
func TestFeedScanBound(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	w := newWorld(t, db)
	want := map[string]bool{}
	for n := 0; n < 25; n++ {
		techniques := []string{"T1190"}
		if n%8 == 3 {
			techniques = append(techniques, "T1566")
		}
		i := w.create(t, "budi", intel.Input{Kind: intel.IPv4, Value: fmt.Sprintf("203.0.113.%d", n+1), TLP: policy.Green, Techniques: techniques})
		if n%8 == 3 {
			ap, _ := intel.AttackPatternOf("T1566", "")
			want[intel.RelationshipID("indicates", i.STIXID, ap.ID)] = true
		}
	}
	f := intel.FeedFilter{TLP: []policy.TLP{policy.Green}, Types: []string{"relationship"}, Limit: 100}
	for id := range want {
		f.IDs = append(f.IDs, id)
	}
	whole, err := intel.Feed(ctx, db, w.who["budi"], w.tree, f)
	if err != nil || whole.More || len(whole.Items) != len(want) {
		t.Fatalf("unbounded: %d items, more %v, %v; want %d", len(whole.Items), whole.More, err, len(want))
	}
	defer intel.SetFeedScan(intel.SetFeedScan(5))
	f.Limit = 2 // batches of 3 entries, at most 5 read a page
	var got []string
	pages := 0
	for {
		pg, err := intel.Feed(ctx, db, w.who["budi"], w.tree, f)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range pg.Items {
			got = append(got, it.Object.Core().ID)
		}
		if !pg.More {
			break
		}
		if pages > 50 {
			t.Fatal("the feed does not end")
		}
		next := pg.Next
		f.From = &next
	}
	if len(got) != len(want) || pages < 5 {
		t.Fatalf("bounded: %d items in %d pages, want %d in 5 or more", len(got), pages, len(want))
	}
	for n, it := range whole.Items {
		if got[n] != it.Object.Core().ID {
			t.Fatalf("bounded read %v, unbounded %v", got, whole.Items)
		}
	}
}
