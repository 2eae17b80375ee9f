package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/detect/scenario"
	"github.com/garda-id/garda/internal/org"
)

// alertSite is a site with a coordinator (who may change the allow-list)
// and assets in West Java, Central Java and at national level.
type alertSite struct {
	*site
	jabar, jateng, national int64 // asset ids
}

func newAlertSite(t *testing.T) *alertSite {
	t.Helper()
	s := &alertSite{site: newSite(t)}
	ctx := context.Background()
	n := auth.NewUser{Username: "bssn.coord", DisplayName: "Koordinator BSSN", Org: "bssn", Role: "coordinator", Scope: "", Password: password("bssn.coord")}
	if _, err := auth.CreateUser(ctx, s.db, audit.System, n); err != nil {
		t.Fatal(err)
	}
	s.jabar = s.asset("jabar.analyst", "Sirekap Jawa Barat", "32.04")
	s.jateng = s.asset("jateng.analyst", "Portal KPU Jawa Tengah", "33")
	s.national = s.asset("kpu.analyst", "cekdptonline", "")
	return s
}

func (s *alertSite) asset(user, name, reg string) int64 {
	s.t.Helper()
	ctx := context.Background()
	tree, err := org.Load(ctx, s.db)
	if err != nil {
		s.t.Fatal(err)
	}
	kind := "web_app"
	a, err := asset.Create(ctx, s.db, principal(s.t, s.site, user), tree, asset.Input{Name: &name, Kind: &kind, Region: &reg})
	if err != nil {
		s.t.Fatal(err)
	}
	return a.ID
}

// sig is a signal as detection hands it over, with an HTTP request as its
// evidence.
func sig(scenarioID, severity, technique, ip string, assetID int64) alert.Signal {
	return alert.Signal{Scenario: scenarioID, Title: scenarioID + " (English title)", Severity: severity, Technique: technique,
		RuleIDs: []string{"942100"}, SourceIP: ip, AssetID: assetID, Time: time.Now().UTC().Add(-time.Minute), Count: 3, Line: 4211,
		Fields: map[string]string{"source.ip": ip, "http.request.method": "GET", "url.original": "/api/rekap?id=1' OR '1'='1",
			"http.response.status_code": "500", "user_agent.original": "sqlmap/1.7.2#stable", "url.domain": "sirekap.kpu.go.id"}}
}

func (s *alertSite) raise(sigs ...alert.Signal) []int64 {
	s.t.Helper()
	created, _, err := alert.Record(context.Background(), s.db, sigs)
	if err != nil {
		s.t.Fatal(err)
	}
	return created
}

func alertPath(id int64) string { return fmt.Sprintf("/pemantauan/peringatan/%d", id) }

// wantIn and wantNotIn check a page for pieces of HTML.
func wantIn(t *testing.T, page, what string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func wantNotIn(t *testing.T, page, what string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(page, b) {
			t.Errorf("%s shows %q", what, b)
		}
	}
}

func alertStatus(t *testing.T, s *alertSite, id int64) alert.Status {
	t.Helper()
	a, err := alert.Get(context.Background(), s.db, principal(t, s.site, "kpu.analyst"), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Status
}

func TestAlertQueue(t *testing.T) {
	s := newAlertSite(t)
	sqli := s.raise(sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar))[0]
	scan := s.raise(sig("http-scanner", "medium", "T1595.002", "198.51.100.9", s.jateng))[0]
	scrape := s.raise(sig("voter-data-scraping", "critical", "T1119", "192.0.2.44", s.national))[0]
	sigmaSig := sig("sigma-5f1e2d3c", "low", "T1083", "203.0.113.99", s.jabar)
	sigmaSig.Title = "Suspicious Access To Sensitive Directories"
	sigma := s.raise(sigmaSig)[0]

	t.Run("only visible alerts", func(t *testing.T) {
		jabar := s.as("jabar.analyst")
		resp, page := jabar.get("/pemantauan")
		wantStatus(t, resp, 200, "queue")
		wantIn(t, page, "West Java's queue", alertPath(sqli), "Percobaan injeksi SQL", "203.0.113.7", "Sirekap Jawa Barat", "Kabupaten Bandung",
			"Suspicious Access To Sensitive Directories", `class="sev sev-high"`, "TLP:AMBER", "WIB", `name="region" value="32"`, `aria-current="page"`)
		wantNotIn(t, page, "West Java's queue", alertPath(scan), alertPath(scrape), "198.51.100.9", "Portal KPU Jawa Tengah", "cekdptonline")

		jateng := s.as("jateng.analyst")
		_, page = jateng.get("/pemantauan")
		wantIn(t, page, "Central Java's queue", alertPath(scan))
		wantNotIn(t, page, "Central Java's queue", alertPath(sqli), "203.0.113.7", "Sirekap")
		for _, path := range []string{alertPath(sqli), alertPath(sqli) + "/baris", alertPath(999999), "/pemantauan/peringatan/abc"} {
			resp, page := jateng.get(path)
			wantStatus(t, resp, http.StatusNotFound, "GET "+path+" from another province")
			wantNotIn(t, page, path, "Sirekap", "203.0.113.7")
		}
		resp, _ = jateng.post(alertPath(sqli)+"/status", url.Values{"status": {"acknowledged"}})
		wantStatus(t, resp, http.StatusNotFound, "acknowledge another province's alert")
		resp, _ = jateng.post(alertPath(sqli)+"/blokir", url.Values{"duration": {"4h"}, "reason": {"x"}})
		wantStatus(t, resp, http.StatusNotFound, "block from another province's alert")
		_, page = jateng.get("/provinsi/32")
		wantNotIn(t, page, "West Java's page for Central Java", alertPath(sqli))
	})

	t.Run("filters", func(t *testing.T) {
		c := s.as("kpu.analyst")
		_, page := c.get("/pemantauan")
		wantIn(t, page, "national queue", alertPath(sqli), alertPath(scan), alertPath(scrape), alertPath(sigma), "4 kelompok ditampilkan")
		for _, tc := range []struct {
			query string
			want  []int64
		}{
			{"region=32", []int64{sqli, sigma}},
			{"region=33", []int64{scan}},
			{"severity=high", []int64{sqli, scrape}},
			{"severity=critical", []int64{scrape}},
			{"scenario=http-scanner", []int64{scan}},
			{"scenario=sigma-5f1e2d3c", []int64{sigma}},
			{"source_ip=203.0.113.7", []int64{sqli}},
			{"status=dismissed", nil},
			{"status=all&region=32&severity=medium", []int64{sqli}},
		} {
			resp, page := c.get("/pemantauan?" + tc.query)
			wantStatus(t, resp, 200, tc.query)
			for _, id := range []int64{sqli, scan, scrape, sigma} {
				want := false
				for _, w := range tc.want {
					want = want || w == id
				}
				if got := strings.Contains(page, `data-alert-id="`+strconv.FormatInt(id, 10)+`"`); got != want {
					t.Errorf("?%s: alert %d listed %v, want %v", tc.query, id, got, want)
				}
			}
		}
		_, page = c.get("/pemantauan?status=dismissed")
		wantIn(t, page, "empty queue", "Tidak ada peringatan yang cocok")
		resp, _ := c.get("/pemantauan?status=open")
		wantStatus(t, resp, http.StatusBadRequest, "unknown status")
		resp, _ = c.get("/pemantauan?region=99")
		wantStatus(t, resp, http.StatusBadRequest, "unknown region")
	})

	t.Run("live", func(t *testing.T) {
		c := s.as("jabar.analyst")
		_, page := c.get("/pemantauan?severity=medium")
		if !regexp.MustCompile(`data-live="/api/v1/alerts/stream\?last_event_id=\d+&amp;region=32&amp;severity=medium"`).MatchString(page) {
			t.Error("the live queue does not follow its filtered stream from when it was read")
		}
		wantIn(t, page, "live queue", `data-statuses="new,acknowledged"`,
			"data-live-prepend", "data-live-indicator", `data-label-on="Langsung"`, " hidden>")
		wantIn(t, page, "live queue", `data-live-key="group"`, `data-row="/pemantauan/peringatan/{id}/baris?severity=medium"`)
		resp, row := c.get(alertPath(sqli) + "/baris?severity=medium")
		wantStatus(t, resp, 200, "row fragment")
		if !strings.HasPrefix(strings.TrimSpace(row), `<tr data-id="203.0.113.7|`+strconv.FormatInt(s.jabar, 10)+`"`) || strings.Contains(row, "<html") {
			t.Errorf("row fragment is not one group row:\n%s", row)
		}
		wantIn(t, row, "row fragment", "Percobaan injeksi SQL", "203.0.113.7", "TLP:AMBER", `data-alert-id="`+strconv.FormatInt(sqli, 10)+`"`)
		// A group with nothing left in the queue's filters is not found:
		// the script greys its row out.
		resp, _ = c.get(alertPath(sqli) + "/baris?severity=critical")
		wantStatus(t, resp, http.StatusNotFound, "row fragment outside the filters")
	})

	t.Run("scenario titles in both languages", func(t *testing.T) {
		for _, d := range scenario.All() {
			if !hasMessage("scenario." + d.ID) {
				t.Errorf("scenario %s has no title in the UI", d.ID)
			}
		}
		c := s.as("kpu.analyst")
		c.post("/lang", url.Values{"lang": {"en"}, "next": {"/pemantauan"}})
		_, page := c.get("/pemantauan")
		wantIn(t, page, "English queue", "SQL injection attempt", "Voter-data scraping", "Suspicious Access To Sensitive Directories", "Source IP")
		wantNotIn(t, page, "English queue", "Percobaan injeksi SQL")
	})
}

func TestAlertPaging(t *testing.T) {
	s := newAlertSite(t)
	var sigs []alert.Signal
	for i := range alertPageSize + 5 {
		sigs = append(sigs, sig("http-probing", "medium", "T1595.003", fmt.Sprintf("203.0.113.%d", i+1), s.jabar))
	}
	s.raise(sigs...)
	c := s.as("jabar.analyst")
	_, page := c.get("/pemantauan")
	if n := strings.Count(page, "<tr data-id="); n != alertPageSize {
		t.Errorf("first page lists %d groups, want %d", n, alertPageSize)
	}
	m := regexp.MustCompile(`href="(/pemantauan\?[^"]*before=[0-9]+[^"]*)" rel="next"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no next-page link")
	}
	_, page = c.get(html.UnescapeString(m[1]))
	if n := strings.Count(page, "<tr data-id="); n != 5 {
		t.Errorf("second page lists %d groups, want 5", n)
	}
	wantIn(t, page, "second page", "203.0.113.1<", "Halaman pertama")
	wantNotIn(t, page, "second page", `rel="next"`, "data-live-prepend")
}

func TestAlertTriage(t *testing.T) {
	s := newAlertSite(t)
	id := s.raise(sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar))[0]
	brute := s.raise(sig("http-bruteforce", "high", "T1110.001", "203.0.113.8", s.jabar))[0]
	c := s.as("jabar.analyst")
	path := alertPath(id)

	t.Run("page", func(t *testing.T) {
		resp, page := c.get(path)
		wantStatus(t, resp, 200, "alert page")
		wantIn(t, page, "alert page", "Percobaan injeksi SQL", "http-sqli", `href="https://attack.mitre.org/techniques/T1190/"`, "942100",
			"3 kejadian", "Sirekap Jawa Barat", "KPU Provinsi Jawa Barat", `href="/provinsi/32"`,
			// the evidence, as a table of its ECS fields
			"GET", "/api/rekap?id=1&#39; OR &#39;1&#39;=&#39;1", ">500<", "sqlmap/1.7.2#stable", "url.domain: sirekap.kpu.go.id", "4211",
			// the actions of an analyst
			`action="`+path+`/status"`, `value="acknowledged"`, `name="reason"`, `action="`+path+`/blokir"`, `value="4h" selected`,
			"Peringatan #"+strconv.FormatInt(id, 10)+": Percobaan injeksi SQL", "Belum ada keputusan blokir")
		_, page = c.get(alertPath(brute))
		wantIn(t, page, "sub-technique", `href="https://attack.mitre.org/techniques/T1110/001/"`, `value="1h" selected`)
	})

	t.Run("viewer sees no actions and may not act", func(t *testing.T) {
		v := s.as("jabar.viewer")
		resp, page := v.get(path)
		wantStatus(t, resp, 200, "viewer reads the alert")
		wantNotIn(t, page, "viewer's alert page", `action="`+path+`/status"`, `action="`+path+`/blokir"`, "<button type=\"submit\" class=\"btn btn-primary\">Tandai")
		wantIn(t, page, "viewer's alert page", "hanya dapat membaca")
		for _, form := range []url.Values{{"status": {"acknowledged"}}, {"status": {"dismissed"}}, {"status": {"dismissed"}, "reason": {"x"}}} {
			resp, page := v.post(path+"/status", form)
			wantStatus(t, resp, http.StatusForbidden, "viewer triages")
			wantIn(t, page, "403 page", "Akses ditolak", "forbidden")
		}
		resp, _ = v.post(path+"/blokir", url.Values{"duration": {"4h"}, "reason": {"x"}})
		wantStatus(t, resp, http.StatusForbidden, "viewer blocks")
		if st := alertStatus(t, s, id); st != alert.New {
			t.Fatalf("a refused post changed the status to %s", st)
		}
	})

	t.Run("CSRF", func(t *testing.T) {
		for _, token := range []string{"", "forged"} {
			resp, page := c.post(path+"/status", url.Values{"status": {"acknowledged"}, "csrf": {token}})
			wantStatus(t, resp, http.StatusForbidden, "post without the token")
			wantIn(t, page, "CSRF refusal", "csrf_failed")
			resp, _ = c.post(path+"/blokir", url.Values{"duration": {"4h"}, "reason": {"x"}, "csrf": {token}})
			wantStatus(t, resp, http.StatusForbidden, "block without the token")
		}
		if st := alertStatus(t, s, id); st != alert.New {
			t.Fatalf("a refused post changed the status to %s", st)
		}
	})

	t.Run("acknowledge", func(t *testing.T) {
		resp, _ := c.post(path+"/status", url.Values{"status": {"acknowledged"}})
		wantStatus(t, resp, http.StatusSeeOther, "acknowledge")
		_, page := c.get(resp.Header.Get("Location"))
		wantIn(t, page, "acknowledged alert", `class="flash"`, "Ditangani", `value="new"`, "Buka kembali")
		if st := alertStatus(t, s, id); st != alert.Acknowledged {
			t.Fatalf("status %s", st)
		}
	})

	t.Run("dismiss needs a reason", func(t *testing.T) {
		resp, page := c.post(path+"/status", url.Values{"status": {"dismissed"}, "reason": {"  "}})
		wantStatus(t, resp, http.StatusBadRequest, "dismiss without a reason")
		i, j := strings.Index(page, `id="dismiss-reason"`), strings.Index(page, `class="field-error"`)
		if i < 0 || j < i || j-i > 400 {
			t.Error("the error is not shown next to the reason")
		}
		wantIn(t, page, "refused dismissal", "Isian ini wajib diisi")
		if st := alertStatus(t, s, id); st != alert.Acknowledged {
			t.Fatalf("status %s after a refused dismissal", st)
		}
		resp, _ = c.post(path+"/status", url.Values{"status": {"dismissed"}, "reason": {"Uji penetrasi resmi oleh tim KPU"}})
		wantStatus(t, resp, http.StatusSeeOther, "dismiss")
		if st := alertStatus(t, s, id); st != alert.Dismissed {
			t.Fatalf("status %s", st)
		}
		_, page = c.get(path)
		wantIn(t, page, "dismissed alert", "Diabaikan", "Uji penetrasi resmi oleh tim KPU")
		_, page = c.get("/pemantauan")
		wantNotIn(t, page, "open queue", `data-alert-id="`+strconv.FormatInt(id, 10)+`"`)
		_, page = c.get("/pemantauan?status=dismissed")
		wantIn(t, page, "dismissed queue", `data-alert-id="`+strconv.FormatInt(id, 10)+`"`)
	})

	t.Run("reopen", func(t *testing.T) {
		resp, _ := c.post(path+"/status", url.Values{"status": {"new"}})
		wantStatus(t, resp, http.StatusSeeOther, "reopen")
		if st := alertStatus(t, s, id); st != alert.New {
			t.Fatalf("status %s", st)
		}
		resp, _ = c.post(path+"/status", url.Values{"status": {"closed"}})
		wantStatus(t, resp, http.StatusBadRequest, "unknown status")
	})
}

func TestBlockFromAlert(t *testing.T) {
	s := newAlertSite(t)
	id := s.raise(sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar))[0]
	c := s.as("jabar.analyst")
	path := alertPath(id)
	ctx := context.Background()

	resp, page := c.post(path+"/blokir", url.Values{"type": {"ban"}, "duration": {"4h"}, "reason": {""}})
	wantStatus(t, resp, http.StatusBadRequest, "block without a reason")
	i, j := strings.Index(page, `id="ban-reason"`), strings.Index(page, `class="field-error"`)
	if i < 0 || j < i || j-i > 400 {
		t.Error("the error is not shown next to the reason")
	}

	resp, _ = c.post(path+"/blokir", url.Values{"type": {"ban"}, "duration": {"4h"}, "reason": {"Injeksi SQL ke Sirekap"}})
	wantStatus(t, resp, http.StatusSeeOther, "block the source")
	loc := resp.Header.Get("Location")
	if !strings.Contains(loc, "hasil=created") {
		t.Fatalf("redirected to %q", loc)
	}
	list, err := decision.List(ctx, s.db, principal(t, s.site, "kpu.analyst"), decision.Filter{AlertID: id})
	if err != nil || len(list) != 1 {
		t.Fatalf("decisions linked to the alert: %v %v", list, err)
	}
	d := list[0]
	if d.Value != "203.0.113.7" || d.Status != decision.Active || d.Origin != decision.OriginManual || d.Region == nil || *d.Region != "32.04" ||
		d.AssetID == nil || *d.AssetID != s.jabar || d.Reason != "Injeksi SQL ke Sirekap" {
		t.Fatalf("decision %+v", d)
	}
	_, page = c.get(loc)
	wantIn(t, page, "alert after blocking", `class="flash"`, fmt.Sprintf("Keputusan #%d dibuat: blokir 203.0.113.7 sampai", d.ID),
		`id="d-`+strconv.FormatInt(d.ID, 10)+`"`, "sisa 4 jam", fmt.Sprintf("Sudah diblokir oleh keputusan #%d (203.0.113.7)", d.ID))

	_, page = c.get("/pemantauan/keputusan")
	wantIn(t, page, "decisions page", `id="d-`+strconv.FormatInt(d.ID, 10)+`"`, "203.0.113.7", `href="`+path+`"`, "Injeksi SQL ke Sirekap",
		`action="/pemantauan/keputusan/`+strconv.FormatInt(d.ID, 10)+`/cabut"`)

	// A shorter block of the same address changes nothing.
	resp, _ = c.post(path+"/blokir", url.Values{"type": {"ban"}, "duration": {"1h"}, "reason": {"lagi"}})
	wantStatus(t, resp, http.StatusSeeOther, "block again")
	_, page = c.get(resp.Header.Get("Location"))
	wantIn(t, page, "covered block", fmt.Sprintf("Tidak ada yang berubah: keputusan #%d sudah berlaku", d.ID))

	// The allow-list wins: adding the range ends the block, and a new one is refused.
	coord := s.as("bssn.coord")
	resp, _ = coord.post("/pemantauan/allowlist", url.Values{"value": {"203.0.113.0/24"}, "reason": {"Pemindai resmi KPU"}, "expires_in": {""}})
	wantStatus(t, resp, http.StatusSeeOther, "allow the range")
	_, page = coord.get(resp.Header.Get("Location"))
	wantIn(t, page, "allow-list after adding", "203.0.113.0/24 ditambahkan", "1 keputusan untuk alamat ini diakhiri")
	resp, page = c.post(path+"/blokir", url.Values{"type": {"ban"}, "duration": {"4h"}, "reason": {"lagi"}})
	wantStatus(t, resp, http.StatusConflict, "block an allow-listed address")
	wantIn(t, page, "refused block", "allow-list")
}

func TestDecisionFlows(t *testing.T) {
	s := newAlertSite(t)
	ctx := context.Background()
	propose := func(ip, reg string) int64 {
		d, err := decision.Decide(ctx, s.db, decision.Proposal{IP: ip, Scenario: "http-xss", Region: reg})
		if err != nil || d.Outcome != decision.OutcomeProposed {
			t.Fatalf("propose %s: %+v %v", ip, d, err)
		}
		return d.ID
	}
	p1, p2 := propose("198.51.100.20", "32"), propose("198.51.100.21", "32")
	p3 := propose("198.51.100.22", "33")
	status := func(id int64) decision.Status {
		d, err := decision.Get(ctx, s.db, principal(t, s.site, "kpu.analyst"), id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}
	act := func(id int64, action string) string { return fmt.Sprintf("/pemantauan/keputusan/%d/%s", id, action) }
	c := s.as("jabar.analyst")

	resp, page := c.get("/pemantauan/keputusan")
	wantStatus(t, resp, 200, "decisions page")
	wantIn(t, page, "proposals", "198.51.100.20", "198.51.100.21", `action="`+act(p1, "setujui")+`"`, `action="`+act(p2, "tolak")+`"`,
		"Percobaan skrip lintas situs", "Otomatis", `id="blokir-manual"`,
		fmt.Sprintf(`<label for="reject-%d">`, p2), fmt.Sprintf(`<input id="reject-%d" name="reason"`, p2), `<summary class="btn btn-small">`)
	wantNotIn(t, page, "West Java's decisions", "198.51.100.22")

	t.Run("approve and revoke", func(t *testing.T) {
		resp, _ := c.post(act(p1, "setujui"), nil)
		wantStatus(t, resp, http.StatusSeeOther, "approve")
		_, page := c.get(resp.Header.Get("Location"))
		wantIn(t, page, "after approval", fmt.Sprintf("Usulan #%d disetujui: 198.51.100.20 diblokir sampai", p1), `action="`+act(p1, "cabut")+`"`, "sisa ",
			fmt.Sprintf(`<input id="revoke-%d" name="reason"`, p1), `<summary class="btn btn-danger btn-small">`)
		if st := status(p1); st != decision.Active {
			t.Fatalf("status %s", st)
		}
		resp, page = c.post(act(p1, "setujui"), nil)
		wantStatus(t, resp, http.StatusConflict, "approve twice")
		wantIn(t, page, "refused approval", fmt.Sprintf("Keputusan #%d tidak diubah", p1))

		resp, _ = c.post(act(p1, "cabut"), url.Values{"reason": {"Alamat kantor KPU Kota Bandung"}})
		wantStatus(t, resp, http.StatusSeeOther, "revoke")
		_, page = c.get(resp.Header.Get("Location"))
		wantIn(t, page, "after revoking", fmt.Sprintf("Keputusan #%d untuk 198.51.100.20 dicabut", p1), "Dicabut", "Alamat kantor KPU Kota Bandung")
		if st := status(p1); st != decision.Revoked {
			t.Fatalf("status %s", st)
		}
	})

	t.Run("reject", func(t *testing.T) {
		resp, _ := c.post(act(p2, "tolak"), url.Values{"reason": {"NAT operator seluler"}})
		wantStatus(t, resp, http.StatusSeeOther, "reject")
		_, page := c.get(resp.Header.Get("Location"))
		wantIn(t, page, "after rejecting", fmt.Sprintf("Usulan #%d untuk 198.51.100.21 ditolak", p2), "Ditolak", "NAT operator seluler", "Tidak ada usulan yang menunggu")
		if st := status(p2); st != decision.Rejected {
			t.Fatalf("status %s", st)
		}
	})

	t.Run("others may not", func(t *testing.T) {
		v := s.as("jabar.viewer")
		_, page := v.get("/pemantauan/keputusan")
		wantNotIn(t, page, "viewer's decisions page", "/setujui", "/cabut", `id="blokir-manual"`)
		resp, _ := v.post(act(p3, "setujui"), nil)
		wantStatus(t, resp, http.StatusNotFound, "viewer approves another province's proposal")
		resp, _ = v.post("/pemantauan/keputusan", url.Values{"value": {"192.0.2.1"}, "reason": {"x"}})
		wantStatus(t, resp, http.StatusForbidden, "viewer blocks")
		resp, _ = c.post(act(p3, "setujui"), nil)
		wantStatus(t, resp, http.StatusNotFound, "approve another province's proposal")
		resp, _ = c.post(act(p3, "hapus"), nil)
		wantStatus(t, resp, http.StatusNotFound, "unknown action")
		resp, _ = c.post(act(p3, "setujui"), url.Values{"csrf": {"forged"}})
		wantStatus(t, resp, http.StatusForbidden, "approve without the token")
		if st := status(p3); st != decision.Proposed {
			t.Fatalf("status %s", st)
		}
	})

	t.Run("manual block", func(t *testing.T) {
		resp, page := c.post("/pemantauan/keputusan", url.Values{"value": {"not-an-ip"}, "type": {"ban"}, "duration": {"4h"}, "region": {"32"}, "reason": {"x"}})
		wantStatus(t, resp, http.StatusBadRequest, "block an invalid value")
		i, j := strings.Index(page, `id="m-value"`), strings.Index(page, `class="field-error"`)
		if i < 0 || j < i || j-i > 400 {
			t.Error("the error is not shown next to the address")
		}
		wantIn(t, page, "refused block", `value="not-an-ip"`)
		resp, page = c.post("/pemantauan/keputusan", url.Values{"value": {"192.0.2.7"}, "type": {"ban"}, "duration": {"4h"}, "region": {"32.99"}, "reason": {"x"}})
		wantStatus(t, resp, http.StatusBadRequest, "block in an unknown region")
		wantIn(t, page, "refused block", "Kode wilayah &#34;32.99&#34; tidak dikenal", `name="region" value="32.99"`, `data-picker="/api/v1/regions"`)
		resp, _ = c.post("/pemantauan/keputusan", url.Values{"value": {"192.0.2.0/24"}, "type": {"captcha"}, "duration": {"1d"}, "region": {"32"}, "reason": {"Botnet scraping DPT"}})
		wantStatus(t, resp, http.StatusSeeOther, "manual block")
		_, page = c.get(resp.Header.Get("Location"))
		wantIn(t, page, "after the manual block", "dibuat: captcha 192.0.2.0/24 sampai", "Botnet scraping DPT", "Manual")
		_, page = c.get("/pemantauan/keputusan?ip=192.0.2.9")
		wantIn(t, page, "decisions for an address", "192.0.2.0/24")
		wantNotIn(t, page, "decisions for an address", "198.51.100.20")
		resp, _ = c.get("/pemantauan/keputusan?ip=nonsense")
		wantStatus(t, resp, http.StatusBadRequest, "filter on a non-address")
	})
}

func TestAllowListPages(t *testing.T) {
	s := newAlertSite(t)
	analyst := s.as("jabar.analyst")
	resp, page := analyst.get("/pemantauan/allowlist")
	wantStatus(t, resp, 200, "analyst reads the allow-list")
	wantNotIn(t, page, "analyst's allow-list", `action="/pemantauan/allowlist"`)
	resp, _ = analyst.post("/pemantauan/allowlist", url.Values{"value": {"198.51.100.1"}, "reason": {"x"}})
	wantStatus(t, resp, http.StatusForbidden, "analyst adds")
	resp, _ = s.as("jabar.viewer").get("/pemantauan/allowlist")
	wantStatus(t, resp, http.StatusForbidden, "viewer reads the allow-list")

	c := s.as("bssn.coord")
	_, page = c.get("/pemantauan/allowlist")
	wantIn(t, page, "coordinator's allow-list", `action="/pemantauan/allowlist"`, "Daftar izin kosong")
	resp, page = c.post("/pemantauan/allowlist", url.Values{"value": {"198.51.100.0/24"}, "reason": {""}, "expires_in": {"30d"}})
	wantStatus(t, resp, http.StatusBadRequest, "add without a reason")
	wantIn(t, page, "refused entry", `value="198.51.100.0/24"`, `value="30d" selected`, `class="field-error"`)
	resp, _ = c.post("/pemantauan/allowlist", url.Values{"value": {"198.51.100.0/24"}, "reason": {"Pemindai kerentanan milik KPU"}, "expires_in": {"30d"}})
	wantStatus(t, resp, http.StatusSeeOther, "add")
	_, page = c.get(resp.Header.Get("Location"))
	wantIn(t, page, "allow-list", "198.51.100.0/24 ditambahkan", "Pemindai kerentanan milik KPU", `data-confirm="Hapus 198.51.100.0/24`)
	m := regexp.MustCompile(`action="(/pemantauan/allowlist/[0-9]+/hapus)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no remove form")
	}
	resp, _ = c.post(m[1], url.Values{"csrf": {""}})
	wantStatus(t, resp, http.StatusForbidden, "remove without the token")
	resp, _ = c.post(m[1], nil)
	wantStatus(t, resp, http.StatusSeeOther, "remove")
	_, page = c.get(resp.Header.Get("Location"))
	wantIn(t, page, "after removing", "198.51.100.0/24 dihapus dari daftar izin", "Daftar izin kosong")
	_, page = c.get("/pemantauan/allowlist?semua=1")
	wantIn(t, page, "whole allow-list", "198.51.100.0/24", "Dihapus ")
	resp, _ = c.post(m[1], nil)
	wantStatus(t, resp, http.StatusNotFound, "remove twice")
}

var bouncerKey = regexp.MustCompile(`[0-9a-f]{64}`)

func TestBouncerPages(t *testing.T) {
	s := newAlertSite(t)
	admin := s.as("bssn.admin")
	resp, page := admin.get("/admin/bouncer")
	wantStatus(t, resp, 200, "bouncers")
	wantIn(t, page, "bouncer page", `href="/admin/bouncer"`, `action="/admin/bouncer"`, "Belum ada penegak blokir")

	resp, page = admin.post("/admin/bouncer", url.Values{"name": {"bad name!"}})
	wantStatus(t, resp, http.StatusBadRequest, "invalid name")
	wantIn(t, page, "refused bouncer", `value="bad name!"`, `class="field-error"`)

	resp, _ = admin.post("/admin/bouncer", url.Values{"name": {"nginx-sirekap-1"}, "csrf": {""}})
	wantStatus(t, resp, http.StatusForbidden, "add a bouncer without the token")
	resp, page = admin.post("/admin/bouncer", url.Values{"name": {"nginx-sirekap-1"}})
	wantStatus(t, resp, 200, "add a bouncer")
	key := bouncerKey.FindString(page)
	if key == "" {
		t.Fatal("the new bouncer's key is not shown")
	}
	wantIn(t, page, "new bouncer", "tidak akan ditampilkan lagi", "api_key: "+key, "nginx-sirekap-1", "Belum pernah")
	for _, path := range []string{"/admin/bouncer", "/", "/pemantauan/keputusan"} {
		_, page := admin.get(path)
		if strings.Contains(page, key) {
			t.Errorf("%s shows the bouncer key again", path)
		}
	}

	// The key works against the Local API, and its pull shows on the page.
	req, _ := http.NewRequest(http.MethodGet, s.ts.URL+"/v1/decisions/stream?startup=true", nil)
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("User-Agent", "crowdsec-custom-bouncer/v0.0.15")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("pull with the key: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	_, page = admin.get("/admin/bouncer")
	wantIn(t, page, "bouncer after a pull", "crowdsec-custom-bouncer/v0.0.15", "127.0.0.1")
	wantNotIn(t, page, "bouncer after a pull", "Belum pernah")

	analyst := s.as("kpu.analyst")
	resp, page = analyst.get("/admin/bouncer")
	wantStatus(t, resp, 200, "analyst lists bouncers")
	wantNotIn(t, page, "analyst's bouncer page", `action="/admin/bouncer"`, "/hapus")
	resp, _ = analyst.post("/admin/bouncer", url.Values{"name": {"sneaky"}})
	wantStatus(t, resp, http.StatusForbidden, "analyst adds a bouncer")
	resp, _ = s.as("jabar.viewer").get("/admin/bouncer")
	wantStatus(t, resp, http.StatusForbidden, "viewer lists bouncers")
	_, page = analyst.get("/")
	wantNotIn(t, page, "analyst's navigation", `href="/admin/bouncer"`)

	resp, page = admin.get("/admin/bouncer")
	wantIn(t, page, "bouncer list", `data-confirm="Hapus penegak blokir nginx-sirekap-1`)
	resp, _ = admin.post("/admin/bouncer/nginx-sirekap-1/hapus", nil)
	wantStatus(t, resp, http.StatusSeeOther, "delete")
	_, page = admin.get(resp.Header.Get("Location"))
	wantIn(t, page, "after deleting", "Penegak blokir nginx-sirekap-1 dihapus", "Belum ada penegak blokir")
	resp, _ = admin.post("/admin/bouncer/nginx-sirekap-1/hapus", nil)
	wantStatus(t, resp, http.StatusNotFound, "delete twice")
}

func TestMapBySeverity(t *testing.T) {
	s := newAlertSite(t)
	c := s.as("kpu.analyst")
	path := func(code string) *regexp.Regexp {
		return regexp.MustCompile(`<path data-region="` + code + `" class="([^"]*)"`)
	}
	_, page := c.get("/")
	wantIn(t, page, "legend", "Keparahan tertinggi item terbuka", "Tidak ada</li>", "Rendah</li>", "Sedang</li>", "Tinggi–Kritis</li>")
	wantNotIn(t, page, "overview", "belum tersedia", "(1–2)", "(10+)")
	if m := path("32").FindStringSubmatch(page); m == nil || m[1] != "lvl-none" {
		t.Fatalf("West Java before any alert: %v", m)
	}

	id := s.raise(sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar))[0]
	s.raise(sig("http-scanner", "medium", "T1595.002", "198.51.100.9", s.jateng))
	_, page = c.get("/")
	if m := path("32").FindStringSubmatch(page); m == nil || m[1] != "lvl-high" {
		t.Errorf("West Java with a high alert: %v", m)
	}
	if m := path("33").FindStringSubmatch(page); m == nil || m[1] != "lvl-medium" {
		t.Errorf("Central Java with a medium alert: %v", m)
	}
	wantIn(t, page, "overview table", `<a href="/pemantauan?region=32">1</a>`, `href="/pemantauan"`, `<span class="dot lvl-high"></span>Tinggi</td>`)

	_, page = c.get("/provinsi/32")
	wantIn(t, page, "province page", "Peringatan terbuka", alertPath(id), "Percobaan injeksi SQL", `href="/pemantauan?region=32"`, `class="lvl-high focus"`)
	_, page = c.get("/provinsi/34")
	wantIn(t, page, "a quiet province", "Tidak ada peringatan terbuka")

	// Dismissed, the alert no longer colours its province.
	jabar := s.as("jabar.analyst")
	jabar.get(alertPath(id))
	resp, _ := jabar.post(alertPath(id)+"/status", url.Values{"status": {"dismissed"}, "reason": {"positif palsu"}})
	wantStatus(t, resp, http.StatusSeeOther, "dismiss")
	_, page = c.get("/")
	if m := path("32").FindStringSubmatch(page); m == nil || m[1] != "lvl-none" {
		t.Errorf("West Java after dismissal: %v", m)
	}
}

// TestSurveillancePages visits every new page as several people and in
// both languages: the client checks each response for inline style,
// script and handlers, the CSP header, and untranslated messages.
func TestSurveillancePages(t *testing.T) {
	s := newAlertSite(t)
	id := s.raise(sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar))[0]
	authSig := sig("auth-bruteforce", "high", "T1110.001", "203.0.113.50", s.jabar)
	authSig.Fields = map[string]string{"source.ip": "203.0.113.50", "user.name": "root", "event.outcome": "failure", "message": "Failed password for root"}
	authID := s.raise(authSig)[0]
	if _, err := decision.Decide(context.Background(), s.db, decision.Proposal{IP: "198.51.100.20", Scenario: "voter-data-scraping", Region: "32", AlertID: id}); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/pemantauan", "/pemantauan?region=32.04&status=all", alertPath(id), alertPath(authID), alertPath(id) + "/baris",
		"/pemantauan/keputusan", "/pemantauan/allowlist", "/pemantauan/allowlist?semua=1", "/admin/bouncer", "/provinsi/32", "/"}
	for _, user := range []string{"jabar.analyst", "bssn.coord", "bssn.admin", "jabar.viewer", "kpu.analyst"} {
		for _, lang := range []string{langID, langEN} {
			c := s.as(user)
			c.post("/lang", url.Values{"lang": {lang}, "next": {"/"}})
			for _, p := range pages {
				resp, _ := c.get(p)
				if resp.StatusCode != 200 && resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s (%s) GET %s: status %d", user, lang, p, resp.StatusCode)
				}
			}
		}
	}
	c := s.as("jabar.analyst")
	_, page := c.get(alertPath(authID))
	wantIn(t, page, "authentication alert", "message: Failed password for root", "user.name: root", "Tebak kata sandi autentikasi")
	wantNotIn(t, page, "authentication alert", ">Metode<")

	_, page = c.get("/")
	wantIn(t, page, "navigation", `href="/pemantauan"`, `href="/pemantauan/keputusan"`, `href="/pemantauan/allowlist"`)
	if strings.Contains(page, `href="/pemantauan" class=" soon"`) || strings.Contains(page, `href="/pemantauan" class="soon"`) {
		t.Error("surveillance is still marked as coming soon")
	}
	_, page = s.as("jabar.viewer").get("/pemantauan")
	wantNotIn(t, page, "viewer's navigation", `href="/pemantauan/allowlist"`)
	wantIn(t, page, "viewer's queue", `aria-current="page"`, alertPath(id))
}

// TestQueueStream follows the queue's own stream URL with the browser's
// session, as the page's script does, and checks that an alert raised
// afterwards arrives for a reader who may see it and not for another.
func TestQueueStream(t *testing.T) {
	s := newAlertSite(t)
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv, err := New(Deps{DB: s.db, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	s.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(s.ts.Close)

	follow := func(user string) chan string {
		c := s.as(user)
		_, page := c.get("/pemantauan")
		m := regexp.MustCompile(`data-live="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("the queue names no stream")
		}
		sctx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(sctx, http.MethodGet, s.ts.URL+html.UnescapeString(m[1]), nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := c.hc.Do(req)
		if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%s follows %s: %v %v", user, m[1], res, err)
		}
		ch := make(chan string, 16)
		go func() {
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					var a struct {
						ID    int64  `json:"id"`
						Group string `json:"group"` // the queue's row to refresh
					}
					json.Unmarshal([]byte(d), &a)
					ch <- strconv.FormatInt(a.ID, 10) + " " + a.Group
				}
			}
		}()
		return ch
	}
	jabar, jateng := follow("jabar.analyst"), follow("jateng.analyst")
	id := s.raise(sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar))[0]
	alert.Notify(ctx, b, nil, id)
	select {
	case got := <-jabar:
		if got != strconv.FormatInt(id, 10)+" "+groupKey("203.0.113.7", s.jabar) {
			t.Fatalf("West Java's queue received alert %s, want %d", got, id)
		}
	case got := <-jateng:
		t.Fatalf("Central Java's queue received West Java's alert %s", got)
	case <-time.After(10 * time.Second):
		t.Fatal("the alert did not arrive on the queue's stream")
	}
	select {
	case got := <-jateng:
		t.Fatalf("Central Java's queue received West Java's alert %s", got)
	case <-time.After(300 * time.Millisecond):
	}
}
