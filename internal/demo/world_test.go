package demo

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestDemoWorld seeds the demo world once per engine, runs every check of
// what the seed made on it, then seeds again and checks that the second
// seed adds nothing. The checks only read, so they share the world: each
// used to seed its own twice (20 seeds under the race detector, now 4).
func TestDemoWorld(t *testing.T) {
	checks := []struct {
		name       string
		sqliteOnly bool // as before: these ran on SQLite only
		check      func(*testing.T, *store.DB, World)
	}{
		{"incidents", false, checkIncidentsLookWorked},
		{"rooms", false, checkRooms},
		{"scans", false, checkScans},
		{"shifts", false, checkShifts},
		{"intel", true, checkIntelMeetsTheSTIXBar},
		{"patrol", true, checkPatrol},
		{"takedowns", true, checkTakedowns},
		{"systems", false, checkSystems},
	}
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, err := Seed(ctx, db, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !c.sqliteOnly || db.Dialect() == store.SQLite {
				t.Run(c.name, func(t *testing.T) { c.check(t, db, w) })
			}
		}
		count := func(table string) int {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		tables := []string{"room_members", "room_contacts", "shifts", "shift_reports", "elections", "election_phases"}
		before := map[string]int{}
		for _, tb := range tables {
			before[tb] = count(tb)
		}
		again, err := Seed(ctx, db, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if again.Incidents != 0 || again.Scans != 0 || again.ShiftReports != 0 || again.PatrolItems != 0 || again.Blocked != 0 {
			t.Errorf("a second seed made %d incidents, %d scans, %d shift reports, %d patrol items, %d blocked domains; want none",
				again.Incidents, again.Scans, again.ShiftReports, again.PatrolItems, again.Blocked)
		}
		for _, tb := range tables {
			if n := count(tb); n != before[tb] {
				t.Errorf("seeding again: %s %d -> %d", tb, before[tb], n)
			}
		}
	})
}
