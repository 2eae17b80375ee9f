package demo

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/store"
)

// checkSystems: the demo's assets carry their election systems, so
// that the calendar finds them by system: during the count of 2024 the
// backup recapitulation server (not named Sirekap) and Sirekap API matter,
// and a provincial KPU site is a situs KPU.
func checkSystems(t *testing.T, db *store.DB, _ World) {
	ctx := context.Background()
	systems := map[string]string{}
	rows, err := db.Query(ctx, `SELECT name, systems FROM assets`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, sys string
		if err := rows.Scan(&name, &sys); err != nil {
			t.Fatal(err)
		}
		systems[name] = sys
	}
	for name, want := range map[string]string{"Server rekapitulasi cadangan": `["Sirekap"]`, "Sirekap API": `["Sirekap","Sirekap API"]`,
		"Situs KPU Provinsi Jawa Barat": `["situs KPU"]`, "JDIH KPU": `[]`} {
		if systems[name] != want {
			t.Errorf("%s: systems %s, want %s", name, systems[name], want)
		}
	}
	// Its stored systems, not its name, make the backup server matter in
	// the count.
	var sys []string
	if err := json.Unmarshal([]byte(systems["Server rekapitulasi cadangan"]), &sys); err != nil {
		t.Fatal(err)
	}
	count := time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC)
	if _, _, ok := calendar.Shipped().Critical(count, calendar.WIB, "Server rekapitulasi cadangan", sys); !ok {
		t.Error("the backup recapitulation server does not matter during the count")
	}
	// The drill phase runs now (every shipped one is past): it raises the
	// demo's Sirekap and KPU sites and gives the patrol its focus words.
	cal, err := calendar.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if posture, phase := cal.PostureAt(now, calendar.WIB); posture != calendar.Siaga || phase.Election != "gladi-siaga-demo" {
		t.Errorf("now: posture %s in %q, want siaga in the demo's drill", posture, phase.Election)
	}
	if _, _, ok := cal.Critical(now, calendar.WIB, "Server rekapitulasi cadangan", sys); !ok {
		t.Error("the backup recapitulation server does not matter in the demo's running phase")
	}
	if len(cal.FocusAt(now, calendar.WIB)) == 0 {
		t.Error("the demo's running phase gives the patrol no focus words")
	}
}
