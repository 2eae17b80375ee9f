package incident_test

import (
	"context"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestResponseTargets: the targets are settings an administrator changes,
// checked whole before any is stored, audited; every incident's clocks
// follow them at once.
func TestResponseTargets(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.addUser(t, auth.NewUser{Username: "kpu.admin", Org: "kpu", Role: "admin", Scope: ""})
		admin := w.who["kpu.admin"]
		inc := w.create(t, "jabar.analyst", incident.Input{Title: str("Serangan DDoS"), Region: str("32"), Severity: str("critical")})
		due := func(name string) time.Duration {
			t.Helper()
			clocks, err := incident.ClocksOf(ctx, db, w.who["jabar.analyst"], inc.HumanID, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range clocks {
				if c.Name == name {
					return c.Due.Sub(inc.DetectedAt)
				}
			}
			t.Fatalf("no %s clock", name)
			return 0
		}
		if d := due("first_response"); d != time.Hour {
			t.Fatalf("default critical first response: %v", d)
		}
		for _, bad := range [][]incident.Target{
			nil,
			{{Severity: "critical", FirstResponseMinutes: 0, ContainmentMinutes: 60}},
			{{Severity: "critical", FirstResponseMinutes: 60, ContainmentMinutes: 30}},
			{{Severity: "critical", FirstResponseMinutes: 60, ContainmentMinutes: 50000}},
			{{Severity: "urgent", FirstResponseMinutes: 60, ContainmentMinutes: 60}},
			{{Severity: "high", FirstResponseMinutes: 60, ContainmentMinutes: 120}, {Severity: "high", FirstResponseMinutes: 60, ContainmentMinutes: 120}},
			{{Severity: "high", FirstResponseMinutes: 60, ContainmentMinutes: 120}, {Severity: "critical", FirstResponseMinutes: -1, ContainmentMinutes: 60}},
		} {
			if _, err := incident.SetTargets(ctx, db, admin, bad); !problem.Is(err, problem.Invalid) {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		if _, err := incident.SetTargets(ctx, db, w.who["jabar.coord"], []incident.Target{{Severity: "critical", FirstResponseMinutes: 30, ContainmentMinutes: 120}}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a coordinator set targets: %v", err)
		}
		if d := due("first_response"); d != time.Hour {
			t.Fatalf("refused settings changed the clock: %v", d)
		}
		got, err := incident.SetTargets(ctx, db, admin, []incident.Target{{Severity: "critical", FirstResponseMinutes: 30, ContainmentMinutes: 180}})
		if err != nil {
			t.Fatal(err)
		}
		if got["critical"].FirstResponse != 30*time.Minute || got["high"] != incident.DefaultTargets["high"] {
			t.Fatalf("targets after setting: %+v", got)
		}
		if d, c := due("first_response"), due("containment"); d != 30*time.Minute || c != 3*time.Hour {
			t.Fatalf("clocks after setting: %v %v", d, c)
		}
		// Saved again as it is: nothing changed, nothing audited.
		if _, err := incident.SetTargets(ctx, db, admin, []incident.Target{{Severity: "critical", FirstResponseMinutes: 30, ContainmentMinutes: 180}}); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'settings.response_targets'`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d audit entries for one change", n)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
