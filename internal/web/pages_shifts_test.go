package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/shift"
	"github.com/garda-id/garda/internal/store"
)

// TestShiftPages: a province's lead checks in, ticks the checklist, reads
// the handover, drafts and sends the shift's report through the pages; the
// national room's roll-up draws 38 provinces coloured by posture and report
// age with Jawa Barat's report fresh; another province's reader gets 404 on
// every shift page and API of the room.
func TestShiftPages(t *testing.T) {
	s := newSite(t)
	ids := roomIDs(t, s.db)
	ctx := context.Background()
	jabar := principal(t, s, "jabar.analyst")
	if err := room.AddMember(ctx, s.db, audit.System, ids["32"], jabar.User.ID, "lead"); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/ruang-operasi/%d", ids["32"])
	c := s.as("jabar.analyst")
	resp, html := c.get(base + "/sif")
	wantStatus(t, resp, 200, "shift page")
	if !strings.Contains(html, "/sif/masuk") || !strings.Contains(html, "Daftar periksa deteksi dini") {
		t.Error("the shift page lacks the check-in or the checklist")
	}
	resp, _ = c.post(base+"/sif/masuk", url.Values{})
	wantStatus(t, resp, 303, "check in")
	resp, _ = c.post(base+"/sif/masuk", url.Values{})
	wantStatus(t, resp, 409, "check in twice")
	resp, _ = c.post(base+"/sif/periksa", url.Values{"item": {"antrean_peringatan"}, "note": {"kosong"}})
	wantStatus(t, resp, 303, "tick")
	resp, _ = c.post(base+"/sif/periksa", url.Values{"item": {"bukan"}})
	wantStatus(t, resp, 400, "tick an unknown item")
	_, html = c.get(base + "/sif")
	if !strings.Contains(html, `data-on-duty>1<`) || !strings.Contains(html, "/sif/keluar") || !strings.Contains(html, "data-short") {
		t.Error("after check-in the page does not show one on duty, the check-out, or the shortage")
	}
	resp, html = c.get(base + "/serah-terima")
	wantStatus(t, resp, 200, "handover page")
	if !strings.Contains(html, `data-kind="alert"`) || !strings.Contains(html, `data-kind="patrol"`) {
		t.Error("the handover lacks its sections")
	}
	resp, _ = c.post(base+"/serah-terima/catatan", url.Values{"sif": {"now"}, "notes": {"Awasi situs KPU"}})
	wantStatus(t, resp, 303, "notes")
	_, html = c.get(base + "/serah-terima?sif=now")
	if !strings.Contains(html, "Awasi situs KPU") {
		t.Error("the handover lacks the notes")
	}
	cur, err := shift.Get(ctx, s.db, jabar, ids["32"], "now", store.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = c.post(base+"/laporan/"+cur.Name+"/draf", url.Values{})
	wantStatus(t, resp, 303, "draft")
	resp, html = c.get(base + "/laporan/" + cur.Name)
	wantStatus(t, resp, 200, "report page")
	if !strings.Contains(html, "data-counts") || !strings.Contains(html, "/kirim") {
		t.Error("the report page lacks its figures or the send form")
	}
	resp, _ = c.post(base+"/laporan/"+cur.Name+"/kirim", url.Values{"summary": {"Aman terkendali."}})
	wantStatus(t, resp, 303, "send")
	_, html = c.get(base + "/laporan/" + cur.Name)
	if !strings.Contains(html, "Aman terkendali.") || strings.Contains(html, "/kirim") {
		t.Error("the sent report lacks the summary or still offers sending")
	}

	// The national roll-up, read by KPU RI (the national room's partner).
	resp, html = s.as("kpu.analyst").get(fmt.Sprintf("/ruang-operasi/%d/laporan", ids[""]))
	wantStatus(t, resp, 200, "national roll-up")
	if n := strings.Count(html, "<path data-region="); n != 38 {
		t.Errorf("roll-up map has %d provinces", n)
	}
	if !strings.Contains(html, `data-region="32" class="lvl-`) || !strings.Contains(html, " age-fresh") || !strings.Contains(html, " age-stale") {
		t.Error("the roll-up map does not colour Jawa Barat by posture with a fresh report and the others stale")
	}
	if !strings.Contains(html, "Ruang Operasi Provinsi Jawa Barat") || !strings.Contains(html, "data-rollup") {
		t.Error("the roll-up table lacks Jawa Barat")
	}

	// Another province sees none of it.
	j := s.as("jateng.analyst")
	for _, path := range []string{base + "/sif", base + "/serah-terima", base + "/laporan", base + "/laporan/" + cur.Name} {
		resp, _ = j.get(path)
		wantStatus(t, resp, 404, "jateng reads "+path)
	}
	resp, _ = j.post(base+"/sif/masuk", url.Values{})
	wantStatus(t, resp, 404, "jateng checks in to jabar")
	resp, _ = j.get(fmt.Sprintf("/ruang-operasi/%d/laporan", ids[""]))
	wantStatus(t, resp, 404, "jateng reads the national roll-up")
}
