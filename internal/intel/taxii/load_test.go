package taxii_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/policy"
)

// TestPullLoad (GARDA_LOAD=1) moves GARDA_TAXII_N (default 5,000) AMBER
// indicators from A to B in pages of 500 and reports how long the pull
// took; every one must arrive with its id.
func TestPullLoad(t *testing.T) {
	n := loadSize(t, 5000)
	ctx := context.Background()
	a := newInstance(t, auth.NewUser{Username: "bssn.analyst", Org: "bssn", Role: "analyst"}, auth.NewUser{Username: "partner.b", Org: "bssn", Role: "viewer"})
	b := newInstance(t, auth.NewUser{Username: "kpu.analyst", Org: "kpu", Role: "analyst"})
	who := a.principal("bssn.analyst")
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := intel.Create(ctx, a.db, who, intel.Input{Kind: intel.IPv4, Value: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("created %d indicators on A in %s", n, time.Since(start).Round(time.Millisecond))
	sub, err := taxii.Subscribe(ctx, b.db, b.principal("kpu.analyst"), taxii.NewSubscription{Name: "A", APIRootURL: a.srv.URL + "/taxii2/nasional/",
		CollectionID: taxii.TLPCollectionID("nasional", policy.Amber), Username: "partner.b", Secret: a.tokens["partner.b"]})
	if err != nil {
		t.Fatal(err)
	}
	pl := &taxii.Puller{DB: b.db, Orgs: b.orgs, MaxPages: 1000}
	start = time.Now()
	res, err := pl.Pull(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if res.Imported.Indicators != n {
		t.Fatalf("pulled %+v, want %d new indicators", res, n)
	}
	t.Logf("pulled %d indicators in %d pages in %s (%.0f indicators/s)", n, res.Pages, took.Round(time.Millisecond), float64(n)/took.Seconds())
}

// loadSize is a load test's number of indicators (GARDA_TAXII_N, else
// def); the test is skipped without GARDA_LOAD=1.
func loadSize(t *testing.T, def int) int {
	if os.Getenv("GARDA_LOAD") != "1" {
		t.Skip("GARDA_LOAD=1 runs the TAXII load tests")
	}
	n := def
	if s := os.Getenv("GARDA_TAXII_N"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			t.Fatalf("GARDA_TAXII_N=%q: want a positive number", s)
		}
	}
	return n
}
