package taxii_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/policy"
)

// TestServeLoad (GARDA_LOAD=1) pages through a collection of GARDA_TAXII_N
// (default 20,000) AMBER indicators, each with a sighting, 1,000 objects a
// page, and reports the time of the first and the last page: a page must
// not cost more the further the reader is.
func TestServeLoad(t *testing.T) {
	n := loadSize(t, 20000)
	ctx := context.Background()
	a := newInstance(t, auth.NewUser{Username: "bssn.analyst", Org: "bssn", Role: "analyst"})
	who := a.principal("bssn.analyst")
	for i := 0; i < n; i++ {
		ind, err := intel.Create(ctx, a.db, who, intel.Input{Kind: intel.IPv4, Value: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)})
		if err != nil {
			t.Fatal(err)
		}
		if err := intel.AddSighting(ctx, a.db, who, ind.ID, intel.Seen{Region: "31"}); err != nil {
			t.Fatal(err)
		}
	}
	col := "/taxii2/nasional/collections/" + taxii.TLPCollectionID("nasional", policy.Amber) + "/objects/?limit=1000"
	next, objects, pages := "", 0, 0
	var first, last time.Duration
	start := time.Now()
	for {
		p := col
		if next != "" {
			p += "&next=" + url.QueryEscape(next)
		}
		t0 := time.Now()
		st, _, body := a.do(t, req{method: "GET", path: p, bearer: a.tokens["bssn.analyst"]})
		took := time.Since(t0)
		var env struct {
			More    bool
			Next    string
			Objects []json.RawMessage
		}
		if st != 200 || json.Unmarshal(body, &env) != nil {
			t.Fatalf("%d %s", st, body)
		}
		if pages == 0 {
			first = took
		}
		last = took
		pages++
		objects += len(env.Objects)
		if !env.More {
			break
		}
		next = env.Next
	}
	// the marking, n indicators, n sightings, BSSN's identity
	if objects != 2*n+2 {
		t.Fatalf("%d objects served, want %d", objects, 2*n+2)
	}
	t.Logf("%d objects in %d pages in %s; first page %s, last page %s", objects, pages, time.Since(start).Round(time.Millisecond), first.Round(time.Millisecond), last.Round(time.Millisecond))
}
