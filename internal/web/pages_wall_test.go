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

// TestWallCountsBeyondList: the wall's counters and map are counted in
// SQL, not from the records it lists: with more open alerts than any list
// it reads (520 in West Java, 3 in Central Java, one RED) the national
// wall counts each one but the RED, lists the eight newest, and colours
// both provinces.
func TestWallCountsBeyondList(t *testing.T) {
	s := newSite(t)
	ids := roomIDs(t, s.db)
	ctx := context.Background()
	tree, err := org.Load(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(user, name, reg, tlp string) int64 {
		kind := "site"
		a, err := asset.Create(ctx, s.db, principal(t, s, user), tree, asset.Input{Name: &name, Kind: &kind, Region: &reg, TLP: &tlp})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	jabar, jateng := mk("jabar.analyst", "Portal KPU Jabar", "32", "GREEN"), mk("jateng.analyst", "Portal KPU Jateng", "33", "GREEN")
	red := mk("jabar.analyst", "Server rahasia", "32", "RED")
	var sigs []alert.Signal
	add := func(assetID int64, n int, sev string, ip func(i int) string) {
		for i := 0; i < n; i++ {
			sigs = append(sigs, alert.Signal{Scenario: "uji-layar", Title: "Percobaan " + ip(i), Severity: sev, Technique: "T1190",
				SourceIP: ip(i), AssetID: assetID, Time: time.Now().UTC(), Count: 1})
		}
	}
	add(jabar, 520, "medium", func(i int) string { return fmt.Sprintf("10.1.%d.%d", i/250, i%250+1) })
	add(jateng, 3, "high", func(i int) string { return fmt.Sprintf("10.2.0.%d", i+1) })
	add(red, 1, "critical", func(int) string { return "10.3.0.1" })
	if _, _, err := alert.Record(ctx, s.db, sigs); err != nil {
		t.Fatal(err)
	}
	resp, body := s.as("bssn.admin").get(fmt.Sprintf("/ruang-operasi/%d/layar/data", ids[""]))
	wantStatus(t, resp, 200, "the national wall's data")
	var st WallState
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("wall data: %v: %s", err, body)
	}
	if st.Counters.AlertsOpen != 523 || st.Counters.AlertsNew != 523 || st.Counters.AlertsHigh != 3 || st.Counters.AlertsMore {
		t.Errorf("national counters %+v, want 523 open and new, 3 high (the RED one left out)", st.Counters)
	}
	if len(st.Alerts) != 8 {
		t.Errorf("the wall lists %d alerts, want the 8 newest", len(st.Alerts))
	}
	levels := map[string]string{}
	for _, a := range st.Map {
		levels[a.Code] = a.Class
	}
	if !strings.HasPrefix(levels["32"], "lvl-") || levels["32"] == "lvl-none" || levels["33"] != "lvl-high" {
		t.Errorf("map: West Java %q, Central Java %q", levels["32"], levels["33"])
	}
}
