package intel_test

import (
	"context"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIndicatesRelationshipsDeterministic: the "indicates" relationships of
// an export have the same ids in every export (UUIDv5 of type, source and
// target), so a partner that imports two exports keeps each link once.
func TestIndicatesRelationshipsDeterministic(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	w := newWorld(t, db)
	ind := w.create(t, "budi", intel.Input{Kind: intel.IPv4, Value: "203.0.113.90", TLP: policy.Green, Techniques: []string{"T1190", "CAPEC-66"}})
	rels := func() []string {
		b, _, err := intel.Export(ctx, db, w.who["budi"], w.tree, intel.ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range b.Objects {
			if c := o.Core(); c.Type == "relationship" {
				ids = append(ids, c.ID)
			}
		}
		return ids
	}
	first, second := rels(), rels()
	if len(first) != 2 || strings.Join(first, ",") != strings.Join(second, ",") {
		t.Fatalf("relationship ids of two exports: %v and %v", first, second)
	}
	ap, _ := intel.AttackPatternOf("T1190", "")
	if want := intel.RelationshipID("indicates", ind.STIXID, ap.ID); first[0] != want && first[1] != want {
		t.Errorf("no relationship %s (indicates %s -> %s) in %v", want, ind.STIXID, ap.ID, first)
	}
	if intel.RelationshipID("indicates", ind.STIXID, ap.ID) == intel.RelationshipID("related-to", ind.STIXID, ap.ID) {
		t.Error("the relationship type does not enter the id")
	}

	// A partner imports both exports: one relationship per link.
	partner := storetest.SQLite(t)
	pw := newWorld(t, partner)
	for n := 0; n < 2; n++ {
		b, _, err := intel.Export(ctx, db, w.who["budi"], w.tree, intel.ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := intel.Import(ctx, partner, pw.who["budi"], strings.NewReader(mustJSON(b))); err != nil {
			t.Fatalf("import %d: %v", n+1, err)
		}
	}
	var count int
	if err := partner.QueryRow(ctx, `SELECT COUNT(*) FROM intel_objects WHERE type = 'relationship'`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 2 {
		t.Errorf("the partner holds %d relationships after importing the same export twice, want 2", count)
	}
}
