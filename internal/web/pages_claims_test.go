package web

import (
	"net/url"
	"strings"
	"testing"
)

// TestClaimPages writes a fact-check through the form, imports a CSV
// through the upload, searches with a narrative, and reads the claim page.
func TestClaimPages(t *testing.T) {
	s := newSite(t)
	c := s.as("kpu.analyst")
	resp, body := c.get("/klaim")
	wantStatus(t, resp, 200, "claims list")
	if !strings.Contains(body, "Klaim &amp; Cek Fakta") || !strings.Contains(body, `href="/klaim"`) {
		t.Errorf("list page lacks its title or nav entry")
	}
	resp, _ = c.get("/klaim/baru")
	wantStatus(t, resp, 200, "new claim form")
	form := url.Values{"csrf": {c.CSRF}, "claim": {"Gempa 9,8 magnitudo guncang Labuan Bajo 4 April 2024"}, "rating": {"salah"}, "tlp": {"CLEAR"}, "region": {""}}
	resp, _ = c.post("/klaim/baru", form)
	wantStatus(t, resp, 303, "create claim")
	where := resp.Header.Get("Location")
	resp, body = c.get(where)
	wantStatus(t, resp, 200, "claim page")
	if !strings.Contains(body, "Labuan Bajo") || !strings.Contains(body, "ClaimReview") || !strings.Contains(body, "Salah") {
		t.Errorf("claim page lacks the claim, its rating or its JSON-LD")
	}
	// Bad input re-renders the form with the error, stores nothing.
	bad := url.Values{"csrf": {c.CSRF}, "claim": {""}, "rating": {"salah"}}
	resp, body = c.post("/klaim/baru", bad)
	wantStatus(t, resp, 400, "empty claim")
	if !strings.Contains(body, "field-error") {
		t.Errorf("no field error shown")
	}

	c.get("/klaim")
	resp, _ = c.upload("/klaim/impor", [][2]string{{"region", ""}, {"tlp", "CLEAR"}}, "cek.csv",
		[]byte("id,claim,rating\nc1,Vaksin polio tidak berguna karena polio disebabkan racun,hoaks\n"))
	wantStatus(t, resp, 303, "import")
	resp, body = c.get(resp.Header.Get("Location"))
	wantStatus(t, resp, 200, "list after import")
	if !strings.Contains(body, "Vaksin polio") {
		t.Errorf("imported claim not listed")
	}
	resp, body = c.upload("/klaim/impor", nil, "bad.csv", []byte("id,text\n1,x\n"))
	wantStatus(t, resp, 400, "bad import")
	if !strings.Contains(body, `no &#34;claim&#34; column`) {
		t.Errorf("bad import not explained")
	}

	resp, body = c.get("/klaim?q=" + url.QueryEscape("BARU SAJA GEMPA MAGNITUDE 9,8 GUNCANG LABUAN BAJO HINGGA TERBELAH AMBRUK"))
	wantStatus(t, resp, 200, "search")
	if !strings.Contains(body, where[:strings.Index(where, "?")]) || !strings.Contains(body, "n:9.8") {
		t.Errorf("search did not find the claim with its number")
	}

	// A viewer reads but does not write; an unknown id is 404.
	v := s.as("jabar.viewer")
	resp, _ = v.get("/klaim/baru")
	wantStatus(t, resp, 403, "viewer's form")
	resp, _ = v.get("/klaim/999999")
	wantStatus(t, resp, 404, "unknown claim")
}
