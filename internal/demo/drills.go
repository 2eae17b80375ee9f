package demo

import (
	"context"

	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/simulate"
	"github.com/garda-id/garda/internal/store"
)

// seedDrills has BSSN compose a drill of voting-day attacks and schedule
// it, from now, into West and East Java's rooms: the running server's
// `drills` job replays it within a minute, and the rooms find its alerts,
// marked LATIHAN, on their drill pages and walls. Only the first seed
// composes it. It returns the runs it scheduled.
func seedDrills(ctx context.Context, db *store.DB, tree *org.Tree) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM drills`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	bssn, err := principal(ctx, db, tree, "koordinator.bssn")
	if err != nil {
		return 0, err
	}
	d, err := drill.Compose(ctx, db, bssn, drill.NewDrill{Name: "Latihan serangan hari pemungutan suara",
		Classes: []string{simulate.SQLi, simulate.Probe, simulate.Scrape}, ExpectLevel: room.National})
	if err != nil {
		return 0, err
	}
	var ids []int64
	for _, reg := range []string{"32", "35"} {
		var id int64
		if err := db.QueryRow(ctx, `SELECT id FROM rooms WHERE region = ?`, reg).Scan(&id); err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	// Four times the traffic's pace: the rooms see the alerts come in
	// over the first four minutes.
	runs, err := drill.Schedule(ctx, db, bssn, d.ID, ids, store.Now(), 4)
	return len(runs), err
}
