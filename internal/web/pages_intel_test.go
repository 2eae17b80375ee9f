package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
)

func TestIntelPages(t *testing.T) {
	s := newSiteWith(t, Deps{})
	ctx := context.Background()
	i, err := intel.Create(ctx, s.db, principal(t, s, "jabar.analyst"), intel.Input{Kind: intel.Domain, Value: "kpu-jabar-login.example", Name: "Phishing PPK", Detect: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := intel.AddSighting(ctx, s.db, principal(t, s, "jabar.analyst"), i.ID, intel.Seen{Count: 4, Region: "32.04"}); err != nil {
		t.Fatal(err)
	}
	red, err := intel.Create(ctx, s.db, principal(t, s, "jabar.analyst"), intel.Input{Kind: intel.IPv4, Value: "203.0.113.99", TLP: policy.Red})
	if err != nil {
		t.Fatal(err)
	}
	analyst, other := s.as("jabar.analyst"), s.as("jateng.analyst")

	resp, html := analyst.get("/intelijen?q=jabar-login&kind=domain-name&tlp=AMBER")
	wantStatus(t, resp, 200, "indicator search")
	if !strings.Contains(html, "kpu-jabar-login.example") || strings.Contains(html, "203.0.113.99") {
		t.Fatalf("search:\n%s", html)
	}
	resp, _ = analyst.get("/intelijen?kind=nope")
	wantStatus(t, resp, 400, "a bad filter")
	resp, html = other.get("/intelijen")
	wantStatus(t, resp, 200, "another province's list")
	if strings.Contains(html, "kpu-jabar-login.example") {
		t.Fatal("another province reads the AMBER indicator")
	}

	path := fmt.Sprintf("/intelijen/indikator/%d", i.ID)
	resp, html = analyst.get(path)
	wantStatus(t, resp, 200, "indicator page")
	for _, want := range []string{"[domain-name:value = &#39;kpu-jabar-login.example&#39;]", "Penampakan (4)", "Cabut indikator"} {
		if !strings.Contains(html, want) {
			t.Fatalf("indicator page lacks %q:\n%s", want, html)
		}
	}
	resp, _ = other.get(path)
	wantStatus(t, resp, 404, "another province's indicator")
	resp, _ = other.get(fmt.Sprintf("/intelijen/indikator/%d", red.ID))
	wantStatus(t, resp, 404, "a RED indicator of someone else")
	resp, _ = other.post(path+"/cabut", url.Values{"reason": {"no"}})
	wantStatus(t, resp, 404, "another province revokes")
	resp, _ = analyst.post(path+"/cabut", url.Values{"reason": {"a KPU proxy"}})
	wantStatus(t, resp, 303, "revoke")
	resp, html = analyst.get(path + "?selesai=cabut")
	wantStatus(t, resp, 200, "revoked indicator page")
	if !strings.Contains(html, "Dicabut") || strings.Contains(html, "Cabut indikator") {
		t.Fatalf("revoked page:\n%s", html)
	}
}

// TestIndicatorFromAlertPage: the alert page's one click makes the
// attacking address an indicator with the alert as its sighting.
func TestIndicatorFromAlertPage(t *testing.T) {
	s := newAlertSite(t)
	id := s.raise(sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar))[0]
	jabar := s.as("jabar.analyst")
	resp, page := jabar.get(alertPath(id))
	wantStatus(t, resp, 200, "alert page")
	wantIn(t, page, "alert page", fmt.Sprintf(`action="/intelijen/dari-peringatan/%d"`, id), "Jadikan alamat ini indikator")
	resp, _ = s.as("jateng.analyst").post(fmt.Sprintf("/intelijen/dari-peringatan/%d", id), nil)
	wantStatus(t, resp, 404, "another province's alert")
	resp, _ = jabar.post(fmt.Sprintf("/intelijen/dari-peringatan/%d", id), nil)
	wantStatus(t, resp, 303, "make an indicator")
	loc := resp.Header.Get("Location")
	resp, page = jabar.get(loc)
	wantStatus(t, resp, 200, "the new indicator")
	wantIn(t, page, "the new indicator", "203.0.113.7", "Penampakan (3)", "T1190", "Dari peringatan")
}

// TestIntelCreateForm: an analyst adds an indicator by hand; a bad value
// is refused with the reason and what was typed; a viewer has no form.
func TestIntelCreateForm(t *testing.T) {
	s := newSiteWith(t, Deps{})
	analyst := s.as("jabar.analyst")
	resp, html := analyst.get("/intelijen")
	wantStatus(t, resp, 200, "list")
	if !strings.Contains(html, "Tambah indikator") {
		t.Fatal("no form for an analyst")
	}
	resp, html = analyst.post("/intelijen", url.Values{"kind": {"ipv4-addr"}, "value": {"300.1.1.1"}, "tlp": {"AMBER"}, "detect": {"1"}})
	wantStatus(t, resp, 400, "a bad address")
	if !strings.Contains(html, "300.1.1.1") || !strings.Contains(html, "is not an IP address") {
		t.Fatalf("refusal:\n%s", html)
	}
	resp, _ = analyst.post("/intelijen", url.Values{"kind": {"domain-name"}, "value": {"Login-KPU.Example"}, "tlp": {"GREEN"}, "detect": {"1"}})
	wantStatus(t, resp, 303, "add")
	resp, html = analyst.get(resp.Header.Get("Location"))
	wantStatus(t, resp, 200, "the new indicator")
	if !strings.Contains(html, "login-kpu.example") || !strings.Contains(html, "TLP:GREEN") {
		t.Fatalf("new indicator:\n%s", html)
	}
	if _, html = s.as("jabar.viewer").get("/intelijen"); strings.Contains(html, "Tambah indikator") {
		t.Error("a viewer gets the form")
	}
}
