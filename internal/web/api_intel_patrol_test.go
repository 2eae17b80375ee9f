package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIndicatorFromPatrolItemAPI: one call makes a patrol item's phishing
// domain the organisation's indicator (marked for detection, at the item's
// TLP and region, the item its source and a sighting); a second call finds
// it and counts again; an item at a platform's domain, one the caller may
// not read, and a viewer's call are refused; the indicator's graph names
// the item.
func TestIndicatorFromPatrolItemAPI(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	ctx := context.Background()
	kpu := principalOf(t, w, "kpu.analyst")
	save := func(url string) int64 {
		t.Helper()
		proc, err := (&patrol.Pipeline{}).Process(ctx, patrol.Post{URL: url, Platform: "web", Title: "Login PPK palsu", Text: "Masukkan NIK dan sandi Sirekap"})
		if err != nil {
			t.Fatal(err)
		}
		saved, err := patrol.Saver{DB: w.db}.Save(ctx, audit.System, patrol.Owner{OrgID: kpu.Org.ID, Region: "32", TLP: policy.Amber}, proc)
		if err != nil {
			t.Fatal(err)
		}
		return saved.ID
	}
	phish, platform := save("https://sirekap-kpu-login.example/masuk"), save("https://www.facebook.com/kpu.palsu/posts/1")

	var got struct {
		ID        int64
		Kind      string
		Value     string
		TLP       string
		Region    string
		Detect    bool
		Source    string
		SourceRef string `json:"source_ref"`
	}
	path := fmt.Sprintf("/api/v1/patrol/items/%d/indicator", phish)
	w.call("kpu.analyst", "POST", path, "", 201, &got)
	if got.Kind != "domain-name" || got.Value != "sirekap-kpu-login.example" || got.TLP != "AMBER" || got.Region != "32" || !got.Detect ||
		got.Source != "patrol" || got.SourceRef != fmt.Sprint(phish) {
		t.Fatalf("indicator: %+v", got)
	}
	w.call("kpu.analyst", "POST", path, "", 200, &got)
	ss, err := intel.Sightings(ctx, w.db, kpu, got.ID)
	if err != nil || len(ss) != 1 || ss[0].Count != 2 {
		t.Fatalf("sightings: %+v %v", ss, err)
	}
	w.call("kpu.analyst", "POST", fmt.Sprintf("/api/v1/patrol/items/%d/indicator", platform), "", 400, nil)
	w.call("jateng.viewer", "POST", path, "", 403, nil) // a viewer creates nothing
	w.call("bssn.analyst", "POST", path, "", 404, nil)  // AMBER of KPU
	w.call("kpu.analyst", "POST", "/api/v1/patrol/items/999999/indicator", "", 404, nil)

	i, err := intel.Get(ctx, w.db, kpu, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	g, err := intel.IndicatorGraph(ctx, w.db, kpu, i, ss)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range g.Nodes {
		found = found || (n.Kind == intel.NodePatrol && n.Href == fmt.Sprintf("/patroli/item/%d", phish) && strings.HasPrefix(n.Label, patrol.HumanID(phish)))
	}
	if !found {
		t.Errorf("the graph does not name the patrol item: %+v", g.Nodes)
	}
}
