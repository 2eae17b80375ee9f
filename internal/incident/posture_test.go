package incident_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestPostureTargets: an incident is held to the targets of the posture
// its region was in when it was detected, in its own zone, where national
// administrators set them; without them nothing changes. The shipped
// calendar has Pemilu 2024's masa tenang (11-13 Feb 2024) awas and its
// rekapitulasi (15 Feb - 20 Mar) siaga, kampanye (to 10 Feb) siaga.
func TestPostureTargets(t *testing.T) {
	wib := calendar.WIB
	masaTenang := time.Date(2024, 2, 12, 10, 0, 0, 0, wib)
	rekap := time.Date(2024, 3, 1, 10, 0, 0, 0, wib)
	// 15:30 UTC on 10 Feb: 11 Feb 00:30 WIT (masa tenang in Papua), still
	// 10 Feb 23:30 WITA and 22:30 WIB (kampanye in Bali and West Java).
	eastFirst := time.Date(2024, 2, 10, 15, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want calendar.Posture
		zone *time.Location
	}{{masaTenang, calendar.Awas, wib}, {rekap, calendar.Siaga, wib}, {eastFirst, calendar.Awas, calendar.WIT}, {eastFirst, calendar.Siaga, calendar.WITA}, {eastFirst, calendar.Siaga, wib}} {
		if got := calendar.PostureAt(c.at, c.zone); got != c.want {
			t.Fatalf("the shipped calendar has %s at %v in %s, the test assumes %s", got, c.at, c.zone, c.want)
		}
	}
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.addUser(t, auth.NewUser{Username: "kpu.admin", Org: "kpu", Role: "admin", Scope: ""})
		admin := w.who["kpu.admin"]
		creator := map[int64]string{}
		at := func(user, region string, detected time.Time) incident.Incident {
			i := w.create(t, user, incident.Input{Title: str("Deface situs " + region), Region: str(region), Severity: str("critical"), DetectedAt: &detected})
			creator[i.ID] = user
			return i
		}
		jabarCalm := at("jabar.analyst", "32", masaTenang)
		jabarRekap := at("jabar.analyst", "32", rekap)
		papua := at("bssn.analyst", "91", eastFirst)
		jabarEve := at("jabar.analyst", "32", eastFirst)
		if papua.Region != "91" {
			t.Fatalf("papua incident in %q", papua.Region)
		}
		due := func(i incident.Incident, name string) time.Duration {
			t.Helper()
			clocks, err := incident.ClocksOf(ctx, db, w.who[creator[i.ID]], i.HumanID, i.DetectedAt.Add(5*time.Minute)) // a fake clock: five minutes after detection
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range clocks {
				if c.Name == name {
					return c.Due.Sub(i.DetectedAt)
				}
			}
			t.Fatalf("%s: no %s clock", i.HumanID, name)
			return 0
		}
		check := func(when string, want map[string][2]time.Duration) {
			t.Helper()
			for _, c := range []struct {
				name string
				i    incident.Incident
			}{{"jabar masa tenang", jabarCalm}, {"jabar 1 Mar", jabarRekap}, {"papua 11 Feb WIT", papua}, {"jabar 10 Feb WIB", jabarEve}} {
				if f, k := due(c.i, "first_response"), due(c.i, "containment"); f != want[c.name][0] || k != want[c.name][1] {
					t.Errorf("%s: %s due after %v / %v, want %v", when, c.name, f, k, want[c.name])
				}
			}
		}
		ordinary := [2]time.Duration{time.Hour, 4 * time.Hour}
		allOrdinary := map[string][2]time.Duration{"jabar masa tenang": ordinary, "jabar 1 Mar": ordinary, "papua 11 Feb WIT": ordinary, "jabar 10 Feb WIB": ordinary}
		check("without posture targets", allOrdinary)

		stored := func() int {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM posture_response_targets`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, bad := range [][]incident.Target{
			{{Severity: "critical", FirstResponseMinutes: 0, ContainmentMinutes: 60}},
			{{Severity: "critical", FirstResponseMinutes: 30, ContainmentMinutes: 20}},
			{{Severity: "critical", FirstResponseMinutes: 90, ContainmentMinutes: 120}}, // looser than the ordinary hour
			{{Severity: "critical", FirstResponseMinutes: 15, ContainmentMinutes: 300}}, // looser than the ordinary 4 h
			{{Severity: "urgent", FirstResponseMinutes: 15, ContainmentMinutes: 60}},
			{{Severity: "high", FirstResponseMinutes: 60, ContainmentMinutes: 120}, {Severity: "high", FirstResponseMinutes: 60, ContainmentMinutes: 120}},
			{{Severity: "high", FirstResponseMinutes: 60, ContainmentMinutes: 120}, {Severity: "critical", FirstResponseMinutes: -1, ContainmentMinutes: 60}},
		} {
			if _, err := incident.SetPostureTargets(ctx, db, admin, calendar.Awas, bad); !problem.Is(err, problem.Invalid) {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		awas := []incident.Target{{Severity: "critical", FirstResponseMinutes: 15, ContainmentMinutes: 60}}
		if _, err := incident.SetPostureTargets(ctx, db, w.who["kpu.coord"], calendar.Awas, awas); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a coordinator set posture targets: %v", err)
		}
		if _, err := incident.SetPostureTargets(ctx, db, admin, calendar.Normal, awas); !problem.Is(err, problem.NotFound) {
			t.Errorf("normal got targets of its own: %v", err)
		}
		if n := stored(); n != 0 {
			t.Fatalf("refusals stored %d rows", n)
		}
		check("after refusals", allOrdinary)

		got, err := incident.SetPostureTargets(ctx, db, admin, calendar.Awas, awas)
		if err != nil {
			t.Fatal(err)
		}
		if f := got.For(calendar.Awas)["critical"]; f.FirstResponse != 15*time.Minute || f.Containment != time.Hour || got.For(calendar.Awas)["high"] != incident.DefaultTargets["high"] ||
			got.For(calendar.Siaga)["critical"] != incident.DefaultTargets["critical"] {
			t.Fatalf("timing after setting: %+v", got.ByPosture)
		}
		strict := [2]time.Duration{15 * time.Minute, time.Hour}
		check("with awas targets", map[string][2]time.Duration{"jabar masa tenang": strict, "jabar 1 Mar": ordinary, "papua 11 Feb WIT": strict, "jabar 10 Feb WIB": ordinary})

		// The wall counts the same in SQL as ClocksFor over every incident.
		for _, now := range []time.Time{masaTenang.Add(10 * time.Minute), masaTenang.Add(20 * time.Minute), eastFirst.Add(30 * time.Minute), rekap.Add(50 * time.Minute)} {
			p, err := incident.PendingFor(ctx, db, w.who["bssn.analyst"], "", false, now, 6)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(t, db, w.who["bssn.analyst"], "", false, now, 6)
			if want.Missed+want.Amber == 0 {
				t.Errorf("wall at %v: nothing missed or amber, the check tests little", now)
			}
			if p.Missed != want.Missed || p.Amber != want.Amber || !slices.Equal(pendingKeys(p), pendingKeys(want)) {
				t.Errorf("wall at %v: %d missed %d amber %v, ClocksFor says %d %d %v", now, p.Missed, p.Amber, pendingKeys(p), want.Missed, want.Amber, pendingKeys(want))
			}
		}
		// Papua's masa-tenang incident has missed its 15 minutes 20 minutes
		// after detection; West Java's of the same instant has not.
		missed, err := incident.MissedClocks(ctx, db, eastFirst.Add(20*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range missed {
			if m.IncidentID == papua.ID || m.IncidentID == jabarEve.ID {
				names = append(names, fmt.Sprintf("%d/%s", m.IncidentID, m.Clock))
			}
		}
		if want := []string{fmt.Sprintf("%d/first_response", papua.ID)}; !slices.Equal(names, want) {
			t.Errorf("missed clocks 20 min after 15:30 UTC 10 Feb: %v, want %v", names, want)
		}

		// Saved again as it is: nothing to audit; removed: the ordinary again.
		if _, err := incident.SetPostureTargets(ctx, db, admin, calendar.Awas, awas); err != nil {
			t.Fatal(err)
		}
		if _, err := incident.SetPostureTargets(ctx, db, admin, calendar.Awas, nil); err != nil {
			t.Fatal(err)
		}
		if n := stored(); n != 0 {
			t.Fatalf("%d rows after removal", n)
		}
		check("after removal", allOrdinary)
		var n int
		var detail string
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'settings.response_targets.posture'`).Scan(&n)
		db.QueryRow(ctx, `SELECT detail FROM audit_log WHERE action = 'settings.response_targets.posture' AND record_id = 'response_targets/awas' ORDER BY seq LIMIT 1`).Scan(&detail)
		if n != 2 || !strings.Contains(detail, `"from":"ordinary","to":"15/60 min"`) {
			t.Fatalf("%d audit entries for a setting and a removal; the first says %s", n, detail)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
