package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/web/webtest"
)

// TestWallLoad (GARDA_LOAD=1) measures the national wall's data read with
// 20,000 open alerts over 38 provinces and 600 open incidents: p50 and p99
// of 50 reads, and the answer's counters exact; on SQLite, and on
// PostgreSQL when GARDA_TEST_POSTGRES is set.
func TestWallLoad(t *testing.T) {
	if os.Getenv("GARDA_LOAD") == "" {
		t.Skip("set GARDA_LOAD=1 to measure the national wall under load")
	}
	storetest.Backends(t, wallLoad)
}

// siteOn is newSite on a given fresh store.
func siteOn(t *testing.T, db *store.DB) *site {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, n := range siteUsers {
		n.Password = password(n.Username)
		if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := New(Deps{DB: db, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &site{Site: &webtest.Site{T: t, DB: db, TS: ts}, t: t, db: db, ts: ts}
}

func wallLoad(t *testing.T, db *store.DB) {
	s := siteOn(t, db)
	ids := roomIDs(t, s.db)
	ctx := context.Background()
	tree, err := org.Load(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	u := auth.NewUser{Username: "koord.beban", DisplayName: "koord.beban", Org: "bssn", Role: "coordinator", Password: "pw-koord.beban-long"}
	if _, err := auth.CreateUser(ctx, s.db, audit.System, u); err != nil {
		t.Fatal(err)
	}
	bssn, analyst := principal(t, s, "bssn.admin"), principal(t, s, "koord.beban")
	var assets []int64
	provs := []string{"11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "51", "52", "53",
		"61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82", "91", "92", "93", "94", "95", "96"}
	for _, p := range provs {
		name, kind, reg, tlp := "Situs KPU "+p, "site", p, "GREEN"
		a, err := asset.Create(ctx, s.db, bssn, tree, asset.Input{Name: &name, Kind: &kind, Region: &reg, TLP: &tlp})
		if err != nil {
			t.Fatal(err)
		}
		assets = append(assets, a.ID)
	}
	const nAlerts, nIncidents = 20000, 600
	var sigs []alert.Signal
	for i := 0; i < nAlerts; i++ {
		ip := fmt.Sprintf("10.%d.%d.%d", i/62500, i/250%250, i%250+1)
		sigs = append(sigs, alert.Signal{Scenario: "uji-layar", Title: "Percobaan " + ip, Severity: []string{"low", "medium", "high"}[i%3],
			Technique: "T1190", SourceIP: ip, AssetID: assets[i%len(assets)], Time: time.Now().UTC(), Count: 1})
	}
	start := time.Now()
	for i := 0; i < len(sigs); i += 2000 {
		if _, _, err := alert.Record(ctx, s.db, sigs[i:min(i+2000, len(sigs))]); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < nIncidents; i++ {
		title, reg, sev := fmt.Sprintf("Insiden beban %d", i), provs[i%len(provs)], []string{"medium", "high"}[i%2]
		if _, err := incident.Create(ctx, s.db, analyst, tree, incident.Input{Title: &title, Region: &reg, Severity: &sev}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("filled in %s", time.Since(start).Round(time.Second))
	c := s.as("bssn.admin")
	path := fmt.Sprintf("/ruang-operasi/%d/layar/data", ids[""])
	var took []time.Duration
	cpu0 := cpuTime()
	for i := 0; i < 50; i++ {
		t0 := time.Now()
		resp, body := c.get(path)
		took = append(took, time.Since(t0))
		wantStatus(t, resp, 200, "national wall data")
		if i == 0 {
			var st WallState
			if err := json.Unmarshal([]byte(body), &st); err != nil {
				t.Fatal(err)
			}
			if st.Counters.AlertsOpen != nAlerts || st.Counters.IncidentsOpen != nIncidents {
				t.Errorf("counters %+v, want %d alerts and %d incidents", st.Counters, nAlerts, nIncidents)
			}
		}
	}
	cpu := cpuTime() - cpu0
	slices.Sort(took)
	t.Logf("national /layar/data, %d open alerts, %d open incidents: p50 %s, p99 %s (50 reads); this process's CPU %s for the 50 (server and client, not PostgreSQL's)", nAlerts, nIncidents,
		took[len(took)/2].Round(100*time.Microsecond), took[len(took)*99/100].Round(100*time.Microsecond), cpu.Round(time.Millisecond))
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
