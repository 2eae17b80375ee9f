package web

import (
	"net/url"
	"strings"
	"testing"
)

func TestMISPPage(t *testing.T) {
	s := newSiteWith(t, Deps{})
	analyst, viewer := s.as("jabar.analyst"), s.as("jabar.viewer")
	resp, html := analyst.get("/intelijen/misp")
	wantStatus(t, resp, 200, "MISP page")
	for _, want := range []string{"/api/v1/misp/feeds/mitra/", "Belum ada langganan feed MISP.", "Langganan feed MISP mitra"} {
		if !strings.Contains(html, want) {
			t.Fatalf("MISP page lacks %q:\n%s", want, html)
		}
	}
	resp, html = analyst.post("/intelijen/misp", url.Values{"name": {"CSIRT Mitra"}, "url": {"ftp://x"}})
	wantStatus(t, resp, 400, "a bad URL")
	if !strings.Contains(html, "Langganan ditolak") || !strings.Contains(html, "CSIRT Mitra") {
		t.Fatalf("refusal:\n%s", html)
	}
	resp, _ = analyst.post("/intelijen/misp", url.Values{"name": {"CSIRT Mitra"}, "url": {"https://misp.mitra.example/feeds/garda/"},
		"headers": {"Authorization: rahasia-mitra"}, "every": {"360"}})
	wantStatus(t, resp, 303, "subscribe")
	resp, html = analyst.get("/intelijen/misp")
	wantStatus(t, resp, 200, "MISP page with a subscription")
	if !strings.Contains(html, "https://misp.mitra.example/feeds/garda/") || !strings.Contains(html, "belum pernah") || strings.Contains(html, "rahasia-mitra") {
		t.Fatalf("subscription row (the partner's token must never show):\n%s", html)
	}
	resp, html = viewer.get("/intelijen/misp")
	wantStatus(t, resp, 200, "a viewer's MISP page")
	if strings.Contains(html, "misp.mitra.example") || strings.Contains(html, "Langganan feed MISP mitra") {
		t.Fatal("a viewer sees the subscriptions or the form")
	}
	resp, _ = viewer.post("/intelijen/misp", url.Values{"name": {"x"}, "url": {"https://x.example/"}})
	wantStatus(t, resp, 403, "a viewer subscribes")
}
