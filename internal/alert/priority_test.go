package alert_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// An alert on an asset that matters in the phase running when it was
// raised, in its region's zone, rises one step and says why; the same
// attack outside the phase, in a zone where the phase is over, or on an
// asset the phase does not name keeps its severity. A phase a coordinator
// entered counts as the shipped ones do.
func TestPhaseRaisesPriority(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		tree, _ := org.Load(ctx, db)
		kpu := w.who["kpu.analyst"]
		mk := func(name, region string, systems ...string) int64 {
			kind := "web_app"
			a, err := asset.Create(ctx, db, kpu, tree, asset.Input{Name: &name, Kind: &kind, Region: &region, Systems: &systems})
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		jabar := mk("Server C.Hasil Jawa Barat", "32", "Sirekap")
		papua := mk("Server C.Hasil Papua", "94", "Sirekap")
		jdih := mk("JDIH", "")
		site := mk("Situs KPU Bandung", "32.73", "situs KPU")

		// 20 Mar 2024 16:30 UTC: 23:30 WIB, the count's last day in West
		// Java; 01:30 on 21 Mar in Papua (WIT), the count over there.
		last := time.Date(2024, 3, 20, 16, 30, 0, 0, time.UTC)
		after := time.Date(2024, 4, 10, 3, 0, 0, 0, time.UTC)
		at := func(s alert.Signal, when time.Time) alert.Signal { s.Time = when; return s }
		created, _, err := alert.Record(ctx, db, []alert.Signal{
			at(sig("http-sqli", "103.9.9.1", jabar, 0, 1), last),
			at(sig("http-sqli", "103.9.9.2", papua, 0, 1), last),
			at(sig("http-sqli", "103.9.9.3", jabar, 0, 1), after),
			at(sig("http-sqli", "103.9.9.4", jdih, 0, 1), last),
		})
		if err != nil || len(created) != 4 {
			t.Fatalf("record: %v, %d created", err, len(created))
		}
		bssn := w.who["bssn.analyst"]
		got := map[int64]alert.Alert{}
		for _, id := range created {
			a, err := alert.Get(ctx, db, bssn, id)
			if err != nil {
				t.Fatal(err)
			}
			got[id] = a
		}
		raised := got[created[0]]
		if raised.Severity != "high" || raised.Priority != "critical" ||
			raised.PriorityReason != "fase Rekapitulasi hasil penghitungan suara (Sirekap) (siaga): Sirekap kritis" {
			t.Errorf("West Java during the count: severity %s priority %s reason %q", raised.Severity, raised.Priority, raised.PriorityReason)
		}
		for i, why := range []string{"", "Papua, the count over in WIT", "West Java after the count", "JDIH, not named by the phase"} {
			if i == 0 {
				continue
			}
			if a := got[created[i]]; a.Priority != "high" || a.PriorityReason != "" {
				t.Errorf("%s: priority %s reason %q, want high and none", why, a.Priority, a.PriorityReason)
			}
		}

		// A coordinator enters a phase (a re-vote in 2030) that names the
		// KPU sites; an alert then rises by it.
		coord := principalOf(t, db, tree, auth.NewUser{Username: "bssn.coord", Org: "bssn", Role: "coordinator"})
		if _, err := calendar.CreateElection(ctx, db, coord, calendar.NewElection{Slug: "psu-2030", Name: "Pemungutan suara ulang 2030"}); err != nil {
			t.Fatal(err)
		}
		if _, err := calendar.AddPhase(ctx, db, coord, "psu-2030", calendar.Phase{Key: "psu", Name: "Pemungutan suara ulang",
			Start: "2030-05-01", End: "2030-05-02", Posture: calendar.Awas, Critical: []string{"situs KPU"}}); err != nil {
			t.Fatal(err)
		}
		entered, _, err := alert.Record(ctx, db, []alert.Signal{at(sig("http-xss", "103.9.9.5", site, 0, 1), time.Date(2030, 5, 1, 2, 0, 0, 0, time.UTC))})
		if err != nil {
			t.Fatal(err)
		}
		a, err := alert.Get(ctx, db, bssn, entered[0])
		if err != nil {
			t.Fatal(err)
		}
		if a.Priority != "critical" || !strings.Contains(a.PriorityReason, "Pemungutan suara ulang (awas): situs KPU kritis") {
			t.Errorf("entered phase: priority %s reason %q", a.Priority, a.PriorityReason)
		}

		// The queue's priority filter lists exactly the raised ones.
		list, err := alert.List(ctx, db, bssn, alert.Filter{Priority: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != entered[0] || list[1].ID != created[0] {
			t.Errorf("priority list = %d alerts, want the two raised", len(list))
		}
		groups, err := alert.Groups(ctx, db, bssn, alert.Filter{Priority: true})
		if err != nil || len(groups) != 2 || groups[1].Priority != "critical" || groups[1].PriorityReason == "" {
			t.Errorf("priority groups: %v, %+v", err, groups)
		}
	})
}

func principalOf(t *testing.T, db *store.DB, tree *org.Tree, n auth.NewUser) auth.Principal {
	t.Helper()
	n.Password = "password-long-enough"
	u, err := auth.CreateUser(context.Background(), db, audit.System, n)
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.PrincipalOf(u, tree)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
