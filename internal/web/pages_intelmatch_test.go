package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
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
