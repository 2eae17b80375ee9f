package intel_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestFromAlertAndIncident(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		name, kind := "Portal KPU Jawa Barat", "site"
		urls := []string{"https://jabar.kpu.example"}
		a, err := asset.Create(ctx, db, w.who["adi"], w.tree, asset.Input{Name: &name, Kind: &kind, URLs: &urls})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 2, 14, 3, 0, 0, 0, time.UTC)
		var batch []alert.Signal
		for i := range 4 {
			batch = append(batch, alert.Signal{Scenario: "http-sqli", Title: "SQL injection", Severity: "high", Technique: "T1190",
				SourceIP: "203.0.113.66", AssetID: a.ID, Time: t0.Add(time.Duration(i) * time.Second), Count: 1, RuleIDs: []string{"942100"},
				Fields: map[string]string{"http.request.method": "GET", "url.original": "/cek?nik=1' OR 1=1--"}})
		}
		created, _, err := alert.Record(ctx, db, batch)
		if err != nil || len(created) != 1 {
			t.Fatalf("alert: %v %v", created, err)
		}
		i, isNew, err := intel.FromAlert(ctx, db, w.who["adi"], created[0])
		if err != nil || !isNew {
			t.Fatalf("from alert: %v %v", isNew, err)
		}
		if i.Value != "203.0.113.66" || i.Source != "alert" || !i.Detect || len(i.Techniques) != 1 || !strings.Contains(i.Description, "1=1") {
			t.Errorf("indicator from alert: %+v", i)
		}
		// Again: the same indicator, the same sighting place, counted once more.
		if _, isNew, err = intel.FromAlert(ctx, db, w.who["adi"], created[0]); err != nil || isNew {
			t.Fatalf("again: %v %v", isNew, err)
		}
		ss, _ := intel.Sightings(ctx, db, w.who["adi"], i.ID)
		if len(ss) != 1 || ss[0].Count != 8 || ss[0].AlertID != created[0] || ss[0].AssetID != a.ID {
			t.Errorf("sightings: %+v", ss)
		}
		if _, _, err := intel.FromAlert(ctx, db, w.who["sari"], created[0]); !problem.Is(err, problem.NotFound) {
			t.Errorf("another province's alert: %v", err)
		}

		title, tlp := "Phishing akun PPK", "AMBER+STRICT"
		inc, err := incident.Create(ctx, db, w.who["adi"], w.tree, incident.Input{Title: &title, TLP: &tlp})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []incident.ObservableInput{{Type: "domain", Value: "kpu-login.example"}, {Type: "ip", Value: "203.0.113.66"},
			{Type: "hash", Value: strings.Repeat("ab", 32)}, {Type: "nik_count", Value: "12"}} {
			if _, _, err := incident.AddObservable(ctx, db, w.who["adi"], inc.HumanID, o); err != nil {
				t.Fatal(err)
			}
		}
		res, err := intel.FromIncident(ctx, db, w.who["adi"], inc.HumanID)
		if err != nil || len(res.Created) != 2 || len(res.Existing) != 1 || len(res.Skipped) != 1 {
			t.Fatalf("from incident: %+v %v", res, err)
		}
		for _, c := range res.Created {
			if c.TLP != policy.AmberStrict || c.Source != "incident" || c.SourceRef != inc.HumanID {
				t.Errorf("from incident: %+v", c)
			}
		}
		if _, err := intel.FromFinding(ctx, db, w.who["adi"], 999); !problem.Is(err, problem.NotFound) {
			t.Errorf("unknown finding: %v", err)
		}
	})
}
