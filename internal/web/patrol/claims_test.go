package patrol_test

import (
	"github.com/garda-id/garda/internal/web"
	"github.com/garda-id/garda/internal/web/webtest"
	"net/url"
	"strings"
	"testing"
)

// TestClaimPages writes a fact-check through the form, imports a CSV
// through the upload, searches with a narrative, and reads the claim page.
func TestClaimPages(t *testing.T) {
	s := webtest.NewSite(t, web.Deps{Version: "test"}.Handler)
	c := s.As("kpu.analyst")
	resp, body := c.Get("/klaim")
	webtest.WantStatus(t, resp, 200, "claims list")
	if !strings.Contains(body, "Klaim &amp; Cek Fakta") || !strings.Contains(body, `href="/klaim"`) {
		t.Errorf("list page lacks its title or nav entry")
	}
	resp, _ = c.Get("/klaim/baru")
	webtest.WantStatus(t, resp, 200, "new claim form")
	form := url.Values{"csrf": {c.CSRF}, "claim": {"Gempa 9,8 magnitudo guncang Labuan Bajo 4 April 2024"}, "rating": {"salah"}, "tlp": {"CLEAR"}, "region": {""}}
	resp, _ = c.Post("/klaim/baru", form)
	webtest.WantStatus(t, resp, 303, "create claim")
	where := resp.Header.Get("Location")
	resp, body = c.Get(where)
	webtest.WantStatus(t, resp, 200, "claim page")
	if !strings.Contains(body, "Labuan Bajo") || !strings.Contains(body, "ClaimReview") || !strings.Contains(body, "Salah") {
		t.Errorf("claim page lacks the claim, its rating or its JSON-LD")
	}
	// Bad input re-renders the form with the error, stores nothing.
	bad := url.Values{"csrf": {c.CSRF}, "claim": {""}, "rating": {"salah"}}
	resp, body = c.Post("/klaim/baru", bad)
	webtest.WantStatus(t, resp, 400, "empty claim")
	if !strings.Contains(body, "field-error") {
		t.Errorf("no field error shown")
	}

	c.Get("/klaim")
	resp, _ = c.Upload("/klaim/impor", [][2]string{{"region", ""}, {"tlp", "CLEAR"}}, "cek.csv",
		[]byte("id,claim,rating\nc1,Vaksin polio tidak berguna karena polio disebabkan racun,hoaks\n"))
	webtest.WantStatus(t, resp, 303, "import")
	resp, body = c.Get(resp.Header.Get("Location"))
	webtest.WantStatus(t, resp, 200, "list after import")
	if !strings.Contains(body, "Vaksin polio") {
		t.Errorf("imported claim not listed")
	}
	resp, body = c.Upload("/klaim/impor", nil, "bad.csv", []byte("id,text\n1,x\n"))
	webtest.WantStatus(t, resp, 400, "bad import")
	if !strings.Contains(body, `no &#34;claim&#34; column`) {
		t.Errorf("bad import not explained")
	}

	resp, body = c.Get("/klaim?q=" + url.QueryEscape("BARU SAJA GEMPA MAGNITUDE 9,8 GUNCANG LABUAN BAJO HINGGA TERBELAH AMBRUK"))
	webtest.WantStatus(t, resp, 200, "search")
	if !strings.Contains(body, where[:strings.Index(where, "?")]) || !strings.Contains(body, "n:9.8") {
		t.Errorf("search did not find the claim with its number")
	}

	// A viewer reads but does not write; an unknown id is 404.
	v := s.As("jabar.viewer")
	resp, _ = v.Get("/klaim/baru")
	webtest.WantStatus(t, resp, 403, "viewer's form")
	resp, _ = v.Get("/klaim/999999")
	webtest.WantStatus(t, resp, 404, "unknown claim")
}
