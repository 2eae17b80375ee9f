package scan_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestDueAssets: an authorised asset is due until scanned, then daily; with
// an open high finding every 12 hours; never outside its window, nor once
// its authorisations are revoked; a refused scan is no scan.
func TestDueAssets(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAuthWorld(t, db)
		id := w.asset.ID
		due := func(at time.Time) bool {
			t.Helper()
			list, err := w.st.DueAssets(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			return slices.Contains(list, id)
		}
		if due(w.now) {
			t.Fatal("due before any authorisation")
		}
		// A refused scan (nothing authorised) does not count.
		if _, _, err := w.st.Begin(ctx, id, scan.TriggerManual, "rina"); err == nil {
			t.Fatal("begun without an authorisation")
		}
		night, err := w.st.Give(ctx, w.who["rina"], id, w.input()) // 22-05 WIB; now is 23:00 WIB
		if err != nil {
			t.Fatal(err)
		}
		if !due(w.now) {
			t.Fatal("an authorised asset never scanned is not due")
		}
		scanOnce := func(results []scan.Result) {
			t.Helper()
			sid, _, err := w.st.Begin(ctx, id, scan.TriggerSchedule, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := w.st.Finish(ctx, sid, scan.StatusDone, results, nil); err != nil {
				t.Fatal(err)
			}
		}
		scanOnce(nil)
		if due(w.now.Add(time.Hour)) || !due(w.now.Add(24*time.Hour)) {
			t.Fatal("want daily: not due an hour after a scan, due a day after")
		}
		if due(w.now.Add(36 * time.Hour)) { // 11:00 WIB: outside the window
			t.Fatal("due outside the authorisation's window")
		}
		// An open high finding: every 12 hours (an all-day authorisation
		// lets the round run at 11:00 WIB).
		in := w.input()
		in.WindowStart, in.WindowEnd = 0, 24
		if _, err := w.st.Give(ctx, w.who["rina"], id, in); err != nil {
			t.Fatal(err)
		}
		scanOnce([]scan.Result{{TemplateID: "git-config", Info: scan.Info{Name: "Git config", Severity: scan.SeverityHigh},
			Host: "https://kpu-bandung.test", MatchedAt: "https://kpu-bandung.test/.git/config", Timestamp: w.now}})
		if due(w.now.Add(11*time.Hour)) || !due(w.now.Add(12*time.Hour)) {
			t.Fatal("with an open high finding: want due 12 hours after the scan, not before")
		}
		list, err := w.st.List(ctx, w.who["rina"], id)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			if _, err := w.st.Revoke(ctx, w.who["rina"], a.ID, "masa uji selesai"); err != nil {
				t.Fatal(err)
			}
		}
		if due(w.now.Add(48 * time.Hour)) {
			t.Fatalf("due with every authorisation revoked (night one was %d)", night.ID)
		}
	})
}
