package alert_test

import (
	"context"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

var t0 = time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)

func sig(scenario, ip string, assetID int64, at time.Duration, n int) alert.Signal {
	return alert.Signal{Scenario: scenario, Title: scenario, Severity: "high", Technique: "T1190", SourceIP: ip, AssetID: assetID,
		Time: t0.Add(at), Count: n, RuleIDs: []string{"942100"}, Fields: map[string]string{"url.original": "/x?id=1'"}}
}

func TestAggregator(t *testing.T) {
	g := alert.NewAggregator()
	g.Add(sig("http-sqli", "103.1.1.1", 1, 0, 1))
	g.Add(sig("http-sqli", "103.1.1.1", 1, time.Minute, 1))
	g.Add(sig("http-sqli", "103.1.1.1", 2, time.Minute, 1))                           // other asset
	g.Add(sig("http-xss", "103.1.1.1", 1, time.Minute, 1))                            // other scenario
	g.Add(sig("http-sqli", "103.1.1.1", 1, time.Minute+2*alert.AggregationWindow, 1)) // after the window
	all := g.Alerts()
	if len(all) != 4 || all[0].Count != 2 || all[0].LastSeen != t0.Add(time.Minute) {
		t.Fatalf("aggregated into %d alerts, first count %d", len(all), all[0].Count)
	}
}

type world struct {
	db    *store.DB
	who   map[string]auth.Principal
	jabar int64 // an asset of KPU Jawa Barat
}

func newWorld(t testing.TB, db *store.DB) *world {
	ctx := context.Background()
	org.EnsureStandard(ctx, db)
	tree, _ := org.Load(ctx, db)
	w := &world{db: db, who: map[string]auth.Principal{}}
	for _, n := range []auth.NewUser{
		{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
		{Username: "jabar.viewer", Org: "kpu-32", Role: "viewer", Scope: "32"},
		{Username: "jateng.analyst", Org: "kpu-33", Role: "analyst", Scope: "33"},
		{Username: "bssn.analyst", Org: "bssn", Role: "analyst", Scope: ""},
		{Username: "komdigi.analyst", Org: "komdigi", Role: "analyst", Scope: ""},
		{Username: "jabar.room", Org: "diskominfo-32", Role: "operator", Scope: "32"},
		{Username: "kpu.analyst", Org: "kpu", Role: "analyst", Scope: ""},
	} {
		n.Password = "password-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		w.who[n.Username], _ = auth.PrincipalOf(u, tree)
	}
	name, kind, reg := "KPU Jabar", "site", "32"
	a, err := asset.Create(ctx, db, w.who["jabar.analyst"], tree, asset.Input{Name: &name, Kind: &kind, Region: &reg})
	if err != nil {
		t.Fatal(err)
	}
	w.jabar = a.ID
	return w
}

func TestRecordAndRead(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		var batch []alert.Signal
		for i := range 30 {
			batch = append(batch, sig("http-sqli", "103.1.1.1", w.jabar, time.Duration(i)*time.Second, 1))
		}
		created, _, err := alert.Record(ctx, db, batch)
		if err != nil || len(created) != 1 {
			t.Fatalf("record: %v %v", created, err)
		}
		// A later batch joins the open alert.
		created2, updated, err := alert.Record(ctx, db, []alert.Signal{sig("http-sqli", "103.1.1.1", w.jabar, 10*time.Minute, 1)})
		if err != nil || len(created2) != 0 || len(updated) != 1 || updated[0] != created[0] {
			t.Fatalf("second batch: created %v updated %v %v", created2, updated, err)
		}
		a, err := alert.Get(ctx, db, w.who["jabar.analyst"], created[0])
		if err != nil {
			t.Fatal(err)
		}
		if a.Count != 31 || len(a.Evidence) != alert.MaxEvidence || a.Region != "32" || a.Owner != "kpu-32" || a.Asset != "KPU Jabar" || a.TLP != "AMBER" {
			t.Fatalf("alert: %+v (%d evidence)", a, len(a.Evidence))
		}
		// Who sees it: the owner, its ancestors, the national CSIRT; not another province nor another agency.
		for user, may := range map[string]bool{"jabar.analyst": true, "jabar.viewer": true, "kpu.analyst": true, "bssn.analyst": true,
			"jabar.room": true, "jateng.analyst": false, "komdigi.analyst": false} {
			_, err := alert.Get(ctx, db, w.who[user], a.ID)
			if may != (err == nil) {
				t.Errorf("%s reading the alert: %v", user, err)
			}
			list, err := alert.List(ctx, db, w.who[user], alert.Filter{})
			if err != nil {
				t.Fatalf("%s listing: %v", user, err)
			}
			if may != (len(list) == 1) {
				t.Errorf("%s listing: %d alerts", user, len(list))
			}
		}
		// Triage.
		if _, err := alert.SetStatus(ctx, db, w.who["jabar.viewer"], a.ID, alert.Acknowledged, ""); !problem.Is(err, problem.Forbidden) {
			t.Errorf("viewer acknowledges: %v", err)
		}
		if _, err := alert.SetStatus(ctx, db, w.who["jabar.analyst"], a.ID, alert.Dismissed, ""); !problem.Is(err, problem.Invalid) {
			t.Errorf("dismiss without reason: %v", err)
		}
		if _, err := alert.SetStatus(ctx, db, w.who["jateng.analyst"], a.ID, alert.Acknowledged, ""); !problem.Is(err, problem.NotFound) {
			t.Errorf("other province: %v", err)
		}
		states, _ := alert.OpenByProvince(ctx, db, w.who["bssn.analyst"])
		if states["32"].Open != 1 || states["32"].Highest != "high" {
			t.Errorf("open by province: %+v", states)
		}
		if _, err := alert.SetStatus(ctx, db, w.who["jabar.analyst"], a.ID, alert.Dismissed, "penetration test by KPU's own team"); err != nil {
			t.Fatal(err)
		}
		// A dismissed alert is closed: the next signal raises a new one.
		created3, _, _ := alert.Record(ctx, db, []alert.Signal{sig("http-sqli", "103.1.1.1", w.jabar, 11*time.Minute, 1)})
		if len(created3) != 1 || created3[0] == a.ID {
			t.Fatalf("after dismissal: %v", created3)
		}
		open, _ := alert.List(ctx, db, w.who["bssn.analyst"], alert.Filter{Status: []alert.Status{alert.New}, Severity: "high", Region: "32"})
		if len(open) != 1 || open[0].ID != created3[0] {
			t.Fatalf("filtered list: %+v", open)
		}
		if _, _, err := alert.Record(ctx, db, []alert.Signal{sig("http-sqli", "1.1.1.1", 0, 0, 1)}); err == nil {
			t.Fatal("signal without asset accepted")
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAlertOfRedAsset: an alert about a RED asset is RED and goes to the
// asset's named users only, not to the CSIRT or the operation room.
func TestAlertOfRedAsset(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		tree, _ := org.Load(ctx, db)
		name, kind, reg, tlp := "Server cadangan", "server", "32", "RED"
		red, err := asset.Create(ctx, db, w.who["jabar.analyst"], tree, asset.Input{Name: &name, Kind: &kind, Region: &reg, TLP: &tlp})
		if err != nil {
			t.Fatal(err)
		}
		created, _, err := alert.Record(ctx, db, []alert.Signal{sig("http-sqli", "103.5.5.5", red.ID, 0, 1)})
		if err != nil || len(created) != 1 {
			t.Fatal(created, err)
		}
		a, err := alert.Get(ctx, db, w.who["jabar.analyst"], created[0])
		if err != nil || a.TLP != "RED" || a.Asset != name {
			t.Fatalf("named user reads %+v, %v", a, err)
		}
		for _, user := range []string{"bssn.analyst", "jabar.room", "jabar.viewer", "kpu.analyst"} {
			if _, err := alert.Get(ctx, db, w.who[user], created[0]); !problem.Is(err, problem.NotFound) {
				t.Errorf("%s reads the RED asset's alert: %v", user, err)
			}
		}
	})
}
