package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/org"
)

// TestWallDisplay: a room's wall shows its region's map, counters and
// newest alerts; a RED alert its viewer may read stays off the wall (not
// listed, not counted); another province's wall is not found; the state
// the script redraws from says the same as the page.
func TestWallDisplay(t *testing.T) {
	s := newSite(t)
	ids := roomIDs(t, s.db)
	ctx := context.Background()
	tree, err := org.Load(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	jabar := principal(t, s, "jabar.analyst")
	mk := func(name, tlp string) int64 {
		kind, reg := "site", "32"
		a, err := asset.Create(ctx, s.db, jabar, tree, asset.Input{Name: &name, Kind: &kind, Region: &reg, TLP: &tlp})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	green, red := mk("Portal KPU Jabar", "GREEN"), mk("Server rahasia", "RED")
	sig := func(assetID int64, title, ip string) alert.Signal {
		return alert.Signal{Scenario: "uji-layar", Title: title, Severity: "high", Technique: "T1190",
			SourceIP: ip, AssetID: assetID, Time: time.Now().UTC(), Count: 1}
	}
	if _, _, err := alert.Record(ctx, s.db, []alert.Signal{sig(green, "Injeksi SQL di portal", "103.9.9.1"), sig(red, "Rahasia merah", "103.9.9.2")}); err != nil {
		t.Fatal(err)
	}
	// The analyst reads both alerts on their own screen...
	mine, err := alert.List(ctx, s.db, jabar, alert.Filter{Region: "32"})
	if err != nil || len(mine) != 2 {
		t.Fatalf("jabar.analyst reads %d alerts (%v), want 2 (the RED one as a named user)", len(mine), err)
	}
	// ...but the wall, a shared screen, shows only the GREEN one.
	c := s.as("jabar.analyst")
	path := fmt.Sprintf("/ruang-operasi/%d/layar", ids["32"])
	resp, html := c.get(path)
	wantStatus(t, resp, 200, "own room's wall")
	if n := strings.Count(html, "<path data-region="); n != 38 {
		t.Errorf("wall map has %d provinces, want 38", n)
	}
	for _, want := range []string{`data-counter="alerts_open">1<`, `data-counter="alerts_new">1<`, "Injeksi SQL di portal", "wall.js", "/api/v1/alerts/stream?region=32", `data-region="32" class="lvl-high"`} {
		if !strings.Contains(html, want) {
			t.Errorf("wall lacks %q", want)
		}
	}
	if strings.Contains(html, "Rahasia merah") || strings.Contains(html, "Server rahasia") {
		t.Error("a RED alert shows on the wall")
	}
	if strings.Contains(html, `class="nav`) {
		t.Error("the wall carries the navigation")
	}
	resp, body := c.get(path + "/data")
	wantStatus(t, resp, 200, "wall data")
	var st WallState
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("wall data: %v: %s", err, body)
	}
	if st.Counters.AlertsOpen != 1 || len(st.Alerts) != 1 || st.Alerts[0].Title != "Injeksi SQL di portal" || st.EventID == 0 {
		t.Errorf("wall data: %+v", st)
	}
	if strings.Contains(body, "Rahasia") {
		t.Error("the wall's data carries the RED alert")
	}
	// Another province's wall is not found; the national wall shows the
	// GREEN alert to a national reader.
	resp, _ = s.as("jateng.analyst").get(path)
	wantStatus(t, resp, 404, "another province's wall")
	resp, _ = s.as("jateng.analyst").get(path + "/data")
	wantStatus(t, resp, 404, "another province's wall data")
	resp, html = s.as("kpu.analyst").get(fmt.Sprintf("/ruang-operasi/%d/layar", ids[""]))
	wantStatus(t, resp, 200, "national wall")
	if !strings.Contains(html, "Injeksi SQL di portal") || strings.Contains(html, "Rahasia merah") {
		t.Error("the national wall does not show the province's GREEN alert, or shows the RED one")
	}
}
