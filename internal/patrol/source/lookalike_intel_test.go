package source

import (
	"context"
	"strconv"
	"testing"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/patroltest"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestLookalikeIndicators: the rule. Every live lookalike of a KPU domain
// the patrol finds becomes an AMBER domain indicator of the patrolling
// organisation (Komdigi), marked for detection, its patrol item the
// source, sighted once per run; an impostor of another domain does not;
// another organisation (Central Java's KPU) does not read them.
func TestLookalikeIndicators(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := patroltest.NewWorld(t, db)
	kom := w.Who["komdigi.analyst"]
	r := &Runner{DB: db, Pipeline: &patrol.Pipeline{}, Saver: patrol.Saver{DB: db}, Policy: fetch.LoopbackOnly(), Holder: "uji",
		DNSRate: 5000, Resolver: dnsWith(t, "kpu-go-id.com", "pemilu-kpu.id", "kpu.go.id", "bawas1u.go.id", "bawaslu.go.id")}
	src, err := patrol.CreateSource(ctx, db, kom, patrol.SourceInput{Name: "Tiruan", Type: patrol.Lookalike, URL: "kpu.go.id, bawaslu.go.id"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Run(ctx, src)
	if err != nil || out.Indicators != 2 {
		t.Fatalf("run: %+v %v, want 2 indicators", out, err)
	}
	list, err := intel.List(ctx, db, kom, intel.Filter{Source: "lookalike"})
	if err != nil {
		t.Fatal(err)
	}
	items, err := patrol.List(ctx, db, kom, patrol.Filter{SourceID: src.ID})
	if err != nil {
		t.Fatal(err)
	}
	itemOf := map[string]int64{}
	for _, it := range items {
		itemOf[it.URL] = it.ID
	}
	got := map[string]intel.Indicator{}
	for _, i := range list {
		got[i.Value] = i
	}
	if len(got) != 2 {
		t.Fatalf("indicators %v, want the two KPU impostors only", got)
	}
	for _, d := range []string{"kpu-go-id.com", "pemilu-kpu.id"} {
		i, ok := got[d]
		if !ok {
			t.Fatalf("no indicator for %s", d)
		}
		if i.Kind != intel.Domain || i.TLP != policy.Amber || !i.Detect || i.Owner != "komdigi" || i.SourceRef != strconv.FormatInt(itemOf["http://"+d+"/"], 10) {
			t.Errorf("%s: %+v", d, i)
		}
	}
	if out, err := r.Run(ctx, src); err != nil || out.Indicators != 2 {
		t.Fatalf("second run: %+v %v", out, err)
	}
	if again, _ := intel.List(ctx, db, kom, intel.Filter{Source: "lookalike"}); len(again) != 2 {
		t.Fatalf("second run made new indicators: %d", len(again))
	}
	ss, err := intel.Sightings(ctx, db, kom, got["pemilu-kpu.id"].ID)
	if err != nil || len(ss) != 1 || ss[0].Count != 2 {
		t.Fatalf("sightings after two runs: %+v %v", ss, err)
	}
	if other, _ := intel.List(ctx, db, w.Who["jateng.analyst"], intel.Filter{Source: "lookalike"}); len(other) != 0 {
		t.Errorf("Central Java's KPU reads Komdigi's AMBER indicators: %v", other)
	}
}
