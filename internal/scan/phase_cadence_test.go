package scan_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestPhaseSetsScanCadence: an asset that is part of Sirekap is scanned
// every hour during masa tenang (awas), every 6 hours during the count
// (siaga), daily again once it is no longer part of Sirekap; the phase is
// read at the round's moment in the asset's zone (Bandung: WIB).
func TestPhaseSetsScanCadence(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAuthWorld(t, db)
		id := w.asset.ID
		setSystems := func(s ...string) {
			t.Helper()
			if _, err := asset.Update(ctx, db, w.who["rina"], nil, id, asset.Input{Systems: &s}); err != nil {
				t.Fatal(err)
			}
		}
		due := func(at time.Time) bool {
			t.Helper()
			list, err := w.st.DueAssets(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			return slices.Contains(list, id)
		}
		scanNow := func() {
			t.Helper()
			sid, _, err := w.st.Begin(ctx, id, scan.TriggerSchedule, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := w.st.Finish(ctx, sid, scan.StatusDone, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		setSystems("Sirekap")
		w.now = time.Date(2024, 2, 12, 3, 0, 0, 0, time.UTC) // 10:00 WIB, masa tenang
		in := w.input()
		in.WindowStart, in.WindowEnd, in.ExpiresAt = 0, 24, w.now.Add(60*24*time.Hour)
		if _, err := w.st.Give(ctx, w.who["rina"], id, in); err != nil {
			t.Fatal(err)
		}
		scanNow()
		if due(w.now.Add(59*time.Minute)) || !due(w.now.Add(time.Hour)) {
			t.Error("masa tenang (awas): want due an hour after the scan, not before")
		}

		w.now = time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC) // the count (siaga)
		scanNow()
		if due(w.now.Add(5*time.Hour)) || !due(w.now.Add(6*time.Hour)) {
			t.Error("the count (siaga): want due 6 hours after the scan, not 5")
		}
		setSystems() // no longer part of Sirekap: daily
		if due(w.now.Add(6*time.Hour)) || !due(w.now.Add(24*time.Hour)) {
			t.Error("not critical: want daily")
		}
		// After the count (21 Mar 00:00 WIB), daily even as Sirekap.
		setSystems("Sirekap")
		w.now = time.Date(2024, 3, 20, 17, 0, 0, 0, time.UTC)
		scanNow()
		if due(w.now.Add(6 * time.Hour)) {
			t.Error("after the count: due after 6 hours")
		}
	})
}
