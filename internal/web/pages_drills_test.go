package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/pipeline"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

var (
	drillEngineOnce sync.Once
	drillEngine     *detect.Engine
	drillEngineErr  error
)

// testEngine is the real detection engine, built once for the drill tests.
func testEngine(t *testing.T) *detect.Engine {
	t.Helper()
	drillEngineOnce.Do(func() { drillEngine, drillEngineErr = detect.New(detect.Options{}) })
	if drillEngineErr != nil {
		t.Fatal(drillEngineErr)
	}
	return drillEngine
}

// runDrills starts the drills due now as garda serve does: their traffic
// onto a bus's drills stream, detected by the drill detector; it returns
// once every started run is detected.
func runDrills(t *testing.T, db *store.DB) (int, error) {
	t.Helper()
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dd := &pipeline.DrillDetector{DB: db, Bus: b, Engine: testEngine(t), Log: slog.New(slog.DiscardHandler), Holder: "test", Record: drill.RecordBatch}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); dd.Run(dctx) }()
	defer func() { stop(); <-done }()
	n, err := drill.RunDue(ctx, db, b, store.Now())
	for deadline := time.Now().Add(time.Minute); err == nil; time.Sleep(20 * time.Millisecond) {
		left, err := drill.Undetected(ctx, db)
		if err != nil || left == 0 {
			return n, err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d drill runs not detected a minute after they started", left)
		}
	}
	return n, err
}

// TestDrillPages: BSSN composes and schedules on the drills' page; the
// West Java room works its run on its own page (alerts marked LATIHAN);
// Central Java gets 404 there; BSSN finishes the run and reads the score.
func TestDrillPages(t *testing.T) {
	s := newSite(t)
	ids := roomIDs(t, s.db)
	ctx := context.Background()
	jabar := principal(t, s, "jabar.analyst")
	if err := room.AddMember(ctx, s.db, audit.System, ids["32"], jabar.User.ID, "member"); err != nil {
		t.Fatal(err)
	}
	bssn, cj := s.as("bssn.admin"), s.as("jabar.analyst")
	resp, _ := cj.get("/ruang-operasi/diklat")
	wantStatus(t, resp, 403, "a province's analyst on the drills' page")
	resp, html := bssn.get("/ruang-operasi/diklat")
	wantStatus(t, resp, 200, "drills' page")
	if !strings.Contains(html, `name="class" value="sqli"`) {
		t.Error("the compose form lacks the simulator's classes")
	}
	resp, _ = bssn.post("/ruang-operasi/diklat", url.Values{"name": {"Latihan injeksi"}, "class": {"sqli"}, "expect_level": {"national"}})
	wantStatus(t, resp, 303, "compose")
	resp, _ = bssn.post("/ruang-operasi/diklat", url.Values{"name": {""}, "class": {"sqli"}})
	wantStatus(t, resp, 400, "compose without a name")
	var drillID int64
	if err := s.db.QueryRow(ctx, `SELECT id FROM drills`).Scan(&drillID); err != nil {
		t.Fatal(err)
	}
	resp, _ = bssn.post(fmt.Sprintf("/ruang-operasi/diklat/%d/jadwalkan", drillID), url.Values{"rooms": {"99"}})
	wantStatus(t, resp, 400, "schedule into an unknown region")
	resp, _ = bssn.post(fmt.Sprintf("/ruang-operasi/diklat/%d/jadwalkan", drillID), url.Values{"rooms": {"32"}, "speed": {"0"}})
	wantStatus(t, resp, 303, "schedule")
	if n, err := runDrills(t, s.db); err != nil || n != 1 {
		t.Fatalf("run due: %d %v", n, err)
	}
	var runID, alertID int64
	if err := s.db.QueryRow(ctx, `SELECT run_id, id FROM drill_alerts ORDER BY id LIMIT 1`).Scan(&runID, &alertID); err != nil {
		t.Fatal(err)
	}
	// The room's wall tells of the drill apart; its counters stay real.
	resp, html = cj.get(fmt.Sprintf("/ruang-operasi/%d/layar", ids["32"]))
	wantStatus(t, resp, 200, "the room's wall during a drill")
	if !strings.Contains(html, `data-counter="alerts_open">0<`) || !strings.Contains(html, "LATIHAN berlangsung") || strings.Contains(html, "data-wall-drill hidden") {
		t.Error("the wall counts the drill as real, or does not tell of it")
	}
	page := fmt.Sprintf("/ruang-operasi/%d/diklat", ids["32"])
	resp, html = cj.get(page)
	wantStatus(t, resp, 200, "the room's drills")
	if !strings.Contains(html, "LATIHAN") || !strings.Contains(html, fmt.Sprintf("/terima/%d", alertID)) {
		t.Error("the room's drill page lacks its marked alerts or the acknowledge button")
	}
	resp, _ = s.as("jateng.analyst").get(page)
	wantStatus(t, resp, 404, "another province's drills")
	resp, _ = cj.post(fmt.Sprintf("%s/%d/terima/%d", page, runID, alertID), url.Values{})
	wantStatus(t, resp, 303, "acknowledge")
	// The alert opened as a drill incident: to the incident desk, marked,
	// for the room only, in no real list.
	resp, _ = cj.post(fmt.Sprintf("%s/%d/insiden/%d", page, runID, alertID), url.Values{})
	wantStatus(t, resp, 303, "promote a drill alert")
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/insiden/LAT-") {
		t.Fatalf("promoting went to %q, not a drill incident", loc)
	}
	resp, html = cj.get(loc)
	wantStatus(t, resp, 200, "the drill incident's page")
	if !strings.Contains(html, "bukan kejadian nyata") {
		t.Error("the drill incident's page does not say it is a drill")
	}
	resp, _ = s.as("jateng.analyst").get(loc)
	wantStatus(t, resp, 404, "another province's drill incident")
	if _, html = cj.get("/insiden"); strings.Contains(html, strings.TrimPrefix(loc, "/insiden/")) {
		t.Error("the real incident queue lists the drill incident")
	}
	if _, html = cj.get(page); !strings.Contains(html, `href="`+loc+`"`) {
		t.Error("the room's drill page does not link its drill incident")
	}
	resp, _ = cj.post(fmt.Sprintf("%s/%d/insiden/%d", page, runID, alertID), url.Values{})
	wantStatus(t, resp, 400, "promote the same alert twice (the page says why)")
	resp, _ = cj.post(fmt.Sprintf("%s/%d/eskalasi", page, runID), url.Values{"level": {"kecamatan"}})
	wantStatus(t, resp, 400, "escalate to an unknown level")
	resp, _ = cj.post(fmt.Sprintf("%s/%d/eskalasi", page, runID), url.Values{"level": {"national"}})
	wantStatus(t, resp, 303, "escalate")
	resp, _ = cj.post(fmt.Sprintf("%s/%d/laporan", page, runID), url.Values{"report": {"Injeksi SQL ke portal, ditangani."}})
	wantStatus(t, resp, 303, "report")
	resp, _ = cj.post(fmt.Sprintf("/ruang-operasi/diklat/putaran/%d/selesai", runID), url.Values{})
	wantStatus(t, resp, 403, "a room finishing its own drill")
	resp, _ = bssn.post(fmt.Sprintf("/ruang-operasi/diklat/putaran/%d/selesai", runID), url.Values{})
	wantStatus(t, resp, 303, "finish")
	_, html = bssn.get("/ruang-operasi/diklat")
	if !strings.Contains(html, "<strong>100</strong>") {
		t.Error("the drills' page does not show West Java's score of 100")
	}
	_, html = cj.get(page)
	if !strings.Contains(html, "Nilai: 100") {
		t.Error("the room's page does not show its score")
	}
}
