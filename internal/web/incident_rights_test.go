package web

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestOperatorReportsToEscalationRequest: a regency's operator takes an
// incident from report to escalation request with evidence, through the
// forms as a browser posts them (the CSRF token read from each page). The
// page shows the operator exactly the forms the store accepts; the
// province's coordinator is told of the report and of the request and
// escalates; the province's operation room then works the incident and
// closes its task.
func TestOperatorReportsToEscalationRequest(t *testing.T) {
	s := newSiteWith(t, Deps{DataDir: t.TempDir()})
	ctx := context.Background()
	for _, n := range []auth.NewUser{
		{Username: "operator.bandung", DisplayName: "Operator Bandung", Org: "kpu-32.04", Role: "operator", Scope: "32.04"},
		{Username: "koordinator.jabar", DisplayName: "Koordinator Jabar", Org: "kpu-32", Role: "coordinator", Scope: "32"},
		{Username: "operator.jabar", DisplayName: "Operator Diskominfo Jabar", Org: "diskominfo-32", Role: "operator", Scope: "32"},
	} {
		n.Password = password(n.Username)
		if _, err := auth.CreateUser(ctx, s.db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}

	// The report.
	op := s.as("operator.bandung")
	resp, body := op.get("/insiden/baru")
	wantStatus(t, resp, 200, "the report form")
	resp, body = op.post("/insiden/baru", url.Values{"title": {"Situs KPU Kabupaten Bandung di-deface"}, "description": {"Halaman depan diganti"},
		"category": {"intrusions"}, "severity": {"high"}, "region": {"32.04"}, "tlp": {"AMBER"}, "pap": {"AMBER"}})
	wantStatus(t, resp, 303, "report: "+body)
	page, _, _ := strings.Cut(resp.Header.Get("Location"), "?")
	humanID := strings.TrimPrefix(page, "/insiden/")

	// The operator's page: the working forms, none of the decisions.
	resp, body = op.get(page)
	wantStatus(t, resp, 200, "the operator's incident page")
	wantIn(t, body, "the operator's page", `action="`+page+`/observabel"`, `action="`+page+`/bukti"`, `action="`+page+`/komentar"`, `action="`+page+`/minta-eskalasi"`)
	wantNotIn(t, body, "the operator's page", `action="`+page+`/eskalasi"`, `action="`+page+`/label"`, `action="`+page+`/gabung"`,
		`action="`+page+`/peserta"`, `action="`+page+`/ubah"`, `action="`+page+`/tugas"`, "tidak mengizinkan tindakan di sini")

	// Evidence, an observable, a comment.
	resp, body = op.upload(page+"/bukti", nil, "tangkapan-layar.png", []byte("\x89PNG\r\n\x1a\nscreenshot"))
	wantStatus(t, resp, 303, "the operator's evidence: "+body)
	resp, body = op.post(page+"/observabel", url.Values{"type": {"ip"}, "value": {"203.0.113.7"}, "note": {"alamat penyerang di log"}})
	wantStatus(t, resp, 303, "the operator's observable: "+body)
	// A mention of someone who may not read it: the page says who was not told and why.
	resp, _ = op.post(page+"/komentar", url.Values{"body": {"@koordinator.jabar @jateng.analyst mohon dicek"}})
	wantStatus(t, resp, 303, "comment")
	_, body = op.get(resp.Header.Get("Location"))
	wantIn(t, html.UnescapeString(body), "the comment's confirmation", "Komentar ditambahkan.", "Tidak diberi tahu: @jateng.analyst (tidak berhak membaca insiden ini")
	wantNotIn(t, html.UnescapeString(body), "the comment's confirmation", "@koordinator.jabar (")

	// The decision refused: escalating is the coordinator's.
	resp, _ = op.post(page+"/eskalasi", url.Values{"reason": {"sekarang"}})
	wantStatus(t, resp, 403, "the operator escalates")
	// The request: without a reason the form says so; with one it is sent.
	resp, body = op.post(page+"/minta-eskalasi", url.Values{"reason": {""}})
	wantStatus(t, resp, 400, "a request without a reason")
	wantIn(t, body, "the refused request", `class="field invalid`)
	resp, _ = op.post(page+"/minta-eskalasi", url.Values{"reason": {"Situs resmi di masa kampanye: perlu provinsi"}})
	wantStatus(t, resp, 303, "the escalation request")
	_, body = op.get(resp.Header.Get("Location"))
	wantIn(t, body, "the request's confirmation", "Permintaan eskalasi dikirim", "Eskalasi diminta", "Situs resmi di masa kampanye: perlu provinsi")

	// The province's coordinator was told of the report and of the request.
	coord := s.as("koordinator.jabar")
	_, body = coord.get("/kotak-masuk")
	wantIn(t, body, "the coordinator's inbox", humanID, "Insiden baru", "Eskalasi diminta")
	_, body = coord.get(page)
	wantIn(t, body, "the coordinator's page", `action="`+page+`/eskalasi"`, `action="`+page+`/label"`)
	resp, _ = coord.post(page+"/eskalasi", url.Values{"reason": {"Sesuai permintaan kabupaten"}})
	wantStatus(t, resp, 303, "the coordinator escalates")
	resp, body = coord.post(page+"/tugas", url.Values{"title": {"Pantau situs cermin"}, "owner": {"diskominfo-32"}})
	wantStatus(t, resp, 303, "a task for the operation room: "+body)

	// The province's operation room works it: evidence, and its own task.
	room := s.as("operator.jabar")
	resp, body = room.get(page)
	wantStatus(t, resp, 200, "the room reads the escalated incident")
	wantIn(t, body, "the room's page", `action="`+page+`/bukti"`, `action="`+page+`/observabel"`, "Tandai selesai")
	resp, _ = room.upload(page+"/bukti", nil, "cermin.html", []byte("<html>mirror</html>"))
	wantStatus(t, resp, 303, "the room's evidence")
	tasks, err := incident.Tasks(ctx, s.db, principal(t, s, "operator.jabar"), humanID)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks %+v %v", tasks, err)
	}
	resp, _ = room.post(fmt.Sprintf("%s/tugas/%d/status", page, tasks[0].ID), url.Values{"status": {"done"}})
	wantStatus(t, resp, 303, "the room closes its task")

	tl, err := incident.Timeline(ctx, s.db, principal(t, s, "koordinator.jabar"), humanID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range tl {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "created,evidence,observable,comment,escalation_requested,escalated,task,evidence,task_done" {
		t.Fatalf("timeline %s", got)
	}
	if _, err := audit.Verify(ctx, s.db); err != nil {
		t.Fatal(err)
	}
}

// TestParticipantsRemovedFromThePage: a coordinator removes an
// organisation from an incident with the button beside it; the owner has
// no such button, and the removed organisation reads it no more.
func TestParticipantsRemovedFromThePage(t *testing.T) {
	s := newSiteWith(t, Deps{})
	ctx := context.Background()
	n := auth.NewUser{Username: "jabar.coord", DisplayName: "Koordinator Jabar", Org: "kpu-32", Role: "coordinator", Scope: "32", Password: password("jabar.coord")}
	if _, err := auth.CreateUser(ctx, s.db, audit.System, n); err != nil {
		t.Fatal(err)
	}
	coord := s.as("jabar.coord")
	resp, body := coord.post("/insiden/baru", url.Values{"title": {"Kebocoran DPT"}, "region": {"32"}, "tlp": {"AMBER"}, "pap": {"AMBER"}, "category": {"intrusions"}, "severity": {"medium"}})
	wantStatus(t, resp, 303, "report: "+body)
	page, _, _ := strings.Cut(resp.Header.Get("Location"), "?")
	resp, _ = coord.post(page+"/peserta", url.Values{"orgs": {"bssn"}})
	wantStatus(t, resp, 303, "add BSSN")
	humanID := strings.TrimPrefix(page, "/insiden/")
	if _, err := incident.Get(ctx, s.db, principal(t, s, "kpu.analyst"), humanID); err != nil {
		t.Fatalf("KPU RI reads its province's AMBER incident: %v", err)
	}
	_, body = coord.get(page)
	removeButtons := regexp.MustCompile(`name="org" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	var removable []string
	for _, m := range removeButtons {
		removable = append(removable, m[1])
	}
	if !slices.Contains(removable, "bssn") || slices.Contains(removable, "kpu-32") {
		t.Fatalf("remove buttons for %v", removable)
	}
	resp, body = coord.post(page+"/peserta/keluarkan", url.Values{"org": {"kpu-32"}})
	wantStatus(t, resp, 400, "removing the owner")
	wantIn(t, body, "the refusal", "owns the incident")
	resp, _ = coord.post(page+"/peserta/keluarkan", url.Values{"org": {"bssn"}})
	wantStatus(t, resp, 303, "remove BSSN")
	_, body = coord.get(resp.Header.Get("Location"))
	wantIn(t, body, "the removal's confirmation", "Peserta dikeluarkan dari insiden.", "Organisasi dikeluarkan: ")
	// The viewer has no buttons and may not post.
	viewer := s.as("jabar.viewer")
	_, body = viewer.get(page)
	wantNotIn(t, body, "the viewer's page", "/peserta/keluarkan")
	resp, _ = viewer.post(page+"/peserta/keluarkan", url.Values{"org": {"kpu-32"}})
	wantStatus(t, resp, 403, "a viewer removes")
}

// TestAssetEditedByOwners: an asset's host names route syslog to it, so
// only its owner and the organisations above it change them; an analyst
// who reads a GREEN asset does not, and does not become a participant by
// trying.
func TestAssetEditedByOwners(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		var a asset.Asset
		w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"Sirekap Jabar","kind":"web_app","region":"32","tlp":"GREEN","hostnames":["sirekap.jabar.example"]}`, 201, &a)
		path := fmt.Sprintf("/api/v1/assets/%d", a.ID)
		w.call("bssn.analyst", "GET", path, "", 200, nil) // reads the GREEN asset
		w.call("bssn.analyst", "PATCH", path, `{"hostnames":["attacker.example"]}`, 403, nil)
		var got asset.Asset
		w.call("jabar.analyst", "GET", path, "", 200, &got)
		if !slices.Equal(got.Hostnames, []string{"sirekap.jabar.example"}) {
			t.Fatalf("host names after a refused edit: %v", got.Hostnames)
		}
		w.call("kpu.analyst", "PATCH", path, `{"hostnames":["sirekap.jabar.example","www.sirekap.jabar.example"]}`, 200, nil) // KPU RI, above the owner
		w.call("jabar.analyst", "PATCH", path, `{"criticality":"high"}`, 200, nil)                                            // the owner
		// Another organisation cannot take over the host names, which route syslog.
		w.call("bssn.analyst", "POST", "/api/v1/assets", `{"name":"Cermin","kind":"web_app","region":"32","hostnames":["www.sirekap.jabar.example"]}`, 409, nil)
		// The asset's page offers the edit to its owner only.
		s := newSiteWith(t, Deps{})
		title := "Sirekap Jabar"
		owned, err := asset.Create(context.Background(), s.db, principal(t, s, "jabar.analyst"), nil, asset.Input{Name: &title, Kind: str("web_app"), TLP: str("GREEN")})
		if err != nil {
			t.Fatal(err)
		}
		edit := fmt.Sprintf(`href="/aset/%d/ubah"`, owned.ID)
		_, body := s.as("jabar.analyst").get(fmt.Sprintf("/aset/%d", owned.ID))
		wantIn(t, body, "the owner's asset page", edit)
		resp, body := s.as("bssn.admin").get(fmt.Sprintf("/aset/%d", owned.ID)) // reads the GREEN asset, may edit assets, owns none of it
		wantStatus(t, resp, 200, "BSSN's administrator reads the asset")
		wantNotIn(t, body, "BSSN's asset page", edit)
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM record_orgs r JOIN orgs o ON o.id = r.org_id WHERE r.kind = 'asset' AND r.record_id = ? AND o.slug IN ('bssn', 'kpu')`, a.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("editing or trying made %d organisations participants (%v)", n, err)
		}
	})
}

// TestAPIEscalationRequestAndParticipants: the API's escalation request and
// participant removal, as the page's.
func TestAPIEscalationRequestAndParticipants(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		n := auth.NewUser{Username: "jabar.coord", Org: "kpu-32", Role: "coordinator", Scope: "32", Password: "pw-jabar.coord-long"}
		if _, err := auth.CreateUser(context.Background(), db, audit.System, n); err != nil {
			t.Fatal(err)
		}
		var login struct {
			Token string `json:"token"`
		}
		w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &login)
		w.tokens[n.Username] = login.Token

		var inc incident.Incident
		w.call("jabar.coord", "POST", "/api/v1/incidents", `{"title":"Defacement","region":"32","participants":{"orgs":["diskominfo-32"]}}`, 201, &inc)
		base := "/api/v1/incidents/" + inc.HumanID
		// The operation room takes part: it asks for the national desk.
		w.call("diskominfo.jabar", "POST", base+"/escalation-request", `{"reason":""}`, 400, nil)
		var e incident.Entry
		w.call("diskominfo.jabar", "POST", base+"/escalation-request", `{"reason":"pola nasional"}`, 201, &e)
		if e.Kind != "escalation_requested" || e.Body != "pola nasional" {
			t.Fatalf("request %+v", e)
		}
		w.call("diskominfo.jabar", "POST", base+"/escalate", `{"reason":"now"}`, 403, nil)
		w.call("jateng.viewer", "POST", base+"/escalation-request", `{"reason":"x"}`, 404, nil)
		// The mention of one who may not read it is said in the answer.
		var c struct {
			NotNotified []struct{ Username, Reason string } `json:"not_notified"`
		}
		w.call("diskominfo.jabar", "POST", base+"/comments", `{"body":"@jateng.viewer lihat"}`, 201, &c)
		if len(c.NotNotified) != 1 || c.NotNotified[0].Username != "jateng.viewer" || c.NotNotified[0].Reason != "cannot_read" {
			t.Fatalf("not notified %+v", c.NotNotified)
		}
		// Participants: the operator may not remove; the coordinator removes the room.
		w.call("diskominfo.jabar", "DELETE", base+"/participants", `{"orgs":["diskominfo-32"]}`, 403, nil)
		w.call("jabar.coord", "DELETE", base+"/participants", `{"orgs":["kpu-32"]}`, 400, nil)
		var after incident.Incident
		w.call("jabar.coord", "DELETE", base+"/participants", `{"orgs":["diskominfo-32"]}`, 200, &after)
		if slices.Contains(after.Participants.Orgs, "diskominfo-32") {
			t.Fatalf("participants %v", after.Participants.Orgs)
		}
		w.call("diskominfo.jabar", "GET", base, "", 404, nil)
	})
}

func str(s string) *string { return &s }
