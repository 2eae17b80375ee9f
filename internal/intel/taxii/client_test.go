package taxii_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/taxii"
)

// TestPartnerMisbehaves: a partner that is slow, answers garbage, the wrong
// media type, an error or a body too large: each is a clear error on the
// subscription's health, nothing of the answer is imported, the bookmark
// does not move, and the other subscriptions go on. A page with one bad
// object: the good one is imported, the bad one named on the health.
func TestPartnerMisbehaves(t *testing.T) {
	ctx := context.Background()
	b := newInstance(t, auth.NewUser{Username: "kpu.analyst", Org: "kpu", Role: "analyst"})
	good := `{"type":"indicator","spec_version":"2.1","id":"indicator--0b7a5a4e-5b8f-4b7e-9f5e-1c2d3e4f5a6b","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.77']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","created_by_ref":"identity--afe8a10d-45c4-5319-bc88-73286666a0dc"}`
	bad := `{"type":"indicator","spec_version":"2.1","id":"indicator--1b7a5a4e-5b8f-4b7e-9f5e-1c2d3e4f5a6b","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = 'not an address']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`
	release := make(chan struct{})
	defer close(release)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		col := strings.Split(r.URL.Path, "/")[3]
		taxiiJSON := func(body string) {
			w.Header().Set("Content-Type", taxii.MediaTAXII)
			w.Header().Set("X-TAXII-Date-Added-Last", "2026-01-02T00:00:00.000000Z")
			w.Write([]byte(body))
		}
		switch col {
		case "slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "garbage":
			taxiiJSON(`{"objects": [ {"type": "indic`)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>login</html>"))
		case "error":
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("upstream down"))
		case "huge":
			taxiiJSON(`{"objects":[` + strings.Repeat(good+",", 3000) + good + `]}`)
		case "mixed":
			taxiiJSON(`{"more":false,"objects":[` + good + `,` + bad + `]}`)
		case "fine":
			taxiiJSON(`{"more":false,"objects":[` + good + `]}`)
		}
	}))
	defer partner.Close()

	who := b.principal("kpu.analyst")
	ids := map[string]int64{}
	for _, c := range []string{"slow", "garbage", "html", "error", "huge", "mixed", "fine"} {
		s, err := taxii.Subscribe(ctx, b.db, who, taxii.NewSubscription{Name: c, APIRootURL: partner.URL + "/root/", CollectionID: c, Secret: "x"})
		if err != nil {
			t.Fatal(err)
		}
		ids[c] = s.ID
	}
	pl := &taxii.Puller{DB: b.db, Orgs: b.orgs, Timeout: 500 * time.Millisecond, MaxBody: 256 << 10}
	wantErr := map[string]string{
		"slow":    "did not answer in time",
		"garbage": "not a TAXII envelope",
		"html":    "text/html",
		"error":   "HTTP 502",
		"huge":    "larger than 262144 bytes",
		"mixed":   "1 objects refused (the rest imported): page 1 object 1 (indicator indicator--1b7a5a4e-5b8f-4b7e-9f5e-1c2d3e4f5a6b)",
	}
	err := pl.PullDue(ctx)
	if err == nil {
		t.Fatal("PullDue reported no failure")
	}
	subs, err := taxii.Subscriptions(ctx, b.db, who)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if want, ok := wantErr[s.Name]; ok {
			bookmark := ""
			if s.Name == "mixed" {
				bookmark = "2026-01-02T00:00:00.000000Z" // its good object was imported
			}
			if !strings.Contains(s.LastError, want) || s.Bookmark != bookmark || s.LastOKAt != nil {
				t.Errorf("%s: health %q (want %q), bookmark %q", s.Name, s.LastError, want, s.Bookmark)
			}
		} else if !s.Healthy() || s.Bookmark != "2026-01-02T00:00:00.000000Z" {
			t.Errorf("%s: health %q, bookmark %q", s.Name, s.LastError, s.Bookmark)
		}
	}
	// "mixed" brought its good indicator ("fine" the same one: held once),
	// not its bad one.
	list, err := intel.List(ctx, b.db, who, intel.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Value != "192.0.2.77" || list[0].CreatedBy != "identity--afe8a10d-45c4-5319-bc88-73286666a0dc" {
		t.Fatalf("held %+v", list)
	}
	var n int
	b.db.QueryRow(ctx, `SELECT COUNT(*) FROM indicators WHERE stix_id = 'indicator--1b7a5a4e-5b8f-4b7e-9f5e-1c2d3e4f5a6b'`).Scan(&n)
	if n != 0 {
		t.Fatal("the bad object was imported")
	}
	if _, err := taxii.Subscribe(ctx, b.db, who, taxii.NewSubscription{Name: "x", APIRootURL: "ftp://a/", CollectionID: "c"}); err == nil {
		t.Error("an ftp URL was accepted")
	}
	if _, err := taxii.Subscribe(ctx, b.db, who, taxii.NewSubscription{Name: "fine", APIRootURL: partner.URL + "/root/", CollectionID: "fine"}); err == nil {
		t.Error("the same collection twice")
	}
}
