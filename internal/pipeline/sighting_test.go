package pipeline

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIndicatorHitSightedWithAlert: lines from a known indicator's address
// raise the alert "Indikator dikenal", and their sighting is stored with
// the alert and names it (the indicator's sightings show the alert, the
// alert's sightings the indicator); a batch delivered again counts nothing
// twice; a later batch joins the same alert and the same sighting.
func TestIndicatorHitSightedWithAlert(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b, newUser, portal := detectorSetup(t, db)
		jabar := newUser(auth.NewUser{Username: "analis", Org: "kpu-32", Role: "analyst", Scope: "32"})
		jateng := newUser(auth.NewUser{Username: "analis.jateng", Org: "kpu-33", Role: "analyst", Scope: "33"})
		a := portal(jabar)
		ind, err := intel.Create(ctx, db, jabar, intel.Input{Kind: intel.IPv4, Value: "203.0.113.50", Detect: true})
		if err != nil {
			t.Fatal(err)
		}
		entries, err := match.Load(ctx, db, store.Now())
		if err != nil || len(entries) != 1 {
			t.Fatalf("detection indicators: %v %v", entries, err)
		}
		eng, err := detect.New(detect.Options{Stages: []detect.Stage{match.New(match.Compile(entries), nil)}})
		if err != nil {
			t.Fatal(err)
		}
		d := &Detector{DB: db, Bus: b, Engine: eng, Log: slog.New(slog.DiscardHandler), Sightings: match.SightAlerts}
		line := func(ip string) string {
			return ip + " - - [" + time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700") + `] "GET /index.php HTTP/1.1" 200 512 "-" "Mozilla/5.0"`
		}
		msg := func(seq, delivered uint64, lines ...string) bus.Msg {
			var data strings.Builder
			for n, l := range lines {
				data.WriteString(itoa(int64(n+1)) + "\t" + l + "\n")
			}
			return bus.Msg{Subject: b.Subject(bus.Events, "p0", "1"), Data: []byte(data.String()), Seq: seq, Delivered: delivered,
				Header: map[string][]string{headerAsset: {itoa(a.ID)}, headerRegion: {"32.04"}, headerFormat: {"nginx"}}}
		}
		sightings := func() []intel.Sighting {
			t.Helper()
			ss, err := intel.Sightings(ctx, db, jabar, ind.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ss
		}
		// Two lines of the indicator, one of another address.
		if err := d.handle(ctx, msg(7, 1, line("203.0.113.50"), line("198.51.100.1"), line("203.0.113.50")), eng.NewInspector(), eng.NewShard()); err != nil {
			t.Fatal(err)
		}
		var alertID, count int64
		if err := db.QueryRow(ctx, `SELECT id, event_count FROM alerts WHERE scenario = ?`, match.ScenarioPrefix+itoa(ind.ID)).Scan(&alertID, &count); err != nil || count != 2 {
			t.Fatalf("the indicator's alert: %d counting %d (%v), want 2 events", alertID, count, err)
		}
		ss := sightings()
		if len(ss) != 1 || ss[0].AlertID != alertID || ss[0].Count != 2 || ss[0].AssetID != a.ID || ss[0].Region != "32.04" || ss[0].Org != "kpu-32" {
			t.Fatalf("sightings %+v, want one of 2 naming alert %d at asset %d", ss, alertID, a.ID)
		}
		// The alert's side: its sighting, with the indicator.
		as, err := intel.AlertSightings(ctx, db, jabar, alertID)
		if err != nil || len(as) != 1 || as[0].IndicatorID != ind.ID || as[0].Value != "203.0.113.50" || as[0].Count != 2 {
			t.Fatalf("the alert's sightings: %+v %v", as, err)
		}
		// Another province's analyst reads neither the indicator nor so its
		// sighting.
		if as, err := intel.AlertSightings(ctx, db, jateng, alertID); err != nil || len(as) != 0 {
			t.Fatalf("KPU Jawa Tengah reads the alert's sightings: %+v %v", as, err)
		}
		// Delivered again to a fresh holder: nothing counted twice.
		if err := d.handle(ctx, msg(7, 2, line("203.0.113.50"), line("198.51.100.1"), line("203.0.113.50")), eng.NewInspector(), eng.NewShard()); err != nil {
			t.Fatal(err)
		}
		if ss := sightings(); len(ss) != 1 || ss[0].Count != 2 {
			t.Fatalf("after a second delivery: %+v", ss)
		}
		// A new batch joins the open alert and its sighting.
		if err := d.handle(ctx, msg(8, 1, line("203.0.113.50")), eng.NewInspector(), eng.NewShard()); err != nil {
			t.Fatal(err)
		}
		if ss := sightings(); len(ss) != 1 || ss[0].Count != 3 || ss[0].AlertID != alertID {
			t.Fatalf("after a new batch: %+v", ss)
		}
		var days int64
		if err := db.QueryRow(ctx, `SELECT COALESCE(SUM(count), 0) FROM indicator_sighting_days WHERE indicator_id = ?`, ind.ID).Scan(&days); err != nil || days != 3 {
			t.Fatalf("sightings per day sum to %d (%v), want 3", days, err)
		}
	})
}
