package web

import (
	"strings"
	"testing"
)

// TestReportPage renders the daily report page, in both languages, and its
// downloads.
func TestReportPage(t *testing.T) {
	s := newSite(t)
	c := s.as(siteUsers[0].Username)
	resp, body := c.get("/laporan")
	wantStatus(t, resp, 200, "report page")
	if !strings.Contains(body, "format=pdf") || !strings.Contains(body, "format=md") {
		t.Errorf("the report page has no download links")
	}
	resp, body = c.get("/laporan?format=md")
	wantStatus(t, resp, 200, "markdown download")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") || body == "" {
		t.Errorf("markdown: %s", resp.Header.Get("Content-Type"))
	}
	resp, body = c.get("/laporan?format=pdf")
	wantStatus(t, resp, 200, "pdf download")
	if !strings.HasPrefix(body, "%PDF-") {
		t.Errorf("the PDF does not start with %%PDF-")
	}
	resp, body = c.get("/laporan?region=32")
	wantStatus(t, resp, 200, "a region's report")
	wantIn(t, body, "a region's report", `name="region" value="32"`, `data-picker="/api/v1/regions"`, "Kosongkan untuk semua wilayah")
	resp, body = c.get("/laporan?region=32.99")
	wantStatus(t, resp, 400, "an unknown region")
	wantIn(t, body, "report of an unknown region", "Kode wilayah &#34;32.99&#34; tidak dikenal")
	resp, _ = c.get("/laporan?date=not-a-date")
	wantStatus(t, resp, 400, "bad date")
}
