package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
)

// newIncidentSite is the alert site with a West Java coordinator, who may
// escalate and add participants.
func newIncidentSite(t *testing.T) *alertSite {
	t.Helper()
	s := newAlertSite(t)
	n := auth.NewUser{Username: "jabar.coord", DisplayName: "Koordinator Jabar", Org: "kpu-32", Role: "coordinator", Scope: "32", Password: password("jabar.coord")}
	if _, err := auth.CreateUser(context.Background(), s.db, audit.System, n); err != nil {
		t.Fatal(err)
	}
	return s
}

// incident opens an incident as user straight through the incident
// package, for tests about what pages do with it.
func (s *site) incident(user string, in incident.Input) incident.Incident {
	s.t.Helper()
	ctx := context.Background()
	tree, err := org.Load(ctx, s.db)
	if err != nil {
		s.t.Fatal(err)
	}
	i, err := incident.Create(ctx, s.db, principal(s.t, s, user), tree, in)
	if err != nil {
		s.t.Fatalf("incident %q as %s: %v", *in.Title, user, err)
	}
	return i
}

func strp(s string) *string { return &s }

var incidentLocation = regexp.MustCompile(`^/insiden/(INC-\d{4}-\d{6})`)

// created reads the incident a create redirected to.
func created(t *testing.T, resp *http.Response) string {
	t.Helper()
	wantStatus(t, resp, http.StatusSeeOther, "create incident")
	m := incidentLocation.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("create went to %q", resp.Header.Get("Location"))
	}
	return m[1]
}

func reportForm(s *alertSite) url.Values {
	return url.Values{"title": {"Deface portal Sirekap"}, "description": {"Halaman depan diganti."}, "category": {"intrusions"},
		"severity": {"high"}, "region": {"32.04"}, "tlp": {"AMBER"}, "pap": {"AMBER"}, "detected_at": {"2024-02-14T09:30"},
		"asset_ids": {strconv.FormatInt(s.jabar, 10)}}
}

func TestIncidentReportAndQueue(t *testing.T) {
	s := newIncidentSite(t)
	c := s.as("jabar.analyst")
	resp, page := c.get("/insiden/baru")
	wantStatus(t, resp, 200, "report form")
	wantIn(t, page, "report form", "Sirekap Jawa Barat", `name="detected_at"`, "Percobaan intrusi", `name="region" value="32"`, `data-picker="/api/v1/regions"`, `aria-current="page"`)
	wantNotIn(t, page, "report form", "Portal KPU Jawa Tengah")

	resp, _ = c.do(http.MethodPost, "/insiden/baru", reportForm(s))
	wantStatus(t, resp, http.StatusForbidden, "report without a CSRF token")

	bad := reportForm(s)
	bad.Set("title", " ")
	resp, page = c.post("/insiden/baru", bad)
	wantStatus(t, resp, http.StatusBadRequest, "report without a title")
	wantIn(t, page, "refused report", "Isian ini wajib diisi.", `class="field span-2 invalid"`, "Halaman depan diganti.")
	bad = reportForm(s)
	bad.Set("detected_at", "kemarin")
	resp, page = c.post("/insiden/baru", bad)
	wantStatus(t, resp, http.StatusBadRequest, "report with a bad time")
	wantIn(t, page, "refused report", "2024-02-14T09:30")
	bad = reportForm(s)
	bad.Set("region", "32.99")
	resp, page = c.post("/insiden/baru", bad)
	wantStatus(t, resp, http.StatusBadRequest, "report with an unknown region code")
	wantIn(t, page, "refused report", "Kode wilayah &#34;32.99&#34; tidak dikenal", `name="region" value="32.99"`)

	id := created(t, func() *http.Response { r, _ := c.post("/insiden/baru", reportForm(s)); return r }())
	resp, page = c.get("/insiden/" + id + "?dibuat=1")
	wantStatus(t, resp, 200, "incident page")
	wantIn(t, page, "incident page", "Deface portal Sirekap", "Intrusi", "Kabupaten Bandung", "Sirekap Jawa Barat", "2024-02-14 09:30 WIB",
		`class="sev sev-high"`, "TLP:AMBER", "PAP:AMBER", "Insiden "+id+" dibuat.", "jabar.analyst", "Linimasa", `action="/insiden/`+id+`/komentar"`)
	wantNotIn(t, page, "analyst's incident page", `/eskalasi"`, `/peserta"`)
	resp, _ = c.get("/insiden/" + strings.ToLower(id))
	wantStatus(t, resp, 200, "incident by lower-case id")

	resp, page = c.get("/insiden")
	wantStatus(t, resp, 200, "queue")
	wantIn(t, page, "West Java's queue", `href="/insiden/`+id+`"`, "Deface portal Sirekap", "Intrusi", `class="sev sev-high"`, "Baru", "WIB")
	_, page = c.get("/insiden?category=fraud")
	wantNotIn(t, page, "queue of another category", id)
	_, page = c.get("/insiden?status=closed")
	wantNotIn(t, page, "closed queue", id)
	resp, _ = c.get("/insiden?status=bogus")
	wantStatus(t, resp, http.StatusBadRequest, "unknown status filter")

	jateng := s.as("jateng.analyst")
	_, page = jateng.get("/insiden")
	wantNotIn(t, page, "Central Java's queue", id, "Deface")
	wantIn(t, page, "Central Java's queue", "Tidak ada insiden")
	for _, path := range []string{"/insiden/" + id, "/insiden/INC-2099-000001", "/insiden/abc", "/insiden/999999"} {
		resp, page := jateng.get(path)
		wantStatus(t, resp, http.StatusNotFound, "GET "+path+" from another province")
		wantNotIn(t, page, path, "Deface")
	}
	resp, _ = jateng.post("/insiden/"+id+"/komentar", url.Values{"body": {"halo"}})
	wantStatus(t, resp, http.StatusNotFound, "comment on another province's incident")

	viewer := s.as("jabar.viewer")
	resp, page = viewer.get("/insiden/" + id)
	wantStatus(t, resp, 200, "viewer's incident page")
	wantNotIn(t, page, "viewer's incident page", `/komentar"`, `/ubah"`)
	resp, _ = viewer.get("/insiden/baru")
	wantStatus(t, resp, http.StatusForbidden, "viewer's report form")
	resp, _ = viewer.post("/insiden/baru", reportForm(s))
	wantStatus(t, resp, http.StatusForbidden, "viewer's report")
}

func TestIncidentWork(t *testing.T) {
	s := newIncidentSite(t)
	c := s.as("jabar.analyst")
	c.get("/insiden/baru")
	id := created(t, func() *http.Response { r, _ := c.post("/insiden/baru", reportForm(s)); return r }())
	path := "/insiden/" + id

	resp, page := c.post(path+"/komentar", url.Values{"body": {""}})
	wantStatus(t, resp, http.StatusBadRequest, "empty comment")
	wantIn(t, page, "refused comment", "Isian ini wajib diisi.")
	resp, _ = c.post(path+"/komentar", url.Values{"body": {"Server sudah diisolasi dari jaringan."}})
	wantStatus(t, resp, http.StatusSeeOther, "comment")
	resp, _ = c.post(path+"/ubah", url.Values{"status": {"containment"}, "resolution": {""}})
	wantStatus(t, resp, http.StatusSeeOther, "status change")
	resp, page = c.post(path+"/ubah", url.Values{"status": {"resolved"}, "resolution": {""}})
	wantStatus(t, resp, http.StatusBadRequest, "resolve without a resolution")
	wantIn(t, page, "refused resolve", "Isian ini wajib diisi.", `class="field invalid"`)
	resp, page = c.post(path+"/ubah", url.Values{"assignee": {"nobody.here"}})
	wantStatus(t, resp, http.StatusBadRequest, "unknown assignee")
	wantIn(t, page, "refused assignee", `no user &#34;nobody.here&#34;`)
	resp, _ = c.post(path+"/ubah", url.Values{"assignee": {"jabar.coord"}})
	wantStatus(t, resp, http.StatusSeeOther, "assign")
	resp, _ = c.post(path+"/ubah", url.Values{"status": {"closed"}, "resolution": {"true_positive"}})
	wantStatus(t, resp, http.StatusForbidden, "analyst closes")

	_, page = c.get(path + "?ok=updated")
	wantIn(t, page, "worked incident", "Insiden diperbarui.", "Server sudah diisolasi dari jaringan.", "Status: Baru → Penahanan",
		"Penanggung jawab: — → jabar.coord", "(KPU Provinsi Jawa Barat)")
	iComment, iStatus := strings.Index(page, "Server sudah diisolasi"), strings.Index(page, "Status: Baru → Penahanan")
	if iComment < 0 || iStatus < iComment {
		t.Error("the timeline is not in order: the comment should come before the status change")
	}

	// Escalating is a coordinator's: a regency's incident gains the
	// province's KPU and Diskominfo.
	resp, _ = c.post(path+"/eskalasi", url.Values{"reason": {"meluas"}})
	wantStatus(t, resp, http.StatusForbidden, "analyst escalates")
	coord := s.as("jabar.coord")
	_, page = coord.get(path)
	wantIn(t, page, "coordinator's incident page", `/eskalasi"`, `/peserta"`, `value="closed"`)
	resp, page = coord.post(path+"/eskalasi", url.Values{"reason": {" "}})
	wantStatus(t, resp, http.StatusBadRequest, "escalate without a reason")
	wantIn(t, page, "refused escalation", "Isian ini wajib diisi.")
	resp, _ = coord.post(path+"/eskalasi", url.Values{"reason": {"Serangan meluas ke kabupaten lain."}})
	wantStatus(t, resp, http.StatusSeeOther, "escalate")
	inc, err := incident.Get(context.Background(), s.db, principal(t, s.site, "jabar.coord"), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"kpu-32", "diskominfo-32"} {
		if !slices.Contains(inc.Participants.Orgs, slug) {
			t.Errorf("after escalating, the participants %v lack %s", inc.Participants.Orgs, slug)
		}
	}
	_, page = coord.get(path)
	wantIn(t, page, "escalated incident", "Serangan meluas ke kabupaten lain.", "Eskalasi ke: Provinsi", "diskominfo-32", "Dieskalasi: Provinsi")

	resp, page = coord.post(path+"/peserta", url.Values{"orgs": {"no-such-org"}})
	wantStatus(t, resp, http.StatusBadRequest, "unknown participant")
	wantIn(t, page, "refused participant", `no organisation &#34;no-such-org&#34;`)
	resp, _ = coord.post(path+"/peserta", url.Values{"orgs": {"bawaslu"}})
	if resp.StatusCode != http.StatusSeeOther {
		// bawaslu may not be a standard organisation: use the national desk.
		resp, _ = coord.post(path+"/peserta", url.Values{"orgs": {"bssn"}})
		wantStatus(t, resp, http.StatusSeeOther, "add participants")
	}
	resp, _ = coord.post(path+"/ubah", url.Values{"status": {"closed"}, "resolution": {"true_positive"}})
	wantStatus(t, resp, http.StatusSeeOther, "coordinator closes")
	_, page = c.get("/insiden")
	wantNotIn(t, page, "open queue", `href="/insiden/`+id+`"`)
	_, page = c.get("/insiden?status=all")
	wantIn(t, page, "queue of any status", `href="/insiden/`+id+`"`, "Ditutup")
}

func TestPromoteAlertFromItsPage(t *testing.T) {
	s := newIncidentSite(t)
	aid := s.raise(sig("http-sqli", "critical", "T1190", "203.0.113.7", s.jabar))[0]
	_, page := s.as("jabar.viewer").get(alertPath(aid))
	wantNotIn(t, page, "viewer's alert page", `action="/insiden/baru"`)

	c := s.as("jabar.analyst")
	_, page = c.get(alertPath(aid))
	wantIn(t, page, "alert page", `action="/insiden/baru"`, `name="alert_id" value="`+strconv.FormatInt(aid, 10)+`"`, "Promosikan ke insiden",
		`href="/insiden/baru?alert_id=`+strconv.FormatInt(aid, 10)+`"`)
	resp, page := c.get("/insiden/baru?alert_id=" + strconv.FormatInt(aid, 10))
	wantStatus(t, resp, 200, "report form from an alert")
	wantIn(t, page, "report form from an alert", "Percobaan injeksi SQL", `name="alert_id" value="`+strconv.FormatInt(aid, 10)+`"`, `value="critical" selected`)
	resp, _ = s.as("jateng.analyst").get("/insiden/baru?alert_id=" + strconv.FormatInt(aid, 10))
	wantStatus(t, resp, http.StatusNotFound, "report form from another province's alert")

	id := created(t, func() *http.Response {
		r, _ := c.post("/insiden/baru", url.Values{"alert_id": {strconv.FormatInt(aid, 10)}})
		return r
	}())
	if st := alertStatus(t, s, aid); st != alert.Promoted {
		t.Errorf("the alert is %s after promoting", st)
	}
	_, page = c.get("/insiden/" + id)
	wantIn(t, page, "promoted incident", `href="`+alertPath(aid)+`"`, `class="sev sev-critical"`, "Sirekap Jawa Barat", "Kabupaten Bandung",
		"Peringatan dinaikkan: #"+strconv.FormatInt(aid, 10))
	_, page = c.get(alertPath(aid))
	wantIn(t, page, "promoted alert", "Dinaikkan ke insiden", "promoted to "+id)
	wantNotIn(t, page, "promoted alert", `action="/insiden/baru"`)

	resp, page = c.post("/insiden/baru", url.Values{"alert_id": {strconv.FormatInt(aid, 10)}})
	wantStatus(t, resp, http.StatusConflict, "promote twice")
	wantIn(t, page, "second promotion", "already promoted")
}

func TestIncidentPagesRender(t *testing.T) {
	s := newIncidentSite(t)
	c := s.as("jabar.analyst")
	c.get("/insiden/baru")
	id := created(t, func() *http.Response { r, _ := c.post("/insiden/baru", reportForm(s)); return r }())
	c.post("/insiden/"+id+"/komentar", url.Values{"body": {"catatan"}})
	aid := s.raise(sig("http-scanner", "medium", "T1595.002", "198.51.100.9", s.jabar))[0]
	pages := []string{"/insiden", "/insiden?status=all&region=32.04&severity=high&category=intrusions", "/insiden/" + id,
		"/insiden/baru", "/insiden/baru?alert_id=" + strconv.FormatInt(aid, 10), alertPath(aid), "/"}
	for _, user := range []string{"jabar.analyst", "jabar.coord", "jabar.viewer", "bssn.admin", "kpu.analyst"} {
		for _, lang := range []string{langID, langEN} {
			c := s.as(user)
			c.post("/lang", url.Values{"lang": {lang}, "next": {"/"}})
			for _, p := range pages {
				resp, _ := c.get(p)
				if resp.StatusCode != 200 && resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s (%s) GET %s: status %d", user, lang, p, resp.StatusCode)
				}
			}
		}
	}
	en := s.as("jabar.coord")
	en.post("/lang", url.Values{"lang": {langEN}, "next": {"/"}})
	_, page := en.get("/insiden/" + id)
	wantIn(t, page, "English incident page", "Timeline", "Intrusions", "Escalate", "Add participants", `lang="en"`)
	_, page = en.get("/insiden")
	wantIn(t, page, "English queue", "Incidents", "Last change", "Report an incident")

	_, page = c.get("/")
	wantIn(t, page, "navigation", `href="/insiden"`)
	if strings.Contains(page, `href="/insiden" class=" soon"`) || strings.Contains(page, `href="/insiden" class="soon"`) {
		t.Error("incidents are still marked as coming soon")
	}
	_, page = c.get("/insiden")
	wantIn(t, page, "queue", `aria-current="page"`)
}
