package match_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func analyst(t *testing.T, db *store.DB) auth.Principal {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "budi", Org: "bssn", Role: "coordinator", Password: "pw-budi-long-enough"})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.PrincipalOf(u, tree)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const liveLog = `192.0.2.77 - - [14/Feb/2024:07:00:00 +0700] "GET /berita HTTP/1.1" 200 512 "https://kpu.example.id/" "Mozilla/5.0"
36.64.1.2 - - [14/Feb/2024:07:00:01 +0700] "GET /berita HTTP/1.1" 200 512 "https://www.sirekap-palsu.example/masuk" "Mozilla/5.0"
36.64.1.3 - - [14/Feb/2024:07:00:02 +0700] "GET /berita HTTP/1.1" 200 512 "https://kpu.example.id/" "Mozilla/5.0"
198.51.100.9 - - [14/Feb/2024:07:00:03 +0700] "GET /berita HTTP/1.1" 200 512 "https://kpu.example.id/" "Mozilla/5.0"
192.0.2.77 - - [14/Feb/2024:07:00:04 +0700] "GET /hasil HTTP/1.1" 200 512 "-" "Mozilla/5.0"
`

// TestLiveSightingsAndReload: indicators marked for detection in the
// database are matched by the live matcher, their hits written as
// sightings in a batch (shown with the indicator), and a revocation puts a
// new set in force that no longer matches. RED and unmarked indicators
// never match.
func TestLiveSightingsAndReload(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := analyst(t, db)
		addr, err := intel.Create(ctx, db, who, intel.Input{Kind: intel.IPv4, Value: "192.0.2.77", Detect: true, Confidence: ptr(90), Techniques: []string{"T1190"}})
		if err != nil {
			t.Fatal(err)
		}
		dom, err := intel.Create(ctx, db, who, intel.Input{Kind: intel.Domain, Value: "sirekap-palsu.example", Detect: true})
		if err != nil {
			t.Fatal(err)
		}
		mustCreate := func(in intel.Input) {
			if _, err := intel.Create(ctx, db, who, in); err != nil {
				t.Fatal(err)
			}
		}
		mustCreate(intel.Input{Kind: intel.IPv4, Value: "198.51.100.9", Detect: true, TLP: policy.Red}) // RED: not matched
		mustCreate(intel.Input{Kind: intel.IPv4, Value: "36.64.1.3"})                                   // not for detection

		live := match.NewLive(db, nil)
		if err := live.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if n := live.Matcher.Set().Len(); n != 2 {
			t.Fatalf("%d indicators in force, want 2", n)
		}
		eng, err := detect.New(detect.Options{NoCRS: true, Stages: []detect.Stage{live.Matcher}})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := format.Lookup("nginx")
		replay := func() map[string]int {
			res, err := eng.Replay(ctx, strings.NewReader(liveLog), detect.ReplayOptions{Format: f, Region: "32"})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, a := range res.Alerts {
				if strings.HasPrefix(a.Scenario, match.ScenarioPrefix) {
					out[a.Scenario] += int(a.Count)
					if a.Title != match.Title {
						t.Errorf("alert title %q", a.Title)
					}
				}
			}
			return out
		}
		got := replay()
		want := map[string]int{match.ScenarioPrefix + itoa(addr.ID): 2, match.ScenarioPrefix + itoa(dom.ID): 1}
		if len(got) != len(want) || got[match.ScenarioPrefix+itoa(addr.ID)] != 2 || got[match.ScenarioPrefix+itoa(dom.ID)] != 1 {
			t.Fatalf("alerts %v, want %v", got, want)
		}
		if err := live.Step(ctx); err != nil { // flushes the sightings
			t.Fatal(err)
		}
		ss, err := intel.Sightings(ctx, db, who, addr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) != 1 || ss[0].Count != 2 || ss[0].Region != "32" {
			t.Fatalf("sightings of %s: %+v", addr.Value, ss)
		}
		if _, err := intel.Revoke(ctx, db, who, addr.ID, "salah"); err != nil {
			t.Fatal(err)
		}
		if err := live.Step(ctx); err != nil { // sees the change, swaps the set
			t.Fatal(err)
		}
		got = replay()
		if len(got) != 1 || got[match.ScenarioPrefix+itoa(dom.ID)] != 1 {
			t.Fatalf("after revocation: alerts %v", got)
		}
		live.Step(ctx)
		ss, _ = intel.Sightings(ctx, db, who, dom.ID)
		if len(ss) != 1 || ss[0].Count != 2 {
			t.Fatalf("sightings of %s: %+v", dom.Value, ss)
		}
	})
}

// TestBlocksFollowIndicators: an address and a domain marked for blocking
// become a decision and a blocklist entry; revoking the indicators lifts
// both; every step is in the audit chain.
func TestBlocksFollowIndicators(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := analyst(t, db)
		addr, err := intel.Create(ctx, db, who, intel.Input{Kind: intel.IPv4, Value: "203.0.113.0/24", Block: true})
		if err != nil {
			t.Fatal(err)
		}
		until := time.Now().Add(48 * time.Hour)
		dom, err := intel.Create(ctx, db, who, intel.Input{Kind: intel.Domain, Value: "kpu-go-id.example", Block: true, ValidUntil: &until})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := intel.Create(ctx, db, who, intel.Input{Kind: intel.IPv4, Value: "192.0.2.50", Block: true, TLP: policy.Red}); err != nil {
			t.Fatal(err)
		}
		b := &match.Blocker{DB: db}
		res, err := b.Sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Made != 2 || res.Failed != 0 {
			t.Fatalf("first sync %+v", res)
		}
		liveDecisions := func() map[string]string {
			rows, err := db.Query(ctx, `SELECT value, status FROM decisions ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for rows.Next() {
				var v, s string
				rows.Scan(&v, &s)
				out[v] = s
			}
			rows.Close()
			return out
		}
		if d := liveDecisions(); d["203.0.113.0/24"] != "active" || len(d) != 1 {
			t.Fatalf("decisions %v", d)
		}
		entries, err := rpz.List(ctx, db, rpz.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Domain != "kpu-go-id.example" || entries[0].Source != rpz.SourceIndicator(dom.ID) {
			t.Fatalf("blocklist %+v", entries)
		}
		if res, err := b.Sync(ctx); err != nil || res != (match.SyncResult{}) {
			t.Fatalf("second sync changed %+v (%v)", res, err)
		}
		for _, id := range []int64{addr.ID, dom.ID} {
			if _, err := intel.Revoke(ctx, db, who, id, "selesai"); err != nil {
				t.Fatal(err)
			}
		}
		if res, err := b.Sync(ctx); err != nil || res.Lifted != 2 {
			t.Fatalf("sync after revocation %+v (%v)", res, err)
		}
		if d := liveDecisions(); d["203.0.113.0/24"] != "revoked" {
			t.Fatalf("decisions after revocation %v", d)
		}
		if entries, _ := rpz.List(ctx, db, rpz.Filter{}); len(entries) != 0 {
			t.Fatalf("blocklist after revocation %+v", entries)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('indicator.block', 'indicator.unblock', 'decision.revoke', 'rpz.block', 'rpz.unblock')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n < 6 {
			t.Errorf("%d audit entries for blocks, want at least 6", n)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
