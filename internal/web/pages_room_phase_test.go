package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestRoomPhaseEffects: a national coordinator enters a phase running
// today through the form, naming Sirekap and focus words; West Java's room
// page then lists its Sirekap asset with the siaga scan cadence, the alert
// the phase raised and the patrol's focus words, and not Central Java's
// asset; the rooms' list says the same for WIB. With no phase, the page
// says nothing runs.
func TestRoomPhaseEffects(t *testing.T) {
	s := newAlertSite(t) // bssn.coord, and West Java's "Sirekap Jawa Barat" in 32.04
	ids := roomIDs(t, s.db)
	ctx := context.Background()
	page := fmt.Sprintf("/ruang-operasi/%d", ids["32"])
	_, html := s.as("jabar.analyst").get(page)
	wantIn(t, html, "room page without a phase", "Tidak ada fase yang berjalan", "Tidak ada kata fokus patroli sekarang.")

	tree, err := org.Load(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	sys := []string{"Sirekap"}
	for user, id := range map[string]int64{"jabar.analyst": s.jabar, "jateng.analyst": s.jateng} {
		if _, err := asset.Update(ctx, s.db, principal(t, s.site, user), tree, id, asset.Input{Systems: &sys}); err != nil {
			t.Fatal(err)
		}
	}
	coord := s.as("bssn.coord")
	coord.get("/ruang-operasi")
	resp, _ := coord.post("/ruang-operasi/kalender/pemilihan", url.Values{"slug": {"psu-uji"}, "name": {"PSU uji"}})
	wantStatus(t, resp, 303, "enter an election")
	today := time.Now().In(calendar.WIB)
	resp, _ = coord.post("/ruang-operasi/kalender/tahapan", url.Values{"election": {"psu-uji"}, "key": {"rekap"}, "name": {"Rekapitulasi ulang"},
		"start": {today.AddDate(0, 0, -1).Format(calendar.DateLayout)}, "end": {today.AddDate(0, 0, 1).Format(calendar.DateLayout)},
		"posture": {"siaga"}, "critical": {"Sirekap"}, "focus": {"penggelembungan suara, C1"}})
	wantStatus(t, resp, 303, "enter a phase with focus words")
	raised := s.raise(sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar))[0]
	a, err := alert.Get(ctx, s.db, principal(t, s.site, "jabar.analyst"), raised)
	if err != nil || a.Priority != "critical" {
		t.Fatalf("alert during the entered phase: %v, priority %q", err, a.Priority)
	}

	_, html = s.as("jabar.analyst").get(page)
	wantIn(t, html, "West Java's room page", "Dampak fase kalender di wilayah ini",
		"Sistem yang diutamakan: Sirekap. Peringatan pada asetnya naik satu tingkat prioritas; asetnya dipindai setiap 6h.",
		fmt.Sprintf(`href="/aset/%d">Sirekap Jawa Barat</a>`, s.jabar), "1 peringatan terbuka naik prioritas karena fase ini",
		"Kata fokus patroli: penggelembungan suara, C1.", `href="/patroli?focus=true&amp;region=32"`)
	wantNotIn(t, html, "West Java's room page", "Portal KPU Jawa Tengah")
	_, html = s.as("kpu.analyst").get("/ruang-operasi")
	wantIn(t, html, "rooms' list", "asetnya dipindai setiap 6h (WIB)", "Kata fokus patroli sekarang (WIB):", "penggelembungan suara, C1")
	resp, body := s.as("kpu.analyst").get("/api/v1/calendar")
	wantStatus(t, resp, 200, "calendar API")
	if !strings.Contains(body, `"focus":["penggelembungan suara","C1"]`) || !strings.Contains(body, `"scan_every":"6h"`) {
		t.Errorf("calendar API lacks focus or scan_every: %s", body)
	}
}

// TestAssetSystemsAPI: systems go in and out over the API; a bad list is
// 400 and changes nothing.
func TestAssetSystemsAPI(t *testing.T) {
	db := storetest.SQLite(t)
	w := newAPIWorld(t, db)
	var a asset.Asset
	w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"Sirekap Jabar","kind":"web_app","region":"32","systems":["Sirekap","situs KPU"]}`, 201, &a)
	if strings.Join(a.Systems, ",") != "Sirekap,situs KPU" {
		t.Errorf("created systems %q", a.Systems)
	}
	w.call("jabar.analyst", "PATCH", fmt.Sprintf("/api/v1/assets/%d", a.ID), `{"systems":["Sirekap","SIREKAP"]}`, 400, nil)
	var got asset.Asset
	w.call("jabar.analyst", "GET", fmt.Sprintf("/api/v1/assets/%d", a.ID), "", 200, &got)
	if strings.Join(got.Systems, ",") != "Sirekap,situs KPU" {
		t.Errorf("after a refused change: systems %q", got.Systems)
	}
}

// TestAssetSystemsPages: the asset's page shows its systems, the form
// offers the calendar's systems and stores what is typed.
func TestAssetSystemsPages(t *testing.T) {
	s := newAlertSite(t)
	c := s.as("jabar.analyst")
	edit := fmt.Sprintf("/aset/%d/ubah", s.jabar)
	resp, html := c.get(edit)
	wantStatus(t, resp, 200, "asset form")
	wantIn(t, html, "asset form", `name="systems"`, `<option value="Sirekap API">`, "Sistem pemilu")
	resp, _ = c.post(edit, url.Values{"name": {"Sirekap Jawa Barat"}, "kind": {"web_app"}, "region": {"32.04"}, "owner": {"kpu-32"},
		"criticality": {"high"}, "tlp": {"AMBER"}, "systems": {"Sirekap,  situs KPU ,"}})
	wantStatus(t, resp, 303, "save the form")
	_, html = c.get(fmt.Sprintf("/aset/%d", s.jabar))
	wantIn(t, html, "asset page", "Sistem pemilu", "Sirekap, situs KPU", "Tidak kritis pada fase yang berjalan.")
	resp, html = c.post(edit, url.Values{"name": {"Sirekap Jawa Barat"}, "kind": {"web_app"}, "region": {"32.04"}, "owner": {"kpu-32"},
		"criticality": {"high"}, "tlp": {"AMBER"}, "systems": {"Sirekap, sirekap"}})
	wantStatus(t, resp, 400, "a system twice")
	wantIn(t, html, "refused form", "Sistem ditulis dua kali")
}
