package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
	"github.com/garda-id/garda/internal/store"
)

// TestIndicatorPageShowsBlocks: an indicator marked for blocking shows the
// blocklist entry it made, and after revocation that the block is lifted.
func TestIndicatorPageShowsBlocks(t *testing.T) {
	s := newSiteWith(t, Deps{})
	ctx := context.Background()
	who := principal(t, s, "jabar.analyst")
	i, err := intel.Create(ctx, s.db, who, intel.Input{Kind: intel.Domain, Value: "sirekap-jabar.example", Block: true})
	if err != nil {
		t.Fatal(err)
	}
	b := &match.Blocker{DB: s.db}
	if res, err := b.Sync(ctx); err != nil || res.Made != 1 {
		t.Fatalf("sync %+v %v", res, err)
	}
	path := fmt.Sprintf("/intelijen/indikator/%d", i.ID)
	resp, html := s.as("jabar.analyst").get(path)
	wantStatus(t, resp, 200, "indicator page")
	for _, want := range []string{"Blokir", "Daftar blokir DNS", "sirekap-jabar.example", "berlaku"} {
		if !strings.Contains(html, want) {
			t.Fatalf("indicator page lacks %q:\n%s", want, html)
		}
	}
	if _, err := intel.Revoke(ctx, s.db, who, i.ID, "selesai"); err != nil {
		t.Fatal(err)
	}
	if res, err := b.Sync(ctx); err != nil || res.Lifted != 1 {
		t.Fatalf("sync %+v %v", res, err)
	}
	_, html = s.as("jabar.analyst").get(path)
	if strings.Contains(html, "berlaku") || !strings.Contains(html, "dicabut, kedaluwarsa") {
		t.Fatalf("indicator page after revocation:\n%s", html)
	}
}

// TestAlertQueueLinksIndicator: in the alert queue, an alert "Indikator
// dikenal" links to the indicator it was raised for, and the link leads to
// the indicator's page; other alerts link to no indicator.
func TestAlertQueueLinksIndicator(t *testing.T) {
	s := newAlertSite(t)
	who := principal(t, s.site, "jabar.analyst")
	i, err := intel.Create(context.Background(), s.db, who, intel.Input{Kind: intel.Domain, Value: "sirekap-palsu.example", Detect: true})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(i.ID)
	hit := sig(match.ScenarioPrefix+id, "medium", "", "203.0.113.7", s.jabar)
	hit.Title = match.Title
	s.raise(hit, sig("http-sqli", "high", "T1190", "203.0.113.8", s.jabar))
	c := s.as("jabar.analyst")
	resp, page := c.get("/pemantauan")
	wantStatus(t, resp, 200, "queue")
	link := `<a href="/intelijen/indikator/` + id + `" class="small">indikator #` + id + `</a>`
	wantIn(t, page, "queue", link)
	if n := strings.Count(page, `href="/intelijen/indikator/`); n != 1 {
		t.Errorf("%d indicator links in the queue, want 1 (the SQL injection alert has none)", n)
	}
	resp, page = c.get("/intelijen/indikator/" + id)
	wantStatus(t, resp, 200, "indicator page")
	wantIn(t, page, "indicator page", "sirekap-palsu.example")
}

// TestAlertPageShowsSightings: an alert "Indikator dikenal" stored with its
// sighting (match.SightAlerts, as the live detector does) lists the
// indicator on its page, linked; the indicator's page lists the sighting
// with a link back to the alert; another province's analyst, who may not
// read the indicator, sees neither.
func TestAlertPageShowsSightings(t *testing.T) {
	s := newAlertSite(t)
	ctx := context.Background()
	who := principal(t, s.site, "jabar.analyst")
	i, err := intel.Create(ctx, s.db, who, intel.Input{Kind: intel.IPv4, Value: "203.0.113.77", Detect: true})
	if err != nil {
		t.Fatal(err)
	}
	hit := sig(match.ScenarioPrefix+fmt.Sprint(i.ID), "medium", "", "203.0.113.77", s.jabar)
	hit.Title, hit.Count = match.Title, 1
	sigs := []alert.Signal{hit, hit}
	created, _, err := alert.RecordWith(ctx, s.db, sigs, func(ctx context.Context, tx *store.Tx, created, updated []int64) error {
		return match.SightAlerts(ctx, tx, sigs, append(created, updated...))
	})
	if err != nil || len(created) != 1 {
		t.Fatalf("record: %v %v", created, err)
	}
	c := s.as("jabar.analyst")
	resp, page := c.get(alertPath(created[0]))
	wantStatus(t, resp, 200, "alert page")
	wantIn(t, page, "alert page", "Penampakan indikator", fmt.Sprintf(`<a href="/intelijen/indikator/%d" class="mono">203.0.113.77</a>`, i.ID), "<td>2</td>")
	resp, page = c.get(fmt.Sprintf("/intelijen/indikator/%d", i.ID))
	wantStatus(t, resp, 200, "indicator page")
	wantIn(t, page, "indicator page", fmt.Sprintf(`<a href="/pemantauan/peringatan/%d">peringatan #%d</a>`, created[0], created[0]))
	// KPU Jawa Tengah's analyst reads no such alert, and no sighting of
	// the indicator anywhere.
	if resp, _ := s.as("jateng.analyst").get(alertPath(created[0])); resp.StatusCode != 404 {
		t.Fatalf("another province's analyst: %d", resp.StatusCode)
	}
	if as, err := intel.AlertSightings(ctx, s.db, principal(t, s.site, "jateng.analyst"), created[0]); err != nil || len(as) != 0 {
		t.Fatalf("another province's analyst reads the sighting: %+v %v", as, err)
	}
}
